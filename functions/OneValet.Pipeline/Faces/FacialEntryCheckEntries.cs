using System.Globalization;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Evidence;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Faces;

/// <summary>O3's verdict on a capture's check, as the records gave it when the capture was deleted (O4): on time, missed or
/// proof missing, and why, without naming the person or the consent.</summary>
public sealed record ConsentVerdict(ItemState State, string Note, DateTimeOffset JudgedAt);

/// <summary>
/// A Facial Entry capture's check entry (<see cref="FacialEntryChecks.AuditAction"/>) names the matched resident and the
/// consent entry it was processed under (which names its resident) only while the capture exists. When the one deletion
/// path removes the capture (O4: within 90 days of collection; or a deletion request, O9), the entry is rewritten under the
/// same id without <see cref="AuditRecord.SubjectId"/>, <see cref="AuditRecord.ConsentEntryId"/> and
/// <see cref="AuditRecord.ConsentAt"/>, keeping the outcome, the building, the capture's time and reference, and the O3 verdict
/// the records give at that moment (<see cref="FacialEntryConsentRule"/>): the consent entry read by id, the resident's
/// withdrawals from their consent history (each entry read by id), their move-out from their record. The audit outlives the
/// capture by years, and "resident r-x was let in at building B at T" is the authentication data the TDPA wants gone.
/// Idempotent: an entry already rewritten, or with nobody in it (not processed), is left as it is.
/// </summary>
public sealed class FacialEntryCheckEntries(AuditLog audit, IRecordStore store, TimeProvider time)
{
    /// <summary>Called by <see cref="RetentionEnforcer"/> after an item's deletion; does nothing unless it was a Facial Entry
    /// capture version (the check is per version: its bytes' hash is in the entry's id).</summary>
    public async Task ForgetPersonAsync(ScheduleEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Kind != ItemKind.RecordingVersion || entry.Category != DataCategories.FacialEntryAuthentication || entry.Sha256 is not { } sha256)
        {
            return;
        }

        var id = AuditLog.IdFor(FacialEntryChecks.AuditAction, entry.BuildingId, entry.ItemId, sha256);
        if (await audit.ReadAsync(id, entry.EventAt, cancellationToken).ConfigureAwait(false) is not { } check
            || check is { SubjectId: null, ConsentEntryId: null, ConsentAt: null })
        {
            return;
        }

        var verdict = await JudgeAsync(check, cancellationToken).ConfigureAwait(false);
        await audit.WriteAsync(id, check with { SubjectId = null, ConsentEntryId = null, ConsentAt = null, ConsentVerdict = verdict }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ConsentVerdict> JudgeAsync(AuditRecord check, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var grant = check is { ConsentEntryId: { } grantId, ConsentAt: { } grantAt } ? await audit.ReadAsync(grantId, grantAt, cancellationToken).ConfigureAwait(false) : null;
        var ends = new List<AuditEntryView>();
        var movedOut = false;
        if (grant is not null && grant.ItemRef.StartsWith("residents/", StringComparison.Ordinal)
            && (await store.ReadAsync<ResidentRecord>(Containers.Residents, grant.ItemRef["residents/".Length..], ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document is { } resident)
        {
            foreach (var withdrawal in resident.FacialEntry?.History.Where(h => h.Action == "withdrawn" && h.At >= grant.At && h.At <= check.DoneAt) ?? [])
            {
                var withdrawalId = ConsentAudit.IdFor(ConsentAudit.Withdrawn, resident.ResidentId, withdrawal.At);
                if (await audit.ReadAsync(withdrawalId, withdrawal.At, cancellationToken).ConfigureAwait(false) is { } found)
                {
                    ends.Add(new AuditEntryView(withdrawalId, AuditLog.PartitionFor(found.At), found));
                }
            }

            movedOut = resident.MovedOutAt is { } gone && gone >= grant.At && gone <= check.DoneAt;
        }

        var (finding, _) = FacialEntryConsentRule.Judge(check, grant, ends);
        if (finding == ConsentFinding.UnderLiveConsent && movedOut)
        {
            finding = ConsentFinding.AfterConsentEnded;
        }

        // No time, id or name in the note: the consent's time would find its entry, and that names the resident.
        var note = finding switch
        {
            ConsentFinding.UnderLiveConsent => check.SubjectId is null
                ? $"{check.ReasonCode} under a live consent of a resident of the building, given before the check"
                : $"{check.ReasonCode} under the matched resident's own consent, given before the check, with no withdrawal or move-out between",
            ConsentFinding.NotProcessed => "not processed: " + check.ReasonCode,
            ConsentFinding.NoConsentNamed => $"processed ({check.ReasonCode}), naming no consent",
            ConsentFinding.ConsentNotInTrail => $"processed ({check.ReasonCode}) under a consent entry that was not in the trail",
            ConsentFinding.BeforeConsent => "processed before the consent it named was given",
            ConsentFinding.AnotherResidentsConsent => "matched a resident under another resident's consent",
            _ => $"processed ({check.ReasonCode}) after the consent's withdrawal or the resident's move-out",
        };
        return new ConsentVerdict(FacialEntryConsentRule.StateOf(finding), note, now);
    }
}
