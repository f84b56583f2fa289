using OneValet.Pipeline.Auditing;

namespace OneValet.Pipeline.Retention;

/// <summary>
/// O1, one item as ingestion stored it: its kind, id and version (never the person it is about: a door event's partition is
/// left out), the building, the category, purpose and source it carries, its rule, and its deadline with the schedule bucket
/// the deadline went into (null for an enrollment, whose deadline starts only at withdrawal or move-out). The report finds
/// the item's schedule entry by the bucket and id, so it checks the deadline is there rather than believing it.
/// </summary>
public sealed record CataloguedItem(
    ItemKind Kind,
    string ItemId,
    int Version,
    string BuildingId,
    string Category,
    string? Purpose,
    string? Source,
    string? RuleId,
    string? Obligation,
    DateTimeOffset? Deadline,
    string? Bucket)
{
    /// <summary>How the report names the item: kind, building, id and version (no person).</summary>
    public string Reference => ScheduleEntry.ItemRefOf(Kind, BuildingId, ItemId, Version);

    public static CataloguedItem Of(ScheduleEntry entry, string? bucket)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new(entry.Kind, entry.ItemId, entry.Version, entry.BuildingId, entry.Category, entry.Purpose, entry.Source, entry.Rule?.RuleId, entry.Rule?.Obligation, entry.Deadline, bucket);
    }
}

/// <summary>
/// O1's record at ingestion: one audit entry per ingestion call (a door-event batch, an upload, an enrollment), never one per
/// item, listing what was stored with its rule. Written after the items' schedule entries and before their records, so no
/// stored item is missing from it; a retried call rewrites the same entry (its id is fixed by the call's items).
/// </summary>
public static class Catalogue
{
    public const string Action = "catalogued";

    public static AuditRecord Entry(string itemRef, IReadOnlyList<CataloguedItem> items, string how, DateTimeOffset at, DateTimeOffset doneAt) => new()
    {
        Action = Action,
        ItemRef = itemRef,
        Obligation = "O1",
        How = how,
        At = at,
        DoneAt = doneAt,
        Catalogued = items,
    };
}
