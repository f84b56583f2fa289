namespace OneValet.Pipeline.Retention;

/// <summary>
/// The holds in force at one moment (O6), and the one answer to "does anything keep this item?" that every deletion path
/// asks: retention at a deadline, a deletion request, an enrollment's removal, a minimization. Every scope counts: a
/// subject (their items, and the recordings that concern them: captures verified as them and footage at their door
/// events, <see cref="Requests.PersonRecordings"/>), a building and a time window, listed items, and an open access
/// request (PIPEDA s.8(8): an implicit subject hold from receipt, see <see cref="HoldRegistry.SnapshotAsync"/>).
/// A person's recordings are looked up once per snapshot, and only for subjects a hold names.
/// </summary>
public sealed class HoldSnapshot(IReadOnlyList<HoldRecord> holds, Func<string, CancellationToken, Task<IReadOnlySet<string>>> recordingsOf)
{
    private readonly Dictionary<string, IReadOnlySet<string>> _recordings = new(StringComparer.Ordinal);
    private IReadOnlyList<string>? _inForce;

    /// <summary>The holds in force, explicit and implicit (open requests).</summary>
    public IReadOnlyList<HoldRecord> Holds { get; } = holds;

    /// <summary>O6: the ids of every hold of the snapshot (those <see cref="CoveringAsync"/> asks), whatever its scope, in id
    /// order. A deletion or "held" entry lists them (<see cref="Auditing.AuditRecord.HoldsInForce"/>) instead of naming the
    /// person: the report shows no hold in force was left out of the decision, a resident's included, whose scope it can no
    /// longer match.</summary>
    public IReadOnlyList<string> InForce => _inForce ??= [.. Holds.Select(h => h.HoldId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>The holds that keep the item, in id order; empty when none does.</summary>
    public async Task<IReadOnlyList<HoldRecord>> CoveringAsync(ScheduleEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        List<HoldRecord>? covering = null;
        foreach (var hold in Holds)
        {
            if (!hold.MayKeep(entry))
            {
                continue;
            }

            if (hold.Scope.Covers(entry) || await ConcernsSubjectAsync(hold.Scope.SubjectId, entry, cancellationToken).ConfigureAwait(false))
            {
                (covering ??= []).Add(hold);
            }
        }

        return covering is null ? [] : [.. covering.OrderBy(h => h.HoldId, StringComparer.Ordinal)];
    }

    /// <summary>A recording (or its anonymized form, or a quarantined upload) of no named subject that concerns the hold's subject.</summary>
    private async Task<bool> ConcernsSubjectAsync(string? subjectId, ScheduleEntry entry, CancellationToken cancellationToken)
    {
        if (subjectId is null || entry.SubjectId is not null || entry.Kind is not (ItemKind.RecordingVersion or ItemKind.AnonymizedFootage or ItemKind.QuarantinedUpload))
        {
            return false;
        }

        if (!_recordings.TryGetValue(subjectId, out var keys))
        {
            keys = await recordingsOf(subjectId, cancellationToken).ConfigureAwait(false);
            _recordings[subjectId] = keys;
        }

        return keys.Contains(entry.ItemPartition + "/" + entry.ItemId);
    }
}
