using System.Globalization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Configuration;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Faces;

/// <summary>
/// A resident's Facial Entry as the API shows it: whether consent is live, whether a reference is enrolled and where it
/// lives (<c>face-api</c> or <c>stored-image</c>), and whether door captures are verified here at all
/// (<c>configured</c> or <c>not-configured</c>).
/// </summary>
public sealed record FacialEntryStatus(bool Active, bool Enrolled, DateTimeOffset? EnrolledAt, string? Reference, string Verification, string Note);

/// <summary>
/// Enrollment of a resident's reference face (O3, O5): <c>PUT</c> and <c>DELETE</c> on
/// <c>/api/residents/{residentId}/facial-entry/enrollment</c>, the resident's own.
/// <list type="bullet">
/// <item>Only with a live consent: otherwise 409 and nothing biometric is read further, computed or stored.</item>
/// <item>With a Face API: a person named by the pseudonymous resident id in the large person group, with the one face, and
/// the group retrained. The image itself is not kept (O1: the Face API holds what verification needs).</item>
/// <item>Without one (the local host): the image is kept in the private <c>facial-references</c> container, so that
/// enrollment and its O5 deletion work end to end (the access export lists the record); door captures are never verified
/// (<c>not-configured</c>), and nothing says otherwise.</item>
/// </list>
/// The record is written before any biometric data exists (an empty person or a blob name), so nothing biometric can exist
/// that the retention engine cannot find. Re-enrollment and removal delete the earlier reference through the retention
/// engine's audited path, holds first (<see cref="RetentionEnforcer.DeleteUnlessHeldAsync"/>, which calls <see cref="ItemDeleter"/>).
/// </summary>
public sealed partial class FacialEnrollments(
    IRecordStore store,
    BlobServiceClient blobs,
    IOptions<StorageOptions> storageOptions,
    FaceVerifier faces,
    FacialEntryIndex index,
    RetentionEnforcer enforcer,
    Media.MediaProbe media,
    AuditLog audit,
    RetentionPolicy retention,
    TimeProvider time,
    ILogger<FacialEnrollments> logger)
{
    public const string Configured = "configured";
    public const string NotConfigured = "not-configured";

    /// <summary>Version numbers of enrollments are seconds since this instant, so each enrollment's deletion has its own
    /// audit and ledger entry (the O5 deadline entry, version 0, removes whichever enrollment exists then).</summary>
    private static readonly DateTimeOffset VersionEpoch = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly BlobContainerClient _references = blobs.GetBlobContainerClient(storageOptions.Value.FacialReferencesContainer);

    /// <summary>Enrolls (or re-enrolls) the resident's reference face from an <c>image/jpeg</c> body.</summary>
    public async Task<IResult> PutAsync(string residentId, HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!UploadName.IsValidId(residentId))
        {
            return Problems.BadRequest("Resident ids are 1 to 64 characters of a-z, 0-9 and '-'.");
        }

        var resident = await ReadResidentAsync(residentId, cancellationToken).ConfigureAwait(false);
        if (resident is null)
        {
            return Problems.NotFound("No such resident.");
        }

        // O3 first: without a live consent the body is not even read.
        if (!resident.FacialEntryActive)
        {
            return ConsentRequired(resident);
        }

        var (image, problem) = await Media.JpegBody.ReadAsync(request, media, "reference image", cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        try
        {
            return await EnrollAsync(resident, image!, cancellationToken).ConfigureAwait(false);
        }
        catch (FaceImageRejectedException e)
        {
            return Problems.Unprocessable(e.Message, e.Code, "The image cannot be enrolled.");
        }
        catch (RequestFailedException e)
        {
            // The face service or storage failed (not the caller's image): nothing half-made was kept.
            LogServiceFailed(logger, e.Status);
            return e.Status is 0 or 429 or >= 500
                ? Problems.ServiceUnavailable("A service did not answer; nothing was enrolled. Try again later.")
                : TypedResults.Problem(detail: "A service refused the enrollment; nothing was enrolled.", statusCode: StatusCodes.Status502BadGateway, title: "Bad gateway.");
        }
    }

    /// <summary>Removes the resident's reference (Face API person, stored image, record) through the audited deletion path.
    /// Idempotent; allowed with or without consent.</summary>
    public async Task<IResult> DeleteAsync(string residentId, CancellationToken cancellationToken)
    {
        if (!UploadName.IsValidId(residentId))
        {
            return Problems.BadRequest("Resident ids are 1 to 64 characters of a-z, 0-9 and '-'.");
        }

        var resident = await ReadResidentAsync(residentId, cancellationToken).ConfigureAwait(false);
        if (resident is null)
        {
            return Problems.NotFound("No such resident.");
        }

        if (await ReadEnrollmentAsync(residentId, cancellationToken).ConfigureAwait(false) is { } enrollment)
        {
            if (await RemoveAsync(enrollment, "facial-enrollment-removed-by-resident", cancellationToken).ConfigureAwait(false) is { } held)
            {
                return held;
            }

            LogRemoved(logger, residentId);
        }

        return TypedResults.Json(await StatusAsync(resident, cancellationToken).ConfigureAwait(false), ApiJson.Options);
    }

    /// <summary>
    /// Before a resident consents again (O3): an enrollment that ended with the earlier consent
    /// (<see cref="FacialEntryWithdrawals.EndAsync"/> marks it first) is never revived, so its remaining reference data (the
    /// record, a stored image) is deleted now through the audited path rather than at the O5 deadline that the new consent
    /// cancels. Under a hold (O6) it is kept, still ended, and its deletion joins the schedule, resuming when the hold is
    /// released. The resident enrolls again to use Facial Entry.
    /// </summary>
    public async Task DiscardEndedAsync(string residentId, CancellationToken cancellationToken)
    {
        if (await ReadEnrollmentAsync(residentId, cancellationToken).ConfigureAwait(false) is { EndedAt: not null } ended)
        {
            await RemoveAsync(ended, "facial-enrollment-ended-before-reconsent", cancellationToken, resumeAfterHold: true).ConfigureAwait(false);
        }
    }

    /// <summary>What the API shows of a resident's Facial Entry (the resident's GET, and the enrollment routes' answers).</summary>
    public async Task<FacialEntryStatus> StatusAsync(ResidentRecord resident, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resident);
        // An ended enrollment (consent withdrawn, moved out or moved building: O3) is not an enrollment any more; its
        // remaining reference data waits for the O5 deadline and is never used again.
        var enrollment = await ReadEnrollmentAsync(resident.ResidentId, cancellationToken).ConfigureAwait(false) is { EndedAt: null } live ? live : null;
        var reference = enrollment switch
        {
            null => null,
            { FacePersonId: not null } => "face-api",
            _ => "stored-image",
        };
        var note = faces.IsConfigured
            ? "Door captures of your building are checked against your enrollment while your consent is live. Withdrawing consent or moving out ends the enrollment at once; to use Facial Entry again, consent and enroll again."
            : "No face verification runs here: your reference is only stored, and door captures are never compared with it (their faceCheck says not-configured).";
        return new FacialEntryStatus(resident.FacialEntryActive, enrollment is not null, enrollment?.EnrolledAt, reference, faces.IsConfigured ? Configured : NotConfigured, note);
    }

    private async Task<IResult> EnrollAsync(ResidentRecord resident, BinaryData image, CancellationToken cancellationToken)
    {
        var residentId = resident.ResidentId;
        if (faces.IsConfigured)
        {
            // A bad photo is refused before the earlier reference is touched.
            await faces.CheckReferenceImageAsync(image, cancellationToken).ConfigureAwait(false);
        }

        var earlier = await ReadEnrollmentAsync(residentId, cancellationToken).ConfigureAwait(false);
        if (earlier is not null && await RemoveAsync(earlier, "facial-enrollment-replaced", cancellationToken).ConfigureAwait(false) is { } held)
        {
            return held;
        }

        var now = time.GetUtcNow();
        var record = new FacialEnrollmentRecord
        {
            ResidentId = residentId,
            BuildingId = resident.BuildingId,
            EnrolledAt = now,
            FacePersonId = faces.IsConfigured ? (await faces.CreatePersonAsync(resident.BuildingId, residentId, cancellationToken).ConfigureAwait(false)).ToString() : null,
            ReferenceBlobName = faces.IsConfigured ? null : $"{residentId}/{Guid.NewGuid():N}.jpg",
        };
        try
        {
            await store.CreateAsync(Containers.Residents, residentId, FacialEnrollmentRecord.DocumentId, record, cancellationToken).ConfigureAwait(false);
        }
        catch (RecordConflictException)
        {
            // Another enrollment of the same resident won the race: undo the empty person made here.
            if (record.FacePersonId is { } person)
            {
                await faces.DeletePersonAsync(record.BuildingId, Guid.Parse(person), cancellationToken).ConfigureAwait(false);
            }

            return Problems.Conflict("Another enrollment was being made at the same time; try again.");
        }

        try
        {
            // O3 again, just before the biometric step: a withdrawal that raced with this request wins.
            if ((await ReadResidentAsync(residentId, cancellationToken).ConfigureAwait(false))?.FacialEntryActive != true)
            {
                await RemoveAsync(record, "facial-enrollment-consent-withdrawn", cancellationToken, respectHolds: false).ConfigureAwait(false);
                return ConsentRequired(resident);
            }

            if (record.FacePersonId is { } person)
            {
                await faces.AddReferenceFaceAsync(record.BuildingId, Guid.Parse(person), image, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _references.GetBlobClient(record.ReferenceBlobName).UploadAsync(image, new BlobUploadOptions
                {
                    HttpHeaders = new BlobHttpHeaders { ContentType = "image/jpeg" },
                    Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                }, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is RequestFailedException or FaceImageRejectedException)
        {
            // Nothing half-made stays behind: the new reference goes through the audited path too.
            await RemoveAsync(record, "facial-enrollment-failed", cancellationToken, respectHolds: false).ConfigureAwait(false);
            throw;
        }

        await index.SyncAsync(residentId, cancellationToken).ConfigureAwait(false);
        var how = record.FacePersonId is null
            ? "reference image stored in the private references container (no Face API here: captures are not verified)"
            : "reference face added to a Face API person named by the resident id, in the group of the resident's building; group retrained";
        if (earlier is not null)
        {
            how += "; the earlier reference was deleted";
        }

        await audit.WriteAsync(AuditLog.IdFor("facial-entry-enrolled", residentId, RecordJson.Timestamp(now)), new AuditRecord
        {
            Action = "facial-entry-enrolled",
            ItemRef = $"residents/{residentId}/{FacialEnrollmentRecord.DocumentId}",
            Category = "facial-entry-reference",
            Obligation = "O3",
            How = how,
            At = now,
            DoneAt = time.GetUtcNow(),

            // O1: the reference is stored under the TDPA's reference-data rule; its deadline starts at withdrawal or move-out.
            Catalogued = [new CataloguedItem(ItemKind.FacialEnrollment, FacialEnrollmentRecord.DocumentId, VersionOf(record), record.BuildingId, "facial-entry-reference",
                "performing the services: granting entry by face (reference data)", "app enrollment", retention.ForReferenceData().RuleId, retention.ForReferenceData().Obligation, null, null)],
        }, cancellationToken).ConfigureAwait(false);
        LogEnrolled(logger, residentId, record.FacePersonId is null ? "stored-image" : "face-api");
        var status = await StatusAsync(resident, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(status, ApiJson.Options, statusCode: earlier is null or { EndedAt: not null } ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    /// <summary>Deletes one enrollment through the audited path, unless a hold keeps it (O6): then the 409 to answer. A
    /// half-made enrollment (failed, or raced by a withdrawal) is no evidence of anything and goes whatever the holds.</summary>
    private async Task<IResult?> RemoveAsync(FacialEnrollmentRecord enrollment, string ruleId, CancellationToken cancellationToken, bool respectHolds = true, bool resumeAfterHold = false)
    {
        var now = time.GetUtcNow();
        var entry = new ScheduleEntry
        {
            Kind = ItemKind.FacialEnrollment,
            ItemPartition = enrollment.ResidentId,
            ItemId = FacialEnrollmentRecord.DocumentId,
            Version = VersionOf(enrollment),
            SubjectId = enrollment.ResidentId,
            BuildingId = enrollment.BuildingId,
            EventAt = enrollment.EnrolledAt,
            Category = "facial-entry-reference",
            Rule = new RetentionRule(ruleId, "O5", TimeSpan.Zero, RetentionAction.Delete),
            Deadline = now,
        };
        if (!respectHolds)
        {
            await enforcer.DeleteAndAuditAsync(entry, null, cancellationToken).ConfigureAwait(false);
            return null;
        }

        // Holds first, every scope (O6); a held reference stays as it is (the resident can withdraw consent to stop its use).
        if (!(await enforcer.DeleteUnlessHeldAsync(entry, null, resumeAfterHold, cancellationToken).ConfigureAwait(false)).Deleted)
        {
            return Problems.Conflict(
                "Your enrollment is kept under a hold the law allows (O6) and cannot be replaced or removed now; withdraw your consent to stop its use at once.",
                "held",
                "Kept under a hold.");
        }

        return null;
    }

    private static int VersionOf(FacialEnrollmentRecord enrollment) =>
        (int)Math.Clamp((enrollment.EnrolledAt - VersionEpoch).TotalSeconds, 1, int.MaxValue);

    private static IResult ConsentRequired(ResidentRecord resident) => Problems.Conflict(
        resident.MovedOutAt is not null
            ? "A resident who has moved out cannot enroll in Facial Entry. Nothing was processed."
            : "Enrollment needs a live Facial Entry consent: give it first (POST /api/residents/{residentId}/consents/facial-entry). Nothing was processed.",
        "consent-required",
        "Facial Entry consent required.");

    private async Task<ResidentRecord?> ReadResidentAsync(string residentId, CancellationToken cancellationToken) =>
        (await store.ReadAsync<ResidentRecord>(Containers.Residents, residentId, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document;

    private async Task<FacialEnrollmentRecord?> ReadEnrollmentAsync(string residentId, CancellationToken cancellationToken) =>
        (await store.ReadAsync<FacialEnrollmentRecord>(Containers.Residents, residentId, FacialEnrollmentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document;

    [LoggerMessage(Level = LogLevel.Information, Message = "Facial Entry enrollment of resident {ResidentId} ({Reference})")]
    private static partial void LogEnrolled(ILogger logger, string residentId, string reference);

    [LoggerMessage(Level = LogLevel.Information, Message = "Facial Entry enrollment of resident {ResidentId} removed at their request")]
    private static partial void LogRemoved(ILogger logger, string residentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A service failed during a Facial Entry enrollment (status {Status}); nothing was kept")]
    private static partial void LogServiceFailed(ILogger logger, int status);
}
