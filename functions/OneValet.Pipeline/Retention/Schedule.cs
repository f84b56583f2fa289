using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Retention;

/// <summary>What kind of item a schedule entry governs; each kind has its deleter in <see cref="ItemDeleter"/>.</summary>
public enum ItemKind
{
    /// <summary>One version of a catalogued recording or Facial Entry capture (O2, O4).</summary>
    RecordingVersion,

    /// <summary>A door authentication event (O4).</summary>
    DoorEvent,

    /// <summary>A Facial Entry enrollment: reference data (O5).</summary>
    FacialEnrollment,

    /// <summary>A breach incident and its delivery records, kept 24 months (O14).</summary>
    Incident,

    /// <summary>A privacy request's record, kept 24 months (O18).</summary>
    PrivacyRequest,

    /// <summary>An access request's export (O8), deleted after a week.</summary>
    Export,

    /// <summary>A closed request's identity data, minimized soon after it closes (O18).</summary>
    RequestIdentity,

    /// <summary>A resident's identifiers (name, email, phone), minimized on a deletion request (O9) or by their own rule
    /// after move-out (O7, <see cref="RetentionPolicy.ForResidentIdentifiers"/>); the pseudonymous record stays.</summary>
    ResidentIdentifiers,

    /// <summary>The blurred form of footage anonymized at its deadline (O2, O7), deleted when its own period ends.</summary>
    AnonymizedFootage,

    /// <summary>A refused upload in the quarantine container, under the rule of what it claims to be (O2, O4).</summary>
    QuarantinedUpload,

    /// <summary>The Face API person of an enrollment that ended (consent withdrawn, move-out, another building): deleted
    /// from its building's group at once, the group retrained (O3); the rest of the enrollment follows O5. Item id = the
    /// person id, partition = the resident id.</summary>
    FaceApiPerson,

    /// <summary>A disclosure's record in the sharing ledger (O8, O12), deleted when its period ends.</summary>
    Disclosure,

    /// <summary>A notice's delivery record (O13, O14, O16), deleted when its period ends (a breach's go with its incident).</summary>
    Delivery,

    /// <summary>One UTC day of the audit trail (its partition), deleted when its period ends.</summary>
    AuditDay,
}

/// <summary>Where a schedule entry is in its life.</summary>
public enum EntryStatus
{
    Pending,
    Held,
    Done,
}

/// <summary>
/// One item's deadline, stored in the due bucket it falls in (container <c>schedule</c>, partition = bucket key). Carries
/// what enforcement and hold matching need, and no personal data: ids only.
/// </summary>
public sealed record ScheduleEntry
{
    public required ItemKind Kind { get; init; }

    /// <summary>The item's partition in its own container (building id, resident id, ...).</summary>
    public required string ItemPartition { get; init; }

    public required string ItemId { get; init; }

    /// <summary>The recording version, where the kind has versions.</summary>
    public int Version { get; init; }

    /// <summary>The content hash, where the item has one (lets the ledger recognise restored bytes).</summary>
    public string? Sha256 { get; init; }

    /// <summary>The item's blob, where it has one (hardware ids only).</summary>
    public string? BlobName { get; init; }

    /// <summary>The pseudonymous resident id the item is about, when known (for subject holds).</summary>
    public string? SubjectId { get; init; }

    public required string BuildingId { get; init; }

    /// <summary>When the item was collected or captured (for building-and-time-range holds).</summary>
    public required DateTimeOffset EventAt { get; init; }

    public required string Category { get; init; }

    /// <summary>O1: why the item is kept and where it came from (written by ingestion; null on entries of other kinds).</summary>
    public string? Purpose { get; init; }

    public string? Source { get; init; }

    public required RetentionRule Rule { get; init; }

    public required DateTimeOffset Deadline { get; init; }

    public EntryStatus Status { get; init; } = EntryStatus.Pending;

    /// <summary>The holds that kept the item at the last enforcement (O6).</summary>
    public IReadOnlyList<string> HeldBy { get; init; } = [];

    public DateTimeOffset? DoneAt { get; init; }

    /// <summary>e.g. "recordingVersion/b1/door-1_cap-1/1": the reference audit entries, holds, the catalogue and the
    /// deletion ledger use. A door event's names its building, never its partition (the person it is about): the TDPA wants
    /// that link gone with the event (O4), and the audit entries outlive it (<see cref="RefPartition"/>).</summary>
    public string ItemRef => ItemRefOf(Kind, RefPartition, ItemId, Version);

    /// <summary>The partition part of <see cref="ItemRef"/>: the building for a door event (O4), else the item's own partition.</summary>
    public string RefPartition => Kind == ItemKind.DoorEvent ? BuildingId : ItemPartition;

    /// <summary>The reference entries had before door events were named by building (<c>doorEvent/{partition}/{id}/0</c>):
    /// an entry, hold or ledger row stored before still uses it. Null where it is the same as <see cref="ItemRef"/>.</summary>
    public string? LegacyItemRef => Kind == ItemKind.DoorEvent && ItemPartition != BuildingId ? ItemRefOf(Kind, ItemPartition, ItemId, Version) : null;

