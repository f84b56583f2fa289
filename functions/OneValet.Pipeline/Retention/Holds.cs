using Microsoft.Extensions.Options;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Retention;

/// <summary>
/// The only reasons to keep data past its deadline. The first four are the TDPA's (and PIPEDA s.8(8)'s) and keep anything
/// (O6). The last two are the exceptions the policy allows for a resident's identifiers only (O9: performing the contract,
/// property management's lease included; complying with a legal obligation): they never keep TDPA authentication or
/// reference data, footage or anything else (<see cref="HoldRecord.MayKeep"/>).
/// </summary>
public enum HoldReason
{
    SecurityIncident,
    FraudOrIllegalActivity,
    Debugging,
    OpenRequest,
    LeaseContract,
    LegalObligation,
}

/// <summary>What a hold covers: a subject; a building and a time range; or listed items. Exactly one form per hold.</summary>
public sealed record HoldScope
{
    /// <summary>A pseudonymous resident id: everything about that person.</summary>
    public string? SubjectId { get; init; }

    /// <summary>A building; with <see cref="From"/> and <see cref="To"/>, the items collected in [From, To) there.</summary>
    public string? BuildingId { get; init; }

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    /// <summary>Item references as in schedule entries and audit records (e.g. "recordingVersion/b1/door-1_cap-1/1"),
    /// or a recording's catalogue path "b1/door-1/cap-1" for all its versions.</summary>
    public IReadOnlyList<string>? Items { get; init; }

    public bool Covers(ScheduleEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (SubjectId is not null)
        {
            return entry.SubjectId == SubjectId;
        }

        if (BuildingId is not null)
        {
            return entry.BuildingId == BuildingId
                && (From is null || entry.EventAt >= From)
                && (To is null || entry.EventAt < To);
        }

        // A door event listed by the reference it had before it was named by building (O4) is still covered.
        return Items is not null && Items.Any(i => i == entry.ItemRef || (entry.LegacyItemRef is { } legacy && i == legacy) || RecordingPathMatches(i, entry));
    }

    private static bool RecordingPathMatches(string path, ScheduleEntry entry)
    {
        if (entry.Kind != ItemKind.RecordingVersion)
        {
            return false;
        }

        var parts = path.Split('/');
        return parts.Length == 3 && parts[0] == entry.ItemPartition && Ingestion.RecordingRecord.IdFor(parts[1], parts[2]) == entry.ItemId;
    }
}

/// <summary>A hold (container <c>holds</c>): reason, scope, owner and review date (O6). Holds and releases are audited.</summary>
public sealed record HoldRecord
{
    public required string HoldId { get; init; }

    public required HoldReason Reason { get; init; }

    public required HoldScope Scope { get; init; }

    /// <summary>Who answers for the hold: a staff contact (email) of the privacy office, alerted when the review is due.</summary>
    public required string Owner { get; init; }

    public required DateTimeOffset ReviewBy { get; init; }

    public string? Note { get; init; }

    public required DateTimeOffset PlacedAt { get; init; }

    public DateTimeOffset? ReleasedAt { get; init; }

    /// <summary>Where the hold ends by itself (an answered access request's recourse period, O6): it stops keeping items
    /// then, without a release. Null: until released.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>Not released. Whether it still keeps anything depends on the time too: see <see cref="ActiveAt"/>.</summary>
    public bool Active => ReleasedAt is null;

    /// <summary>In force at <paramref name="now"/>: not released, and not past its <see cref="Until"/>.</summary>
    public bool ActiveAt(DateTimeOffset now) => ReleasedAt is null && (Until is null || Until > now);

    /// <summary>Whether the hold's reason allows keeping an item of this kind: a lease-contract or legal-obligation hold
    /// keeps a resident's identifiers only (O9); the O6 reasons keep anything.</summary>
    public bool MayKeep(ScheduleEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return Reason is not (HoldReason.LeaseContract or HoldReason.LegalObligation) || entry.Kind == ItemKind.ResidentIdentifiers;
    }

