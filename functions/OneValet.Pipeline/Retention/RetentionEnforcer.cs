using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Retention;

/// <summary>What the one deletion path did with one item: deleted at <see cref="DoneAt"/>, or kept by <see cref="HeldBy"/>.</summary>
public sealed record Enforcement(DateTimeOffset? DoneAt, IReadOnlyList<HoldRecord> HeldBy)
{
    public bool Deleted => DoneAt is not null;
}

/// <summary>What one enforcement pass over a bucket did.</summary>
public sealed record BucketOutcome(string BucketKey, int Deleted, int Held, bool MorePending, bool Closed);

/// <summary>
/// The one deletion path (O4, O5, O6, O7): the bucket timers and the sweep both call it. For each due entry: holds first
/// (a held item is skipped, marked and reported); otherwise an audit entry "started", the deletion (or, for footage under an
/// Anonymize rule, the anonymization by <see cref="FootageAnonymizer"/>), the audit entry "completed" with how and the lag,
/// the ledger, and the entry marked done. Every step is idempotent, so a crash at any point leaves the entry pending and the
/// rerun finishes the job; an item is never gone (or anonymized) without its audit entry.
/// </summary>
public sealed partial class RetentionEnforcer(
    RetentionSchedule schedule,
    HoldRegistry holds,
    ItemDeleter deleter,
    FootageAnonymizer anonymizer,
    AuditLog audit,
    DeletionLedger ledger,
    Faces.FacialEntryCheckEntries checkEntries,
    RetentionMetrics metrics,
    TimeProvider time,
    IOptions<RetentionOptions> options,
    ILogger<RetentionEnforcer> logger)
{
    private readonly int _batchSize = options.Value.BatchSize;
    private readonly int _anonymizationsPerBatch = options.Value.AnonymizationsPerBatch;

    /// <summary>Enforces up to one batch of a bucket's pending entries; with <paramref name="includeHeld"/>, then
    /// re-examines its held entries too (the sweep does; the bucket timer leaves held items to it).</summary>
    public async Task<BucketOutcome> EnforceBucketAsync(string bucketKey, bool includeHeld, CancellationToken cancellationToken)
    {
        var snapshot = await holds.SnapshotAsync(cancellationToken).ConfigureAwait(false);
        var newlyHeld = new Dictionary<string, long>(StringComparer.Ordinal);
        var deleted = 0;
        var held = new HashSet<string>(StringComparer.Ordinal);
        var budget = _batchSize;

        // Anonymizations take seconds to minutes each (decode, blur, encode): a batch does a few, the next batch the rest.
        var anonymizations = 0;
        var deferred = false;
        async Task EnforceAsync(StoredRecord<ScheduleEntry> entry)
        {
            var covering = (await snapshot.CoveringAsync(entry.Document, cancellationToken).ConfigureAwait(false)).Select(h => h.HoldId).ToList();
            if (covering.Count == 0 && FootageAnonymizer.Applies(entry.Document) && ++anonymizations > _anonymizationsPerBatch)
            {
                deferred = true;
                return;
            }

            if (await EnforceEntryAsync(bucketKey, entry, covering, snapshot, newlyHeld, cancellationToken).ConfigureAwait(false))
            {
                deleted++;
            }
            else
            {
                held.Add(entry.Id);
            }
        }

        // Pending entries: page through without a continuation, since every entry handled leaves the "pending" set.
        var pending = await schedule.OpenEntriesAsync(bucketKey, EntryStatus.Pending, budget, null, cancellationToken).ConfigureAwait(false);
        foreach (var entry in pending.Items)
        {
            await EnforceAsync(entry).ConfigureAwait(false);
        }

        var morePending = pending.Items.Count == budget || deferred;
        if (includeHeld && !morePending)
        {
            string? continuation = null;
            do
            {
                var page = await schedule.OpenEntriesAsync(bucketKey, EntryStatus.Held, 200, continuation, cancellationToken).ConfigureAwait(false);
                foreach (var entry in page.Items)
                {
                    await EnforceAsync(entry).ConfigureAwait(false);
                }

                continuation = page.Continuation;
            }
            while (continuation is not null && !deferred);

            morePending = deferred;
        }

        foreach (var (holdId, count) in newlyHeld)
        {
            await holds.UpdateAsync(holdId, h => h with { ItemsHeld = h.ItemsHeld + count }, cancellationToken).ConfigureAwait(false);
        }

        var closed = !morePending && await schedule.TryCloseBucketAsync(bucketKey, cancellationToken).ConfigureAwait(false);
        if (deleted + held.Count > 0)
        {
            LogBucket(logger, bucketKey, deleted, held.Count, closed);
        }

        return new BucketOutcome(bucketKey, deleted, held.Count, morePending, closed);
    }

    /// <summary>
    /// Enforces one entry of a bucket now, ahead of its bucket (<see cref="PromptEnforcement"/>: an item already due when it
    /// was written), exactly as the bucket would: holds first, then the audited deletion, the entry marked. False when it is
    /// gone, done, or held.
    /// </summary>
    public async Task<bool> EnforceNowAsync(string bucketKey, string entryId, CancellationToken cancellationToken)
    {
        var stored = await schedule.ReadEntryAsync(bucketKey, entryId, cancellationToken).ConfigureAwait(false);
        if (stored is null || stored.Document.Status == EntryStatus.Done)
        {
            return false;
        }

        var snapshot = await holds.SnapshotAsync(cancellationToken).ConfigureAwait(false);
        var covering = (await snapshot.CoveringAsync(stored.Document, cancellationToken).ConfigureAwait(false)).Select(h => h.HoldId).ToList();
        var newlyHeld = new Dictionary<string, long>(StringComparer.Ordinal);
        var deleted = await EnforceEntryAsync(bucketKey, stored, covering, snapshot, newlyHeld, cancellationToken).ConfigureAwait(false);
        foreach (var (holdId, count) in newlyHeld)
        {
            await holds.UpdateAsync(holdId, h => h with { ItemsHeld = h.ItemsHeld + count }, cancellationToken).ConfigureAwait(false);
        }

        return deleted;
    }

    /// <summary>Returns true when the item was deleted (or found gone), false when a hold keeps it.</summary>
    private async Task<bool> EnforceEntryAsync(
        string bucketKey,
        StoredRecord<ScheduleEntry> stored,
        List<string> covering,
        HoldSnapshot snapshot,
        Dictionary<string, long> newlyHeld,
        CancellationToken cancellationToken)
    {
        var entry = stored.Document;
        if (covering.Count > 0)
        {
            if (entry.Status != EntryStatus.Held || !entry.HeldBy.SequenceEqual(covering))
            {
                foreach (var holdId in covering.Except(entry.HeldBy))
                {
                    newlyHeld[holdId] = newlyHeld.GetValueOrDefault(holdId) + 1;
                }

                await AuditHeldAsync(entry, covering, snapshot, cancellationToken).ConfigureAwait(false);
                await TryReplaceAsync(bucketKey, stored, entry with { Status = EntryStatus.Held, HeldBy = covering }, cancellationToken).ConfigureAwait(false);
            }

            return false;
        }

        var doneAt = await DeleteAndAuditAsync(entry, snapshot, cancellationToken).ConfigureAwait(false);
        await TryMarkDoneAsync(bucketKey, stored, entry.Done(doneAt), cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// The one deletion path for an item outside its bucket's timer (a deletion request, an enrollment's removal or
    /// replacement, a minimization): holds first, every scope (<see cref="HoldSnapshot.CoveringAsync"/>); a held item is
    /// audited as held and kept, and with <paramref name="resumeAfterHold"/> its entry joins the schedule, due now, so the
    /// deletion resumes by itself when the hold is released (O6). Otherwise <see cref="DeleteAndAuditAsync"/>. Pass the
    /// <paramref name="snapshot"/> of a batch of such deletions, or null to read the holds in force now.
    /// </summary>
    public async Task<Enforcement> DeleteUnlessHeldAsync(ScheduleEntry entry, HoldSnapshot? snapshot, bool resumeAfterHold, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        snapshot ??= await holds.SnapshotAsync(cancellationToken).ConfigureAwait(false);
        var covering = await snapshot.CoveringAsync(entry, cancellationToken).ConfigureAwait(false);
        if (covering.Count > 0)
        {
            await AuditHeldAsync(entry, [.. covering.Select(h => h.HoldId)], snapshot, cancellationToken).ConfigureAwait(false);
            if (resumeAfterHold)
            {
                await schedule.AddAsync(entry, cancellationToken).ConfigureAwait(false);
            }

            return new Enforcement(null, covering);
        }

        return new Enforcement(await DeleteAndAuditAsync(entry, snapshot, cancellationToken).ConfigureAwait(false), []);
    }

    /// <summary>O6: a "held" entry names the item and the holds that keep it, and every hold the snapshot had in force (ids
    /// only); never the person the item is about (O4: the entry outlives the item).</summary>
    private Task AuditHeldAsync(ScheduleEntry entry, List<string> covering, HoldSnapshot snapshot, CancellationToken cancellationToken) =>
        audit.WriteAsync(AuditLog.IdFor("held", entry.ItemRef, string.Join(',', covering)), new AuditRecord
        {
            Action = "held",
            ItemRef = entry.ItemRef,
            Category = entry.Category,
            RuleId = entry.Rule.RuleId,
            Obligation = "O6",
            Deadline = entry.Deadline,
            Holds = covering,
            HoldsInForce = snapshot.InForce,
            How = "deletion skipped while the hold is active",
            At = entry.Deadline,
            DoneAt = time.GetUtcNow(),
        }, cancellationToken);

    /// <summary>
    /// Deletes (or anonymizes, see <see cref="FootageAnonymizer.Applies"/>) one item with its proof: audit "started", the
    /// deletion, audit "completed" (how, lag), the ledger. Asks no hold: callers are the bucket enforcement, after its own
    /// hold check, and <see cref="DeleteUnlessHeldAsync"/>; the only other one removes a half-made enrollment (created in
    /// the same call, no evidence of anything). Idempotent; returns when it was done.
    /// The audit holds no content hash: the ledger keeps the original's (so restored bytes are recognised), the record the
    /// blurred form's; the audit proves what was done to which item under which rule, and needs neither.
    /// Nor does it name the person the item was about (O4: the entry outlives a door event or capture by years, and "resident
    /// r-x authenticated at B at T" is what the TDPA wants gone): no subject id, and a door event by its building
    /// (<see cref="ScheduleEntry.ItemRef"/>). Instead it lists <see cref="AuditRecord.HoldsInForce"/>, every hold of
    /// <paramref name="snapshot"/> (null: read now) in force when it was done, so the report can show a deletion did not ignore a hold whose
    /// scope it can no longer match (a resident's, O6). A Facial Entry capture's check entry loses its person here too
    /// (<see cref="Faces.FacialEntryCheckEntries"/>, O3).
    /// </summary>
    internal async Task<DateTimeOffset> DeleteAndAuditAsync(ScheduleEntry entry, HoldSnapshot? snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        snapshot ??= await holds.SnapshotAsync(cancellationToken).ConfigureAwait(false);
        var anonymize = FootageAnonymizer.Applies(entry);
        var action = anonymize ? "anonymized" : "deleted";
        var auditId = AuditLog.IdFor(action, entry.ItemRef);
        var previous = await audit.ReadAsync(auditId, entry.Deadline, cancellationToken).ConfigureAwait(false);
        var remembered = await ledger.FindAsync(entry, cancellationToken).ConfigureAwait(false);
        var started = time.GetUtcNow();
        var record = new AuditRecord
        {
            Action = action,
            ItemRef = entry.ItemRef,
            Category = entry.Category,
            Purpose = entry.Purpose,
            Source = entry.Source,
            RuleId = entry.Rule.RuleId,
            Obligation = entry.Rule.Obligation,
            Deadline = entry.Deadline,
            Outcome = "started",
            At = entry.Deadline,
            DoneAt = started,
            BuildingId = entry.BuildingId,
            EventAt = entry.EventAt,
            HoldsInForce = snapshot.InForce,
        };
        if (previous?.Outcome != "completed")
        {
            await audit.WriteAsync(auditId, record, cancellationToken).ConfigureAwait(false);
        }

        string how;
        if (anonymize)
        {
            var anonymized = await anonymizer.AnonymizeAsync(entry, cancellationToken).ConfigureAwait(false);
            how = anonymized.How;
            record = record with { Action = anonymized.Anonymized ? "anonymized" : "deleted" };
        }
        else
        {
            how = await deleter.DeleteAsync(entry, cancellationToken).ConfigureAwait(false);
        }

        // O3, O4: the capture is gone, so its check entry stops naming who matched and whose consent it was.
        await checkEntries.ForgetPersonAsync(entry, cancellationToken).ConfigureAwait(false);
        if (remembered is null && previous is null && how.StartsWith("already", StringComparison.Ordinal))
        {
            // Gone already: a door event deleted before its ledger row was keyed by building has its row under the old key.
            remembered = await ledger.FindLegacyAsync(entry, cancellationToken).ConfigureAwait(false);
        }

        var doneAt = time.GetUtcNow();
        var earlier = false;
        if (remembered is not null && previous is null)
        {
            // Either the item was deleted before this deadline by another path (a deletion request, a withdrawal: the
            // ledger names the rule) and nothing was left, or it came back from a backup and was deleted again.
            earlier = how.StartsWith("already", StringComparison.Ordinal) && remembered.DeletedAt <= doneAt;
            how = earlier
                ? string.Create(CultureInfo.InvariantCulture, $"{how}: deleted earlier, on {RecordJson.Timestamp(remembered.DeletedAt)}, under rule {remembered.RuleId}; nothing was left at this deadline")
                : how + "; re-enforced: the item had come back (restored backup) after its deletion on " + RecordJson.Timestamp(remembered.DeletedAt);
        }

        if (previous?.Outcome != "completed" || remembered is not null)
        {
            // An item gone before its deadline counts from when it went (the report shows it early, not late).
            var goneAt = earlier ? remembered!.DeletedAt : doneAt;
            var lag = goneAt - entry.Deadline;
            await audit.WriteAsync(auditId, record with { Outcome = "completed", How = how, DoneAt = goneAt, LagSeconds = lag.TotalSeconds }, cancellationToken).ConfigureAwait(false);
            if (!earlier)
            {
                metrics.DeletionLag.Record(lag.TotalSeconds, new KeyValuePair<string, object?>("obligation", entry.Rule.Obligation));
            }
        }

        await ledger.RecordAsync(entry, new LedgerEntry(entry.ItemRef, entry.Kind, entry.Category, entry.Rule.RuleId, entry.Deadline, doneAt, entry.Sha256), cancellationToken).ConfigureAwait(false);
        return doneAt;
    }

    private async Task TryMarkDoneAsync(string bucketKey, StoredRecord<ScheduleEntry> stored, ScheduleEntry done, CancellationToken cancellationToken)
    {
        try
        {
            await schedule.MarkDoneAsync(bucketKey, stored, done, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RecordPreconditionFailedException or RecordNotFoundException)
        {
            // Another enforcer (timer and sweep racing) got there first; its result stands.
        }
    }

    private async Task TryReplaceAsync(string bucketKey, StoredRecord<ScheduleEntry> stored, ScheduleEntry updated, CancellationToken cancellationToken)
    {
        try
        {
            await schedule.ReplaceEntryAsync(bucketKey, stored, updated, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RecordPreconditionFailedException or RecordNotFoundException)
        {
            // Another enforcer (timer and sweep racing) got there first; its result stands.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention bucket {BucketKey}: {Deleted} deleted, {Held} held, closed: {Closed}")]
    private static partial void LogBucket(ILogger logger, string bucketKey, int deleted, int held, bool closed);
}

/// <summary>The pipeline's retention metrics (exported by the hosts' OpenTelemetry / Application Insights).</summary>
public sealed class RetentionMetrics : IDisposable
{
    public const string MeterName = "OneValet.Retention";
    private readonly Meter _meter = new(MeterName);

    public RetentionMetrics() => DeletionLag = _meter.CreateHistogram<double>("onevalet.retention.deletion_lag", "s", "Done-at minus deadline of each deletion.");

    public Histogram<double> DeletionLag { get; }

    public void Dispose() => _meter.Dispose();
}