    /// <summary>
    /// The entry as kept once its item is gone: marked done, and without what tied the item to a person (O4, O5: a done
    /// entry is kept as the record of what was enforced, longer than the item): no <see cref="SubjectId"/>, and a door
    /// event's partition (the resident) replaced by its building. Other kinds keep their partition, which is part of their
    /// reference (an enrollment's or a resident's identifiers' is the pseudonymous resident id, as their deletion entry is).
    /// </summary>
    public ScheduleEntry Done(DateTimeOffset doneAt) => this with
    {
        Status = EntryStatus.Done,
        DoneAt = doneAt,
        HeldBy = [],
        SubjectId = null,
        ItemPartition = RefPartition,
    };

    public static string ItemRefOf(ItemKind kind, string partition, string id, int version) =>
        string.Create(CultureInfo.InvariantCulture, $"{JsonNamingPolicyName(kind)}/{partition}/{id}/{version}");

    /// <summary>The entry's id in its bucket: the item reference with '/' (not allowed in ids) replaced.</summary>
    public string EntryId => ItemRef.Replace('/', '~');

    private static string JsonNamingPolicyName(ItemKind kind) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(kind.ToString());
}

/// <summary>A due bucket that still has entries to enforce (container <c>schedule</c>, partition <c>buckets</c>).
/// Deleted when its last entry is done.</summary>
public sealed record BucketRecord(string Key, DateTimeOffset DueAt);

/// <summary>
/// Writes deadlines as data (O1, O4, O5, O7): each item gets an entry in its due bucket, each bucket an index record, so
/// the sweep finds every due bucket with one single-partition query and the timer of each bucket finds its items with
/// another. Never writes into a bucket that is already due: an overdue item goes into the next bucket, which is how an
/// entry can never land in a bucket that is being closed.
/// </summary>
public sealed class RetentionSchedule(IRecordStore store, IOptions<RetentionOptions> options, TimeProvider time)
{
    public const string BucketsPartition = "buckets";
    private readonly RetentionOptions _options = options.Value;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _knownBuckets = new(StringComparer.Ordinal);

    public TimeSpan BucketWidth => _options.BucketWidth;

