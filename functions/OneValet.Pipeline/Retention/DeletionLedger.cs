using Microsoft.Extensions.DependencyInjection;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Retention;

/// <summary>One deleted item, as the ledger remembers it: ids, rule and times only.</summary>
public sealed record LedgerEntry(string ItemRef, ItemKind Kind, string Category, string RuleId, DateTimeOffset Deadline, DateTimeOffset DeletedAt, string? Sha256);

/// <summary>
/// O7: what was deleted, kept in a store apart from the data (the local host: its own SQLite file; Azure: the
/// <c>ledger</c> container, left out of any point-in-time restore of the data), so that data coming back from a backup
/// is recognised and deleted again instead of living on. The item's restored schedule entry brings it back to the sweep;
/// the ledger is how the sweep knows it is a re-enforcement, and how ingestion refuses a restored blob it deleted before.
/// </summary>
public sealed class DeletionLedger([FromKeyedServices(DeletionLedger.StoreKey)] IRecordStore store)
{
    public const string StoreKey = "ledger";

    public async Task<LedgerEntry?> FindAsync(string partition, string entryId, CancellationToken cancellationToken) =>
        (await store.ReadAsync<LedgerEntry>(Containers.Ledger, partition, entryId, cancellationToken).ConfigureAwait(false))?.Document;

    /// <summary>The row of the item a schedule entry governs. Rows are keyed by the item's reference, so a door event's by its
    /// building, never by the person it was about (O4: the ledger outlives the event, <see cref="ScheduleEntry.ItemRef"/>).</summary>
    public Task<LedgerEntry?> FindAsync(ScheduleEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return FindAsync(entry.RefPartition, entry.EntryId, cancellationToken);
    }

    /// <summary>A door event's row written before rows were keyed by building (partition = the person, id = the old
    /// reference); null for every other kind. Read only when the item is found gone, to tell "deleted earlier" apart.</summary>
    public async Task<LedgerEntry?> FindLegacyAsync(ScheduleEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.LegacyItemRef is { } legacy ? await FindAsync(entry.ItemPartition, legacy.Replace('/', '~'), cancellationToken).ConfigureAwait(false) : null;
    }

    public Task RecordAsync(ScheduleEntry entry, LedgerEntry deleted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return store.UpsertAsync(Containers.Ledger, entry.RefPartition, entry.EntryId, deleted, cancellationToken);
    }

    /// <summary>Whether content with this hash under this recording was deleted before (a restored blob).</summary>
    public async Task<bool> WasDeletedAsync(string buildingId, string recordId, string sha256, CancellationToken cancellationToken)
    {
        var page = await store.QueryAsync<LedgerEntry>(
            Containers.Ledger,
            buildingId,
            RecordQuery.Where(new FieldCondition("sha256", FieldOperator.Equal, System.Text.Json.Nodes.JsonValue.Create(sha256))),
            50,
            null,
            cancellationToken).ConfigureAwait(false);
        return page.Items.Any(i => i.Document.ItemRef.Contains($"/{recordId}/", StringComparison.Ordinal));
    }
}
