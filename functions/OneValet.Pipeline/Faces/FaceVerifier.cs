using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Residents;

namespace OneValet.Pipeline.Faces;

/// <summary>The outcome of a Facial Entry check at the door.</summary>
public enum FaceVerificationStatus
{
    /// <summary>No Face API is configured here (the local host): nothing was verified, and nothing is pretended.</summary>
    NotConfigured,

    /// <summary>O3: the resident has no live Facial Entry consent (never given, withdrawn, or moved out); no face data was processed.</summary>
    NoConsent,

    /// <summary>The resident has no Face API enrollment.</summary>
    NotEnrolled,

    /// <summary>The capture shows no face.</summary>
    NoFace,

    Verified,

    NotVerified,
}

/// <summary>A verification's outcome; the confidence only when the Face API answered.</summary>
public sealed record FaceVerification(FaceVerificationStatus Status, double? Confidence = null);

/// <summary>The Face API clients when <see cref="FaceOptions.Endpoint"/> is set; both null otherwise.</summary>
public sealed class FaceApi
{
    public FaceApi(FaceClient? client, LargePersonGroupClient? group)
    {
        Client = client;
        Group = group;
    }

    public FaceClient? Client { get; }

    public LargePersonGroupClient? Group { get; }

    public bool IsConfigured => Client is not null && Group is not null;
}

/// <summary>
/// Facial Entry (O3, O5): enrollment of a consenting resident's reference face in the large person group, its deletion,
/// and the check of a door capture against it. Consent is checked first, every time: without it no face data is sent.
/// </summary>
public sealed partial class FaceVerifier(FaceApi api, IOptions<FaceOptions> options, TimeProvider time, ILogger<FaceVerifier> logger)
{
    /// <summary>faceIds of door captures are cached by the Face API for this long only (its minimum).</summary>
    private const int FaceIdTimeToLiveSeconds = 60;

    public async Task<FaceVerification> VerifyAsync(ResidentRecord resident, FacialEnrollmentRecord? enrollment, BinaryData capture, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resident);
        ArgumentNullException.ThrowIfNull(capture);
        FaceVerification result;
        if (!resident.FacialEntryActive)
        {
            result = new(FaceVerificationStatus.NoConsent);
        }
        else if (!api.IsConfigured)
        {
            result = new(FaceVerificationStatus.NotConfigured);
        }
        else if (enrollment?.FacePersonId is not { } stored || !Guid.TryParse(stored, out var personId))
        {
            result = new(FaceVerificationStatus.NotEnrolled);
        }
        else
        {
            var faces = (await api.Client!.DetectAsync(
                capture, FaceDetectionModel.Detection03, FaceRecognitionModel.Recognition04, returnFaceId: true, FaceIdTimeToLiveSeconds, cancellationToken).ConfigureAwait(false)).Value;
            if (faces.Count == 0 || faces[0].FaceId is not { } faceId)
            {
                result = new(FaceVerificationStatus.NoFace);
            }
            else
            {
                var answer = (await api.Client.VerifyFromLargePersonGroupAsync(faceId, options.Value.LargePersonGroupId!, personId, cancellationToken).ConfigureAwait(false)).Value;
                result = new(answer.IsIdentical ? FaceVerificationStatus.Verified : FaceVerificationStatus.NotVerified, answer.Confidence);
            }
        }

        LogVerification(logger, resident.ResidentId, result.Status);
        return result;
    }

    /// <summary>
    /// Enrolls a consenting resident's reference image: a person named by the pseudonymous resident id, with one face.
    /// Null when no Face API is configured (reference data then exists nowhere) or without consent (O3).
    /// </summary>
    public async Task<FacialEnrollmentRecord?> EnrollAsync(ResidentRecord resident, BinaryData referenceImage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resident);
        ArgumentNullException.ThrowIfNull(referenceImage);
        if (!resident.FacialEntryActive || !api.IsConfigured)
        {
            return null;
        }

        var person = (await api.Group!.CreatePersonAsync(resident.ResidentId, cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
        await api.Group.AddFaceAsync(person.PersonId, referenceImage, detectionModel: FaceDetectionModel.Detection03, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new FacialEnrollmentRecord
        {
            ResidentId = resident.ResidentId,
            BuildingId = resident.BuildingId,
            EnrolledAt = time.GetUtcNow(),
            FacePersonId = person.PersonId.ToString(),
        };
    }

    /// <summary>Deletes the reference data held by the Face API (O5): the person with all its faces. Idempotent.</summary>
    public async Task DeleteEnrollmentAsync(FacialEnrollmentRecord enrollment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(enrollment);
        if (!api.IsConfigured || !Guid.TryParse(enrollment.FacePersonId, out var personId))
        {
            return;
        }

        try
        {
            await api.Group!.DeletePersonAsync(personId, cancellationToken).ConfigureAwait(false);
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            // Already gone: the deletion is what was wanted.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Facial Entry check for resident {ResidentId}: {Status}")]
    private static partial void LogVerification(ILogger logger, string residentId, FaceVerificationStatus status);
}