    /// <summary>How many item deadlines this hold has kept so far (reported by enforcement).</summary>
    public long ItemsHeld { get; init; }

    public DateTimeOffset? LastReviewAlertAt { get; init; }
}

/// <summary>
/// Reads and writes holds. Active holds are few: enforcement reads them once per batch. Placing and releasing are audited
/// (O6) here, whoever does it: the privacy office through the API, or an access request for its recordings.
/// </summary>
public sealed class HoldRegistry(
    IRecordStore store,
    AuditLog audit,
    Requests.PersonRecordings recordings,
    IOptions<Requests.RequestOptions> requestOptions,
    TimeProvider time)
{
    public const string Partition = "holds";

    /// <summary>The prefix of the implicit hold of an open access request (PIPEDA s.8(8), O6).</summary>
    public const string OpenRequestPrefix = "open-request-";

    /// <summary>The prefix of the hold an answered access request leaves for its recourse period (PIPEDA s.8(8), O6):
    /// <c>recourse-{requestId}</c>, with <see cref="HoldRecord.Until"/> at the period's end.</summary>
    public const string RecoursePrefix = "recourse-";

    /// <summary>
    /// The holds in force now, for one deletion decision or one enforcement batch: the active holds, and one implicit subject
    /// hold per open access request, from its receipt (the request's <c>open</c> index entry is written before anything
    /// else happens to it) until it closes (PIPEDA s.8(8): information that is the subject of a request is kept).
    /// </summary>
    public async Task<HoldSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        var inForce = (await ActiveAsync(cancellationToken).ConfigureAwait(false)).Select(h => h.Document).ToList();
        inForce.AddRange(await OpenRequestHoldsAsync(cancellationToken).ConfigureAwait(false));
        return new HoldSnapshot(inForce, async (subject, ct) =>
            (await recordings.FindAllAsync(subject, null, ct).ConfigureAwait(false)).Keys.ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>
    /// The implicit subject hold of each open access request, from its receipt until it is answered (PIPEDA s.8(8), O6); its
    /// id is <see cref="OpenRequestPrefix"/> and the request id. Never longer than the law's clock: a request still open at
    /// its (extended) due date is refused by silence (PIPEDA s.8(5)), so its hold ends where an answer given on the due date
    /// would have left it, the due date plus the jurisdiction's recourse period (<see cref="Requests.RequestOptions.RecourseIn"/>,
    /// PIPEDA s.11(3); none for the CCPA and the TDPA). A request whose orchestration failed or was never started is then not
    /// a reason to keep the person's data, TDPA authentication data included (O4), for ever; the overdue request itself is
    /// counted by the hourly sweep (<c>onevalet.requests.overdue</c>, D1).
    /// </summary>
    public async Task<IReadOnlyList<HoldRecord>> OpenRequestHoldsAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var inForce = new List<HoldRecord>();
        string? continuation = null;
        do
        {
            var page = await store.QueryAsync<Requests.RequestIndexEntry>(Containers.Requests, "open", RecordQuery.All, 500, continuation, cancellationToken).ConfigureAwait(false);
            foreach (var open in page.Items.Where(i => i.Document.Type == Requests.RequestType.Access))
            {
                var request = (await store.ReadAsync<Requests.PrivacyRequestRecord>(Containers.Requests, open.Id, Requests.PrivacyRequestRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document;
                if (request is { SubjectId: { } subject, Closed: false }
                    && request.EffectiveDueAt + requestOptions.Value.RecourseIn(request.Jurisdiction) is var until && until > now)
                {
                    inForce.Add(new HoldRecord
                    {
                        Until = until,
                        HoldId = OpenRequestPrefix + request.RequestId,
                        Reason = HoldReason.OpenRequest,
                        Scope = new HoldScope { SubjectId = subject },
                        Owner = "privacy-office",
                        ReviewBy = request.EffectiveDueAt,
                        Note = "PIPEDA s.8(8): the person's data is kept while their access request is open.",
                        PlacedAt = request.ReceivedAt,
                    });
                }
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);

        return inForce;
    }

    public async Task<IReadOnlyList<StoredRecord<HoldRecord>>> ActiveAsync(CancellationToken cancellationToken)
    {
        var result = new List<StoredRecord<HoldRecord>>();
        string? continuation = null;
        do
        {
            // Released holds keep their ReleasedAt; active ones have none. Stores cannot query "missing", so all holds are
            // read and filtered: the partition holds one small document per hold ever placed. A hold past its Until (a
            // recourse period that ran out) keeps nothing any more, released or not.
            var now = time.GetUtcNow();
            var page = await store.QueryAsync<HoldRecord>(Containers.Holds, Partition, RecordQuery.All, 500, continuation, cancellationToken).ConfigureAwait(false);
            result.AddRange(page.Items.Where(h => h.Document.ActiveAt(now)));
            continuation = page.Continuation;
        }
        while (continuation is not null);
        return result;
    }

    public Task<StoredRecord<HoldRecord>?> ReadAsync(string holdId, CancellationToken cancellationToken) =>
        store.ReadAsync<HoldRecord>(Containers.Holds, Partition, holdId, cancellationToken);

    public Task CreateAsync(HoldRecord hold, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hold);
        return store.CreateAsync(Containers.Holds, Partition, hold.HoldId, hold, cancellationToken);
    }

    /// <summary>Places a hold and audits it. Idempotent: a hold already placed under the same id is kept as it is.</summary>
    public async Task PlaceAsync(HoldRecord hold, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hold);
        try
        {
            await CreateAsync(hold, cancellationToken).ConfigureAwait(false);
        }
        catch (RecordConflictException)
        {
            // Placed by an earlier attempt.
        }

        await audit.WriteAsync(AuditLog.IdFor("hold-placed", hold.HoldId), new AuditRecord
        {
            Action = "hold-placed",
            ItemRef = "holds/" + hold.HoldId,
            Obligation = "O6",
            ReasonCode = hold.Reason.ToString(),
            Deadline = hold.ReviewBy,
            At = hold.PlacedAt,
            DoneAt = hold.PlacedAt,
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Releases a hold at <paramref name="now"/> and audits it; null when there is no such hold. Idempotent: releasing twice
    /// changes nothing. What it kept is enforced by the next sweep, or sooner by whoever starts enforcement.
    /// </summary>
    public Task<HoldRecord?> ReleaseAsync(string holdId, DateTimeOffset now, CancellationToken cancellationToken) =>
        ReleaseAsync(holdId, now, null, cancellationToken);

    /// <summary>Releases a hold as above, auditing <paramref name="reasonCode"/> as why (e.g. the person's own deletion
    /// request ended a recourse hold) instead of the hold's reason.</summary>
    public async Task<HoldRecord?> ReleaseAsync(string holdId, DateTimeOffset now, string? reasonCode, CancellationToken cancellationToken)
    {
        var released = await UpdateAsync(holdId, h => h.Active ? h with { ReleasedAt = now } : h, cancellationToken).ConfigureAwait(false);
        if (released?.ReleasedAt is { } at)
        {
            await audit.WriteAsync(AuditLog.IdFor("hold-released", holdId), new AuditRecord
            {
                Action = "hold-released",
                ItemRef = "holds/" + holdId,
                Obligation = "O6",
                ReasonCode = reasonCode ?? released.Reason.ToString(),
                At = at,
                DoneAt = at,
            }, cancellationToken).ConfigureAwait(false);
        }

        return released;
    }

    /// <summary>Applies a change with optimistic concurrency, retrying on a concurrent write.</summary>
    public async Task<HoldRecord?> UpdateAsync(string holdId, Func<HoldRecord, HoldRecord> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var current = await ReadAsync(holdId, cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                return null;
            }

            var updated = change(current.Document);
            try
            {
                await store.ReplaceAsync(Containers.Holds, Partition, holdId, updated, current.ETag, cancellationToken).ConfigureAwait(false);
                return updated;
            }
            catch (RecordPreconditionFailedException)
            {
            }
        }

        throw new InvalidOperationException("A hold kept changing under concurrent writers.");
    }
}
