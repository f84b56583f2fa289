using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Auditing;

/// <summary>
/// One audit entry (container <c>audit</c>, partition = UTC day of <see cref="At"/>). It proves what happened to an item
/// without holding personal data: item references are catalogue ids and hardware ids, never names, emails or faces.
/// </summary>
public sealed record AuditRecord
{
    /// <summary>e.g. "quarantined", "deleted", "anonymized".</summary>
    public required string Action { get; init; }

    /// <summary>The item acted on, e.g. "recordings/b1/d1_c1" or a quarantined blob's name.</summary>
    public required string ItemRef { get; init; }

    public string? Category { get; init; }

    /// <summary>O1, for deletions and quarantines: the item's purpose (the policy's closed list) and where it came from, as
    /// its schedule entry carried them.</summary>
    public string? Purpose { get; init; }

    public string? Source { get; init; }

    public string? RuleId { get; init; }

    public string? Obligation { get; init; }

    public DateTimeOffset? Deadline { get; init; }

    /// <summary>A machine-readable reason (e.g. "magic-bytes-mismatch").</summary>
    public string? ReasonCode { get; init; }

    /// <summary>How it was done, e.g. "moved to quarantine", "blob and record deleted".</summary>
    public string? How { get; init; }

    /// <summary>When the event the entry is about happened (an upload's arrival, a deadline); chooses the partition,
    /// so a retry of the same step lands on the same entry.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>When the action was done (for a deletion: when it completed).</summary>
    public required DateTimeOffset DoneAt { get; init; }

    /// <summary>For deletions: "started" is written before anything is deleted and "completed" after, so no item is ever
    /// gone without its audit entry.</summary>
    public string? Outcome { get; init; }

    /// <summary>For deletions: done-at minus deadline, in seconds (negative when early).</summary>
    public double? LagSeconds { get; init; }

    /// <summary>Hold ids, for hold-related entries.</summary>
    public IReadOnlyList<string>? Holds { get; init; }

    /// <summary>For deletions and "held" entries: every hold in force in the snapshot the decision was made with (ids
    /// only, O6), so the compliance report can show no hold in force was left out, whatever its scope, without the entry
    /// naming the person the item was about (O4). Null on entries written before.</summary>
    public IReadOnlyList<string>? HoldsInForce { get; init; }

    /// <summary>The pseudonymous resident an entry is about, where that is the entry's point (a consent, a message, a
    /// request). Never on a deletion or "held" entry (O4: they outlive the item; entries written before the fix carry it),
    /// nor on a Facial Entry check once its capture is gone (<see cref="ConsentVerdict"/>).</summary>
    public string? SubjectId { get; init; }

    /// <summary>For deletions (O6: building-and-window holds are matched on these): the item's building and when it was
    /// collected.</summary>

    public string? BuildingId { get; init; }

    public DateTimeOffset? EventAt { get; init; }

    /// <summary>O3, for a Facial Entry capture's check: the id of the consent audit entry in force when the capture was
    /// processed (sent to the Face API, matched), null when it was not processed; the consent was given at
    /// <see cref="ConsentAt"/>, the day partition that entry lives in.</summary>
    public string? ConsentEntryId { get; init; }

    public DateTimeOffset? ConsentAt { get; init; }

    /// <summary>O3, for a Facial Entry capture's check once the capture is deleted (O4): the verdict the records gave when
    /// the check entry lost <see cref="SubjectId"/>, <see cref="ConsentEntryId"/> and <see cref="ConsentAt"/>; the report
    /// shows it, as it can no longer re-prove it.</summary>
    public Faces.ConsentVerdict? ConsentVerdict { get; init; }

    /// <summary>O1, for a "catalogued" entry (one per ingestion call: a door-event batch, an upload, an enrollment) and a
    /// "quarantined" one: each item stored with its category, purpose, source, rule and the schedule bucket of its deadline.</summary>
    public IReadOnlyList<Retention.CataloguedItem>? Catalogued { get; init; }
}

/// <summary>Writes audit entries. Entries have deterministic ids so a retried step never writes two.</summary>
public sealed class AuditLog(IRecordStore store, Retention.RetentionSchedule schedule, Retention.RetentionPolicy policy)
{
    /// <summary>The id prefix of an audit day's schedule entries: one per day written into the partition.</summary>
    public const string WrittenPrefix = "written-";

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _scheduled = new(StringComparer.Ordinal);

    public static string PartitionFor(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A stable id from the parts that identify one event (e.g. action, item, version).</summary>
    public static string IdFor(params string[] parts)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts)));
        return Convert.ToHexStringLower(bytes.AsSpan(0, 16));
    }

    public async Task<AuditRecord?> ReadAsync(string id, DateTimeOffset at, CancellationToken cancellationToken) =>
        (await store.ReadAsync<AuditRecord>(Containers.Audit, PartitionFor(at), id, cancellationToken).ConfigureAwait(false))?.Document;

    /// <summary>One page of a day's entries (for reports and tests).</summary>
    public Task<RecordPage<AuditRecord>> DayAsync(DateTimeOffset day, int pageSize, string? continuation, CancellationToken cancellationToken) =>
        store.QueryAsync<AuditRecord>(Containers.Audit, PartitionFor(day), RecordQuery.All, pageSize, continuation, cancellationToken);

    public async Task WriteAsync(string id, AuditRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var partition = PartitionFor(record.At);
        await ScheduleDayAsync(partition, record.DoneAt, cancellationToken).ConfigureAwait(false);
        await store.UpsertAsync(Containers.Audit, partition, id, record, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The audit trail's own rule (<see cref="Retention.RetentionPolicy.ForAuditDay"/>): an entry is kept the rule's period
    /// from the end of the day it was written. One schedule entry per day partition and day written (an entry about an old
    /// item lands in an old day's partition, and is still kept its full period); written before the first entry, once per
    /// process and pair. The deletion takes only the partition's entries written by that day (<see cref="Retention.ItemDeleter"/>).
    /// </summary>
    private async Task ScheduleDayAsync(string partition, DateTimeOffset doneAt, CancellationToken cancellationToken)
    {
        var written = PartitionFor(doneAt);
        var key = partition + "|" + written;
        if (_scheduled.ContainsKey(key))
        {
            return;
        }

        var writtenDayEnd = new DateTimeOffset(doneAt.UtcDateTime.Date, TimeSpan.Zero).AddDays(1);
        var rule = policy.ForAuditDay();
        await schedule.AddAsync(new Retention.ScheduleEntry
        {
            Kind = Retention.ItemKind.AuditDay,
            ItemPartition = partition,
            ItemId = WrittenPrefix + written,
            BuildingId = "audit",
            EventAt = writtenDayEnd.AddDays(-1),
            Category = "audit-trail",
            Rule = rule,
            Deadline = rule.DeadlineFrom(writtenDayEnd),
        }, cancellationToken).ConfigureAwait(false);
        if (_scheduled.Count > 10_000)
        {
            _scheduled.Clear();
        }

        _scheduled[key] = true;
    }
}
