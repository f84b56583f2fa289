using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OneValet.Pipeline.Faces;

/// <summary>The outcome of a Facial Entry check at the door.</summary>
public enum FaceVerificationStatus
{
    /// <summary>No Face API is configured here (the local host): nothing was verified, and nothing is pretended.</summary>
    NotConfigured,

    /// <summary>O3: nobody who could be checked has a live Facial Entry consent (never given, withdrawn, or moved out); no
    /// face data was processed.</summary>
    NoConsent,

    /// <summary>The resident has no Face API enrollment.</summary>
    NotEnrolled,

    /// <summary>The capture shows no face.</summary>
    NoFace,

    Verified,

    NotVerified,

    /// <summary>The capture is not an image the Face API reads (a video, or larger than <see cref="FaceVerifier.MaxImageBytes"/>):
    /// nothing was sent.</summary>
    NotAnImage,
}

/// <summary>The Face API clients when <see cref="FaceOptions.Endpoint"/> is set; both null otherwise.</summary>
public sealed class FaceApi
{
    public FaceApi(FaceClient? client, FaceAdministrationClient? administration)
    {
        Client = client;
        Administration = administration;
    }

    public FaceClient? Client { get; }

    /// <summary>Gives the client of each building's large person group.</summary>
    public FaceAdministrationClient? Administration { get; }

    public bool IsConfigured => Client is not null && Administration is not null;
}

/// <summary>A person of the large person group that a face of a capture may be, with the face's place in the capture.</summary>
public sealed record FaceCandidate(Guid PersonId, double Confidence, FaceRectangle Face);

/// <summary>What identification found in a capture: how many faces, and their candidates at or above the threshold,
/// most confident first.</summary>
public sealed record FaceIdentification(int Faces, IReadOnlyList<FaceCandidate> Candidates);

/// <summary>An image the Face API refused (no face, several faces, unreadable); the code is safe to show, never the image.</summary>
public sealed class FaceImageRejectedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>
/// The Face API side of Facial Entry (O3, O4, O5): reference faces in the large person group of the resident's building
/// (<see cref="FaceOptions.LargePersonGroupIdFor"/>; persons named by the pseudonymous resident id, never a real name),
/// their deletion, and identification of door captures against the group of the door's building only. It holds no rule
/// about who may be processed: callers check consent first (<see cref="FacialEnrollments"/>, <see cref="FacialEntryChecks"/>).
/// Every call needs <see cref="IsConfigured"/>; where no Face API is configured nothing here is ever called.
/// </summary>
public sealed partial class FaceVerifier(FaceApi api, IOptions<FaceOptions> options, ILogger<FaceVerifier> logger)
{
    /// <summary>The largest image the Face API accepts (6 MB); enrollment refuses larger ones everywhere.</summary>
    public const int MaxImageBytes = 6 * 1024 * 1024;

    /// <summary>faceIds of door captures are cached by the Face API for this long only (its minimum).</summary>
    private const int FaceIdTimeToLiveSeconds = 60;

    /// <summary>Identify takes at most 10 faces of one capture.</summary>
    private const int MaxFacesIdentified = 10;

    private const int MaxCandidatesPerFace = 5;

    public bool IsConfigured => api.IsConfigured;

    private FaceClient Client => api.Client ?? throw NotConfigured();

    /// <summary>The large person group of a building (O3, O4: one per building).</summary>
    private LargePersonGroupClient Group(string buildingId) =>
        (api.Administration ?? throw NotConfigured()).GetLargePersonGroupClient(options.Value.LargePersonGroupIdFor(buildingId));

    /// <summary>Checks that a reference image shows exactly one face, before anything is stored (no faceId is made).</summary>
    public async Task CheckReferenceImageAsync(BinaryData image, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        var faces = (await CallAsync(() => Client.DetectAsync(image, FaceDetectionModel.Detection03, FaceRecognitionModel.Recognition04, returnFaceId: false, cancellationToken: cancellationToken)).ConfigureAwait(false)).Value;
        if (faces.Count == 0)
        {
            throw new FaceImageRejectedException("no-face", "No face was found in the image.");
        }

        if (faces.Count > 1)
        {
            throw new FaceImageRejectedException("more-than-one-face", "The image shows more than one face; send one of the resident alone.");
        }
    }

