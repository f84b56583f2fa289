using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Configuration;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Faces;

/// <summary>
/// Checks a catalogued Facial Entry capture against the consenting, enrolled residents of its building, once (O3, O4), and
/// stores the outcome as the capture record's <see cref="FaceCheck"/>: authentication data that goes with the capture at
/// its deadline. In order: nobody in the building with a live consent and an enrollment: <c>NoConsent</c>, and the capture
/// is never sent anywhere; no Face API here: <c>NotConfigured</c>; a video or an image over 6 MB: <c>NotAnImage</c>; else
/// detect + identify against the large person group of that building alone, and only a candidate who is, by the records, a
/// resident of that building with a live consent and that very enrollment, made there and not ended, is accepted
/// (<c>Verified</c>); anyone else, <c>NotVerified</c>.
/// Idempotent and retry-safe: a capture that has its check is not checked again, a check is written only onto the
/// version of the capture it looked at, and a failure (Face API down) leaves no check, so the retried ingestion runs it.
/// Each check is audited (O3, <see cref="AuditAction"/>) before it is stored, so no capture has a check without its entry:
/// capture reference, building, outcome, and for a capture that was processed the consent it was processed under (the id
/// of that consent's audit entry, <see cref="ConsentAudit"/>; on a match the matched resident's pseudonymous id). No image,
/// no face, no confidence.
/// </summary>
public sealed partial class FacialEntryChecks(
    IRecordStore store,
    BlobServiceClient blobs,
    IOptions<StorageOptions> storageOptions,
    FacialEntryIndex index,
    FaceVerifier faces,
    AuditLog audit,
    TimeProvider time,
    ILogger<FacialEntryChecks> logger)
{
    /// <summary>The audit action of a capture's check (O3).</summary>
    public const string AuditAction = "facial-entry-checked";

    private const int MaxAttempts = 5;
    private readonly BlobContainerClient _recordings = blobs.GetBlobContainerClient(storageOptions.Value.RecordingsContainer);

    /// <summary>Whether a catalogue record still needs its check (cheap: no I/O), so that callers skip everything else.</summary>
    public static bool NeedsCheck(RecordingRecord record) => record is { Kind: RecordingKind.FacialEntry, FaceCheck: null };

    /// <summary>Checks the capture of that catalogue record if it has no check yet; returns its check (new or earlier), or
    /// null when there is nothing to check (not a Facial Entry capture, gone, or replaced by a newer version meanwhile).</summary>
    public async Task<FaceCheck?> CheckAsync(string buildingId, string recordId, CancellationToken cancellationToken)
    {
        var stored = await store.ReadAsync<RecordingRecord>(Containers.Recordings, buildingId, recordId, cancellationToken).ConfigureAwait(false);
        if (stored is null || stored.Document.Kind != RecordingKind.FacialEntry)
        {
            return null;
        }

        if (stored.Document.FaceCheck is { } earlier)
        {
            return earlier;
        }

        var record = stored.Document;
        FaceCheck? check;
        if (await index.FirstLiveAsync(buildingId, cancellationToken).ConfigureAwait(false) is not { } consenting)
        {
            check = new FaceCheck(FaceVerificationStatus.NoConsent, time.GetUtcNow());
        }
        else if (!faces.IsConfigured)
        {
            check = new FaceCheck(FaceVerificationStatus.NotConfigured, time.GetUtcNow());
        }
        else if (record.ContentType != "image/jpeg" || record.SizeBytes > FaceVerifier.MaxImageBytes)
        {
            check = new FaceCheck(FaceVerificationStatus.NotAnImage, time.GetUtcNow());
        }
        else
        {
            check = await IdentifyAsync(record, consenting, cancellationToken).ConfigureAwait(false);
        }

        if (check is null)
        {
            return null;
        }

        // O3: the entry first (same id and day on a retry), so a stored check always has its entry; a check written by a
        // concurrent call instead of this one gets its own content in the entry.
        await AuditAsync(record, check, cancellationToken).ConfigureAwait(false);
        var saved = await SaveAsync(stored, check, cancellationToken).ConfigureAwait(false);
        if (saved is not null)
        {
            if (saved != check)
            {
                await AuditAsync(record, saved, cancellationToken).ConfigureAwait(false);
            }

            LogChecked(logger, record.BuildingId, record.DoorId, record.CaptureId, saved.Status);
        }

        return saved;
    }

    /// <summary>The Face API path: the capture's bytes (exactly those the record describes), identify, accept by the records.</summary>
    private async Task<FaceCheck?> IdentifyAsync(RecordingRecord record, ResidentRecord consenting, CancellationToken cancellationToken)
    {
        BinaryData capture;
        try
        {
            capture = (await _recordings.GetBlobClient(record.BlobName).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null; // deleted meanwhile
        }

        if (Convert.ToHexStringLower(SHA256.HashData(capture.ToMemory().Span)) != record.Sha256)
        {
            return null; // a newer upload: it is catalogued as a new version and checked on its own
        }

        // O3, O4: only the door's building's group is asked, so residents of other buildings are never compared.
        var identification = await faces.IdentifyAsync(record.BuildingId, capture, cancellationToken).ConfigureAwait(false);
        if (identification.Faces == 0)
        {
            return new FaceCheck(FaceVerificationStatus.NoFace, time.GetUtcNow(), ConsentOf: consenting.ResidentId, ConsentGivenAt: consenting.FacialEntry?.GivenAt);
        }

        foreach (var candidate in identification.Candidates)
        {
            // Defence in depth (O3): even if the group is stale (a removal still being retried), a candidate of another
            // building, or one whose consent was withdrawn, who moved out or whose enrollment ended, is skipped and never
            // recorded: the records decide, not the Face API.
            if (await index.ResidentOfPersonAsync(record.BuildingId, candidate.PersonId, cancellationToken).ConfigureAwait(false) is not { } residentId)
            {
                continue;
            }

            var live = await index.LiveAsync(record.BuildingId, residentId, cancellationToken).ConfigureAwait(false);
            if (live is { } l && l.Enrollment.FacePersonId == candidate.PersonId.ToString())
            {
                return new FaceCheck(FaceVerificationStatus.Verified, time.GetUtcNow(), candidate.Confidence, residentId, candidate.Face, residentId, l.Resident.FacialEntry?.GivenAt);
            }
        }

        return new FaceCheck(FaceVerificationStatus.NotVerified, time.GetUtcNow(), ConsentOf: consenting.ResidentId, ConsentGivenAt: consenting.FacialEntry?.GivenAt);
    }

    /// <summary>The id of a capture version's check entry (one per record and bytes: a retry rewrites the same entry).</summary>
    public static string AuditIdFor(RecordingRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return AuditLog.IdFor(AuditAction, record.BuildingId, record.Id, record.Sha256);
    }

    /// <summary>The outcome as the entry's reason code, e.g. <c>no-consent</c>, <c>verified</c>.</summary>
    public static string CodeOf(FaceVerificationStatus status) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(status.ToString());

    /// <summary>O3: the check's audit entry, in the day of the capture (stable across retries). Ids only.</summary>
    private Task AuditAsync(RecordingRecord record, FaceCheck check, CancellationToken cancellationToken) =>
        audit.WriteAsync(AuditIdFor(record), new AuditRecord
        {
            Action = AuditAction,
            ItemRef = $"recordings/{record.BuildingId}/{record.Id}",
            Category = DataCategories.FacialEntryAuthentication,
            Obligation = "O3",
            ReasonCode = CodeOf(check.Status),
            How = check.Status switch
            {
                FaceVerificationStatus.NoConsent => "not sent to the Face API: nobody in the building has a live consent and an enrollment",
                FaceVerificationStatus.NotConfigured => "not sent: no Face API here",
                FaceVerificationStatus.NotAnImage => "not sent: not a JPEG within the Face API's size limit",
                FaceVerificationStatus.Verified => "identified against the building's group: matched a resident with a live consent and that enrollment",
                _ => "identified against the building's group under a live consent of the building: nobody consenting matched",
            },
            SubjectId = check.ResidentId,
            BuildingId = record.BuildingId,
            EventAt = record.CapturedAt,
            ConsentEntryId = check is { ConsentOf: { } resident, ConsentGivenAt: { } given } ? ConsentAudit.IdFor(ConsentAudit.Given, resident, given) : null,
            ConsentAt = check.ConsentOf is null ? null : check.ConsentGivenAt,
            At = record.CapturedAt,
            DoneAt = check.CheckedAt,
        }, cancellationToken);

    /// <summary>Writes the check onto the record it was made for; a concurrent check that wrote first wins, and a newer
    /// version of the capture (other bytes) gets none of this one.</summary>
    private async Task<FaceCheck?> SaveAsync(StoredRecord<RecordingRecord> stored, FaceCheck check, CancellationToken cancellationToken)
    {
        var sha256 = stored.Document.Sha256;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            try
            {
                await store.ReplaceAsync(Containers.Recordings, stored.PartitionKey, stored.Id, stored.Document with { FaceCheck = check }, stored.ETag, cancellationToken).ConfigureAwait(false);
                return check;
            }
            catch (Exception e) when (e is RecordPreconditionFailedException or RecordNotFoundException)
            {
                var fresh = await store.ReadAsync<RecordingRecord>(Containers.Recordings, stored.PartitionKey, stored.Id, cancellationToken).ConfigureAwait(false);
                if (fresh is null || fresh.Document.Sha256 != sha256)
                {
                    return null;
                }

                if (fresh.Document.FaceCheck is { } other)
                {
                    return other;
                }

                stored = fresh;
            }
        }

        throw new InvalidOperationException("A capture record kept changing while its Facial Entry check was written.");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Facial Entry check of capture {BuildingId}/{DoorId}/{CaptureId}: {Status}")]
    private static partial void LogChecked(ILogger logger, string buildingId, string doorId, string captureId, FaceVerificationStatus status);
}
