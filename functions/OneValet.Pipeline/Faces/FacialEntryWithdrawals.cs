using Azure;
using Microsoft.Extensions.Logging;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Faces;

/// <summary>
/// Ends a resident's Facial Entry enrollment when their consent lapses: withdrawal, move-out, or a move to another building
/// (O3: "withdrawal stops processing at once"). Called in the same request as the change, before the resident record is
/// written (a crash in between errs on the side of not processing anyone):
/// <list type="number">
/// <item>The removal of the Face API person is written to the retention schedule first, due now
/// (<see cref="ItemKind.FaceApiPerson"/>, rule <see cref="RuleId"/>), so that nothing is lost: if the call below fails or
/// the process dies, the retention engine (bucket timer, planner, sweep) retries it until it is done, holds first (O6).</item>
/// <item>The enrollment record is marked ended (<see cref="FacialEnrollmentRecord.EndedAt"/>): from then on no door check
/// accepts it, whatever the Face API's group still holds, and a later consent does not revive it (re-consent means
/// enrolling again).</item>
/// <item>The removal is enforced at once through the one deletion path (<see cref="PromptEnforcement"/>): person deleted
/// from the group of the building it was enrolled in, group retrained, audited.</item>
/// </list>
/// Why in the call path and not a durable orchestration: the schedule entry is already the durable, retried record of the
/// work (the same engine that enforces every other deadline, with its audit and hold checks), and doing it inline makes the
/// common case immediate rather than "as soon as an orchestration gets scheduled". The remaining reference data (the
/// record, a stored image) goes at the O5 deadline as before.
/// </summary>
public sealed partial class FacialEntryWithdrawals(
    IRecordStore store,
    RetentionSchedule schedule,
    PromptEnforcement prompt,
    FacialEntryIndex index,
    TimeProvider time,
    ILogger<FacialEntryWithdrawals> logger)
{
    /// <summary>The rule of a Face API person's removal from identification (O3): due the moment the consent lapses.</summary>
    public const string RuleId = "facial-entry-identification-ended";

    private const int MaxAttempts = 10;

    /// <summary>
    /// Ends the resident's enrollment, if any, and removes its Face API person from identification (see the class).
    /// Idempotent. Returns <c>none</c> (no enrollment), <c>ended</c> (no Face API person: the local host),
    /// <c>removed</c>, <c>held</c> (kept under a hold, O6; never used), or <c>retrying</c> (the Face API failed: refused at
    /// the door by the record, and the schedule retries the removal).
    /// </summary>
    public async Task<string> EndAsync(string residentId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var stored = await store.ReadAsync<FacialEnrollmentRecord>(Containers.Residents, residentId, FacialEnrollmentRecord.DocumentId, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                return "none";
            }

            var enrollment = stored.Document;
            if (enrollment.EndedAt is not null)
            {
                // Ended earlier: its removal was scheduled then and is done or being retried.
                return "ended";
            }

            var now = time.GetUtcNow();
            (ScheduleEntry Entry, BucketRecord Bucket)? removal = null;
            if (enrollment.FacePersonId is { } person)
            {
                var entry = EntryFor(enrollment, person, now);
                removal = (entry, await schedule.AddAsync(entry, cancellationToken).ConfigureAwait(false));
            }

            try
            {
                await store.ReplaceAsync(Containers.Residents, residentId, FacialEnrollmentRecord.DocumentId, enrollment with { EndedAt = now }, stored.ETag, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RecordPreconditionFailedException or RecordNotFoundException)
            {
                continue; // re-enrolled or deleted meanwhile: decide again on the fresh record
            }

            await index.RemoveAsync(enrollment.BuildingId, residentId, cancellationToken).ConfigureAwait(false);
            if (removal is not { } due)
            {
                return "ended";
            }

            try
            {
                await prompt.AfterWriteAsync(due.Entry, due.Bucket, null, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RequestFailedException or InvalidOperationException)
            {
                // The Face API (or storage) failed: the door still refuses the resident by the record, and the entry stays
                // pending in the schedule, which retries it.
                LogRemovalDeferred(logger, residentId, (e as RequestFailedException)?.Status ?? 0);
                return "retrying";
            }

            var after = await schedule.ReadEntryAsync(due.Bucket.Key, due.Entry.EntryId, cancellationToken).ConfigureAwait(false);
            var outcome = after?.Document.Status switch
            {
                EntryStatus.Held => "held",
                EntryStatus.Done => "removed",
                _ => "retrying",
            };
            LogEnded(logger, residentId, outcome);
            return outcome;
        }

        throw new InvalidOperationException("A Facial Entry enrollment kept changing while it was ended.");
    }

    /// <summary>The schedule entry of the removal of an ended enrollment's Face API person (ids only).</summary>
    public static ScheduleEntry EntryFor(FacialEnrollmentRecord enrollment, string personId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(enrollment);
        return new ScheduleEntry
        {
            Kind = ItemKind.FaceApiPerson,
            ItemPartition = enrollment.ResidentId,
            ItemId = personId,
            SubjectId = enrollment.ResidentId,
            BuildingId = enrollment.BuildingId,
            EventAt = enrollment.EnrolledAt,
            Category = "facial-entry-reference",
            Rule = new RetentionRule(RuleId, "O3", TimeSpan.Zero, RetentionAction.Delete),
            Deadline = now,
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Facial Entry enrollment of resident {ResidentId} ended; Face API person: {Outcome}")]
    private static partial void LogEnded(ILogger logger, string residentId, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Facial Entry enrollment of resident {ResidentId} ended; removing its Face API person failed (status {Status}) and is retried by the retention schedule")]
    private static partial void LogRemovalDeferred(ILogger logger, string residentId, int status);
}
