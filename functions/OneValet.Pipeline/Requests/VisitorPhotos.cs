using Azure;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Configuration;
using OneValet.Pipeline.Faces;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Media;

namespace OneValet.Pipeline.Requests;

/// <summary>What a visitor's photo does for one recording: a picture's face to keep, or a video's keyframe finder, and the
/// sentence for the answer (for a video, the finder's own once it ran).</summary>
public sealed record VisitorPhotoUse(FaceRectangle? Face, VisitorKeyframes? Video, string? Note)
{
    public string? Sentence => Video?.Note ?? Note;
}

/// <summary>What the office's upload of a visitor's photo answers: when it was received, how its face was checked, and
/// whether this host can use it (a sentence).</summary>
public sealed record VisitorPhotoStatus(string RequestId, DateTimeOffset ReceivedAt, DateTimeOffset ConsentGivenAt, string ConsentPurpose, string FaceCheck, bool Usable, string Note);

/// <summary>
/// A visitor's photo (O8–O10, PIPEDA s.9(1)): a person not on file may give a photo of their face with an access request,
/// so that the Face API can tell which face in the recordings is theirs and keep it unblurred while every other face is
/// blurred. The privacy office uploads it (<c>PUT /api/privacy-requests/{id}/visitor-photo</c>, image/jpeg, with
/// <c>consent=given</c>: the visitor agreed to this use and no other) before it records its verification, because the
/// answer is made right after. The JPEG is held to the Face API's limits (<see cref="JpegBody"/>) and, where the Face API
/// runs, must show exactly one face. It is kept as <c>{requestId}/visitor-photo.jpg</c> in the request-documents container
/// (private, like an agent's signed permission) only until the request closes: the retention engine's minimization of the
/// closed request deletes it through the one audited deletion path (<see cref="Retention.ItemDeleter"/>). The photo never
/// enters a log, a queue message or an orchestration input: the redaction activity reads it by the request id it already
/// has. Locally (no Face API) the photo is accepted and recorded, and the answer says it could not be used and why.
/// </summary>
public sealed partial class VisitorPhotos(
    BlobServiceClient blobs,
    IOptions<StorageOptions> storage,
    PrivacyRequestService service,
    FaceVerifier faces,
    VisitorFaces visitorFaces,
    MediaProbe media,
    TimeProvider time,
    ILogger<VisitorPhotos> logger)
{
    /// <summary>The one value of the <c>consent</c> query parameter: the visitor gave it for <see cref="ConsentPurpose"/>.</summary>
    public const string ConsentGiven = "given";

    /// <summary>What the visitor consents to, recorded with the request (and nothing else is done with the photo).</summary>
    public const string ConsentPurpose =
        "to find the requester's own face in the recordings of this access request, so that it alone is left unblurred; deleted when the request closes";

    public static string BlobNameFor(string requestId) => $"{requestId}/visitor-photo.jpg";

    /// <summary>The privacy office uploads the photo of a visitor who filed an access request and is not yet verified.</summary>
    public async Task<IResult> PutAsync(string requestId, string? consent, HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!UploadName.IsValidId(requestId))
        {
            return Problems.NotFound("No such request.");
        }

        var stored = await service.ReadAsync(requestId, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return Problems.NotFound("No such request.");
        }

        var record = stored.Document;
        if (record.NotOnFile is null || record.Type != RequestType.Access)
        {
            return Problems.Conflict("A photo is given only with an access request about a person not on file.", "not-a-visitor-access-request");
        }

        if (record.Closed || record.Status is not (RequestStatus.Received or RequestStatus.AwaitingVerification) || record.ManualVerification is not null)
        {
            return Problems.Conflict("The photo is given before the privacy office records its verification: the answer is made right after.", "too-late");
        }

        // No consent, no photo: the body is not even read.
        if (consent != ConsentGiven)
        {
            return Problems.BadRequest(
                $"A visitor's photo is used only with their consent, for this purpose alone ({ConsentPurpose}): say so with consent={ConsentGiven}.",
                "consent-required");
        }

        var (image, problem) = await JpegBody.ReadAsync(request, media, "visitor's photo", cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        string faceCheck;
        if (faces.IsConfigured)
        {
            try
            {
                // Exactly one face: the one to keep (the Face API's own detection; no faceId is made here).
                await faces.CheckReferenceImageAsync(image!, cancellationToken).ConfigureAwait(false);
            }
            catch (FaceImageRejectedException e)
            {
                return Problems.Unprocessable(e.Message, e.Code, "The photo cannot be used.");
            }
            catch (RequestFailedException e)
            {
                LogFaceServiceFailed(logger, e.Status);
                return Problems.ServiceUnavailable("The face service did not answer; the photo was not kept. Try again later.");
            }

            faceCheck = "one-face";
        }
        else
        {
            faceCheck = "not-checked: no Face API here";
        }

        var now = time.GetUtcNow();
        var name = BlobNameFor(requestId);
        await Container.GetBlobClient(name).UploadAsync(image, overwrite: true, cancellationToken).ConfigureAwait(false);
        var by = Api.Auth.Caller.OfRequest(request)?.SubjectId ?? "privacy-office";
        var photo = new VisitorPhotoRecord(name, now, by, now, ConsentPurpose, faceCheck);
        string? late = null;
        var updated = await service.UpdateAsync(requestId, r =>
        {
            if (r.Closed || r.Status is not (RequestStatus.Received or RequestStatus.AwaitingVerification) || r.ManualVerification is not null)
            {
                late = "The request was verified meanwhile: the photo is not used.";
                return r;
            }

            return r with { VisitorPhoto = photo, Steps = [.. r.Steps, new RequestStep("visitor-photo", "received", now)] };
        }, cancellationToken).ConfigureAwait(false);
        if (updated is null || late is not null)
        {
            // Verified between the check and the write: the photo is not kept.
            await Container.GetBlobClient(name).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return Problems.Conflict(late ?? "No such request.", "too-late");
        }

        // O18: the step on the trail, ids and codes only (no image, no name).
        await service.AuditStepAsync(updated, "visitor-photo", now, null, "consent:given;face-check:" + (faces.IsConfigured ? "one-face" : "not-checked"), cancellationToken).ConfigureAwait(false);
        LogReceived(logger, requestId, faces.IsConfigured);
        return TypedResults.Json(StatusOf(requestId, photo, faces.IsConfigured), ApiJson.Options);
    }

    /// <summary>
    /// The photo of <paramref name="record"/>'s request, or null: only the blob that request's own record names, under its own
    /// id, and only while it is recorded and not deleted (a request never reads another's photo).
    /// </summary>
    public async Task<BinaryData?> ReadAsync(PrivacyRequestRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.VisitorPhoto is not { DeletedAt: null } photo || record.NotOnFile is null || photo.BlobName != BlobNameFor(record.RequestId))
        {
            return null;
        }

        try
        {
            return (await Container.GetBlobClient(photo.BlobName).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// What the visitor's photo of request <paramref name="requestId"/> does for one recording of its answer (null: no photo
    /// was given): for a picture, the face to keep (the Face API's rectangle of the match, kept by the redaction as a
    /// verified capture's matched face is) or none (every face blurred) and a sentence for the answer; for a video, the
    /// finder of the visitor's face in each keyframe (<see cref="VisitorKeyframes"/>, whose <c>Note</c> is the sentence once
    /// the video is redacted). Never throws for the face service: where it fails, every face is blurred and the sentence
    /// says so (fail closed).
    /// </summary>
    public async Task<VisitorPhotoUse?> UseInAsync(string requestId, RecordingRecord recording, BlobClient source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentNullException.ThrowIfNull(source);
        var record = (await service.ReadAsync(requestId, cancellationToken).ConfigureAwait(false))?.Document;
        if (record?.VisitorPhoto is null)
        {
            return null;
        }

        if (!visitorFaces.IsConfigured)
        {
            return new VisitorPhotoUse(null, null, NotUsableHere);
        }

        var photo = await ReadAsync(record, cancellationToken).ConfigureAwait(false);
        if (photo is null)
        {
            return new VisitorPhotoUse(null, null, "Your photo is no longer held: every face was blurred, yours too.");
        }

        if (recording.ContentType == "video/mp4")
        {
            return new VisitorPhotoUse(null, new VisitorKeyframes(visitorFaces, photo, cancellationToken), null);
        }

        try
        {
            // The recording is held to the Face API's limits (bytes, then its header's size) before it is sent; what fails
            // them is withheld by the redaction anyway.
            var properties = await source.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            if (properties.Value.ContentLength > JpegBody.MaxBytes)
            {
                return new VisitorPhotoUse(null, null, "This picture is larger than the face service takes: every face was blurred, yours too.");
            }

            var picture = (await source.DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
            using (var header = picture.ToStream())
            {
                if (!(await media.CheckJpegAsync(header, cancellationToken).ConfigureAwait(false)).Passed)
                {
                    return new VisitorPhotoUse(null, null, "This picture could not be compared with your photo: every face was blurred, yours too.");
                }
            }

            var face = await visitorFaces.FindAsync(photo, picture, cancellationToken).ConfigureAwait(false);
            return face is { } found
                ? new VisitorPhotoUse(found, null, "Your face, matched with your photo by the face service, was kept; every other face was blurred.")
                : new VisitorPhotoUse(null, null, "No face here matched your photo closely enough: every face was blurred.");
        }
        catch (RequestFailedException e) when (e.Status != 404)
        {
            LogMatchFailed(logger, e.Status);
            return new VisitorPhotoUse(null, null, "The face service failed, so your face could not be told apart: every face was blurred, yours too.");
        }
        catch (RequestFailedException)
        {
            return null; // the recording is gone: the redaction withholds it
        }
    }

    /// <summary>The answer's sentence where no Face API runs (the local host).</summary>
    public const string NotUsableHere =
        "Your photo could not be used: no face service runs here to tell which face is yours, so every face was blurred, yours too.";

    public static VisitorPhotoStatus StatusOf(string requestId, VisitorPhotoRecord photo, bool faceApi)
    {
        ArgumentNullException.ThrowIfNull(photo);
        return new VisitorPhotoStatus(
            requestId,
            photo.ReceivedAt,
            photo.ConsentGivenAt,
            photo.ConsentPurpose,
            photo.FaceCheck,
            faceApi,
            faceApi
                ? "Kept until the request closes. Each recording of the answer is compared with it (the Face API's find-similar); a face matched at or above the confidence threshold stays unblurred, every other face is blurred."
                : "Kept until the request closes, but not usable here: no Face API is configured, so nothing can tell which face is the visitor's; every face is blurred, theirs too, and the answer says so.");
    }

    private BlobContainerClient Container => blobs.GetBlobContainerClient(storage.Value.RequestDocumentsContainer);

    [LoggerMessage(Level = LogLevel.Information, Message = "A visitor's photo was received for request {RequestId} (Face API configured: {FaceApi})")]
    private static partial void LogReceived(ILogger logger, string requestId, bool faceApi);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The face service failed while comparing a recording with a visitor's photo (status {Status}); every face was blurred")]
    private static partial void LogMatchFailed(ILogger logger, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The face service failed while checking a visitor's photo (status {Status}); nothing was kept")]
    private static partial void LogFaceServiceFailed(ILogger logger, int status);
}