    /// <summary>The bucket an entry with this deadline goes to, and when that bucket falls due (its end): the last bucket that
    /// falls due at or before the deadline, so an item is enforced up to one bucket width early and never late by it (the
    /// compliance report judges a deletion done a second after its deadline as late); never a bucket already due.</summary>
    public (string Key, DateTimeOffset DueAt) BucketFor(DateTimeOffset deadline)
    {
        var width = _options.BucketWidth.Ticks;
        var earliest = time.GetUtcNow() + _options.BucketWidth;
        var target = deadline - _options.BucketWidth;
        var at = target > earliest ? target : earliest;
        var start = new DateTimeOffset(at.UtcTicks - (at.UtcTicks % width), TimeSpan.Zero);
        return (start.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'.'fff", CultureInfo.InvariantCulture), start + _options.BucketWidth);
    }

    /// <summary>Writes (or rewrites) an item's entry and makes sure its bucket is indexed. Idempotent.</summary>
    public async Task<BucketRecord> AddAsync(ScheduleEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var (key, dueAt) = BucketFor(entry.Deadline);
        await store.UpsertAsync(Containers.Schedule, key, entry.EntryId, entry with { Status = EntryStatus.Pending }, cancellationToken).ConfigureAwait(false);
        await EnsureBucketAsync(key, dueAt, cancellationToken).ConfigureAwait(false);
        return new BucketRecord(key, dueAt);
    }

    /// <summary>
    /// <see cref="AddAsync"/> for an item whose id is only unique in its building (a door event, named by its building, O4):
    /// false, and nothing written, when the bucket holds a live entry of another item under the same id (the same event id
    /// for another person), which an upsert would overwrite, leaving that item with no deadline. Costs nothing more than
    /// <see cref="AddAsync"/> unless the id is taken.
    /// </summary>
    public async Task<(BucketRecord Bucket, bool Added)> AddUniqueAsync(ScheduleEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var (key, dueAt) = BucketFor(entry.Deadline);
        try
        {
            await store.CreateAsync(Containers.Schedule, key, entry.EntryId, entry with { Status = EntryStatus.Pending }, cancellationToken).ConfigureAwait(false);
        }
        catch (RecordConflictException)
        {
            var existing = (await store.ReadAsync<ScheduleEntry>(Containers.Schedule, key, entry.EntryId, cancellationToken).ConfigureAwait(false))?.Document;
            if (existing is not null && existing.Status != EntryStatus.Done && existing.ItemPartition != entry.ItemPartition)
            {
                return (new BucketRecord(key, dueAt), false);
            }

            await store.UpsertAsync(Containers.Schedule, key, entry.EntryId, entry with { Status = EntryStatus.Pending }, cancellationToken).ConfigureAwait(false);
        }

        await EnsureBucketAsync(key, dueAt, cancellationToken).ConfigureAwait(false);
        return (new BucketRecord(key, dueAt), true);
    }

    /// <summary>Removes an entry that no longer applies (re-consent before the reference-data deadline, O5).</summary>
    public Task<bool> CancelAsync(ItemKind kind, string partition, string id, int version, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var (key, _) = BucketFor(deadline);
        return store.DeleteAsync(Containers.Schedule, key, ScheduleEntry.ItemRefOf(kind, partition, id, version).Replace('/', '~'), cancellationToken);
    }

    /// <summary>Buckets whose due time is at or before <paramref name="until"/> (due ones, or ones to start timers for).</summary>
    public async Task<IReadOnlyList<BucketRecord>> BucketsDueByAsync(DateTimeOffset until, CancellationToken cancellationToken)
    {
        var result = new List<BucketRecord>();
        string? continuation = null;
        var query = RecordQuery.Where(new FieldCondition("dueAt", FieldOperator.LessThanOrEqual, JsonValue.Create(RecordJson.Timestamp(until))));
        do
        {
            var page = await store.QueryAsync<BucketRecord>(Containers.Schedule, BucketsPartition, query, 500, continuation, cancellationToken).ConfigureAwait(false);
            result.AddRange(page.Items.Select(i => i.Document));
            continuation = page.Continuation;
        }
        while (continuation is not null);
        result.Sort((a, b) => a.DueAt.CompareTo(b.DueAt));
        return result;
    }

    /// <summary>One page of a bucket's entries that are not done.</summary>
    public Task<RecordPage<ScheduleEntry>> OpenEntriesAsync(string bucketKey, EntryStatus status, int pageSize, string? continuation, CancellationToken cancellationToken) =>
        store.QueryAsync<ScheduleEntry>(
            Containers.Schedule,
            bucketKey,
            RecordQuery.Where(new FieldCondition("status", FieldOperator.Equal, JsonValue.Create(System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(status.ToString())))),
            pageSize,
            continuation,
            cancellationToken);

    public Task<StoredRecord<ScheduleEntry>?> ReadEntryAsync(string bucketKey, string entryId, CancellationToken cancellationToken) =>
        store.ReadAsync<ScheduleEntry>(Containers.Schedule, bucketKey, entryId, cancellationToken);

    public Task<StoredRecord<ScheduleEntry>> ReplaceEntryAsync(string bucketKey, StoredRecord<ScheduleEntry> entry, ScheduleEntry updated, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return store.ReplaceAsync(Containers.Schedule, bucketKey, entry.Id, updated, entry.ETag, cancellationToken);
    }

    /// <summary>
    /// Marks an entry done (<paramref name="done"/>, from <see cref="ScheduleEntry.Done"/>), guarded by its ETag. An entry
    /// stored under the id a door event had before it was named by building (<c>doorEvent~{resident}~...</c>, O4) moves to its
    /// id now, so no done entry keeps the person in its id either.
    /// </summary>
    public async Task MarkDoneAsync(string bucketKey, StoredRecord<ScheduleEntry> stored, ScheduleEntry done, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(done);
        await store.ReplaceAsync(Containers.Schedule, bucketKey, stored.Id, done, stored.ETag, cancellationToken).ConfigureAwait(false);
        if (stored.Id != done.EntryId)
        {
            await store.UpsertAsync(Containers.Schedule, bucketKey, done.EntryId, done, cancellationToken).ConfigureAwait(false);
            await store.DeleteAsync(Containers.Schedule, bucketKey, stored.Id, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Drops a bucket from the index once nothing in it is pending or held; its done entries stay as the record
    /// of what was enforced (no personal data) and are what a restored backup brings back as pending.</summary>
    public async Task<bool> TryCloseBucketAsync(string bucketKey, CancellationToken cancellationToken)
    {
        foreach (var status in new[] { EntryStatus.Pending, EntryStatus.Held })
        {
            var page = await OpenEntriesAsync(bucketKey, status, 1, null, cancellationToken).ConfigureAwait(false);
            if (page.Items.Count > 0)
            {
                return false;
            }
        }

        await store.DeleteAsync(Containers.Schedule, BucketsPartition, bucketKey, cancellationToken).ConfigureAwait(false);
        _knownBuckets.TryRemove(bucketKey, out _);
        return true;
    }

    private async Task EnsureBucketAsync(string key, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        if (_knownBuckets.ContainsKey(key))
        {
            return;
        }

        try
        {
            await store.CreateAsync(Containers.Schedule, BucketsPartition, key, new BucketRecord(key, dueAt), cancellationToken).ConfigureAwait(false);
        }
        catch (RecordConflictException)
        {
        }

        // Only buckets that cannot close soon are remembered; others are checked on every write.
        if (dueAt > time.GetUtcNow() + (2 * _options.BucketWidth))
        {
            if (_knownBuckets.Count > 10_000)
            {
                _knownBuckets.Clear();
            }

            _knownBuckets[key] = dueAt;
        }
    }
}