    /// <summary>
    /// Creates an empty person (no face yet: no biometric data) named by the pseudonymous resident id in the group of the
    /// resident's building, creating that group on the building's first enrollment (named by its pseudonymous id too).
    /// </summary>
    public async Task<Guid> CreatePersonAsync(string buildingId, string residentId, CancellationToken cancellationToken)
    {
        var group = Group(buildingId);
        try
        {
            return (await group.CreatePersonAsync(residentId, cancellationToken: cancellationToken).ConfigureAwait(false)).Value.PersonId;
        }
        catch (RequestFailedException e) when (e.ErrorCode == "LargePersonGroupNotFound")
        {
            try
            {
                await group.CreateAsync(options.Value.LargePersonGroupIdFor(buildingId), FaceRecognitionModel.Recognition04, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException exists) when (exists.Status == 409)
            {
                // Another instance created it first.
            }

            LogGroupCreated(logger, buildingId);
            return (await group.CreatePersonAsync(residentId, cancellationToken: cancellationToken).ConfigureAwait(false)).Value.PersonId;
        }
    }

    /// <summary>Adds the reference face to the person (the biometric data, O5), then trains the group so that
    /// identification knows it.</summary>
    public async Task AddReferenceFaceAsync(string buildingId, Guid personId, BinaryData image, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        var group = Group(buildingId);
        await CallAsync(() => group.AddFaceAsync(personId, image, detectionModel: FaceDetectionModel.Detection03, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await TrainAsync(group, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes a person with all its faces from the group of its building (O3, O5), then retrains so that
    /// identification forgets it. Idempotent: returns false when the person (or the whole group) was already gone.</summary>
    public async Task<bool> DeletePersonAsync(string buildingId, Guid personId, CancellationToken cancellationToken)
    {
        var group = Group(buildingId);
        try
        {
            await group.DeletePersonAsync(personId, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.ErrorCode == "LargePersonGroupNotFound")
        {
            return false;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Gone already (an earlier try deleted it and failed before training): train anyway, so the group forgets it.
            await TrainAsync(group, cancellationToken).ConfigureAwait(false);
            return false;
        }

        await TrainAsync(group, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Detects the faces of a door capture (largest first, at most 10) and identifies each against the large person group of
    /// the door's building only (O3, O4): residents of other buildings are never compared with it. Returns every candidate
    /// at or above <see cref="FaceOptions.ConfidenceThreshold"/>, most confident first; which of them may be accepted (a
    /// consenting, enrolled resident of the capture's building, by the records) is the caller's rule. A group that does not
    /// exist or has never been trained has no candidates.
    /// </summary>
    public async Task<FaceIdentification> IdentifyAsync(string buildingId, BinaryData capture, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(capture);
        var faces = (await Client.DetectAsync(
            capture, FaceDetectionModel.Detection03, FaceRecognitionModel.Recognition04, returnFaceId: true, FaceIdTimeToLiveSeconds, cancellationToken).ConfigureAwait(false)).Value
            .Where(f => f.FaceId is not null)
            .Take(MaxFacesIdentified)
            .ToList();
        if (faces.Count == 0)
        {
            return new FaceIdentification(0, []);
        }

        var threshold = options.Value.ConfidenceThreshold;
        IReadOnlyList<FaceIdentificationResult> results;
        try
        {
            results = (await Client.IdentifyFromLargePersonGroupAsync(
                faces.Select(f => f.FaceId!.Value), options.Value.LargePersonGroupIdFor(buildingId), MaxCandidatesPerFace, (float)threshold, cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException e) when (e.ErrorCode is "LargePersonGroupNotFound" or "LargePersonGroupNotTrained")
        {
            return new FaceIdentification(faces.Count, []);
        }

        var rectangles = faces.ToDictionary(f => f.FaceId!.Value, f => f.FaceRectangle);
        var candidates = results
            .Where(r => rectangles.ContainsKey(r.FaceId))
            .SelectMany(r => r.Candidates.Where(c => c.Confidence >= threshold).Select(c => new FaceCandidate(c.PersonId, c.Confidence, rectangles[r.FaceId])))
            .OrderByDescending(c => c.Confidence)
            .ToList();
        return new FaceIdentification(faces.Count, candidates);
    }

    /// <summary>Training is asynchronous in the service; a training already running (409) will be followed by the next one.</summary>
    private async Task TrainAsync(LargePersonGroupClient group, CancellationToken cancellationToken)
    {
        try
        {
            await group.TrainAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            LogTrainingBusy(logger);
        }
    }

    /// <summary>Turns the Face API's refusals of an image into <see cref="FaceImageRejectedException"/>; the message names
    /// the error code only.</summary>
    private static async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 400 && e.ErrorCode is { } code && (code.StartsWith("InvalidImage", StringComparison.Ordinal) || code == "NoFaceDetected"))
        {
            throw new FaceImageRejectedException("image-unreadable", $"The face service could not use the image ({code}).");
        }
    }

    private static InvalidOperationException NotConfigured() =>
        new("No Face API is configured (OneValet:Faces:Endpoint); Facial Entry verification is not available here.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the Facial Entry large person group of building {BuildingId}")]
    private static partial void LogGroupCreated(ILogger logger, string buildingId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Facial Entry group training already running; the next change trains again")]
    private static partial void LogTrainingBusy(ILogger logger);
}
