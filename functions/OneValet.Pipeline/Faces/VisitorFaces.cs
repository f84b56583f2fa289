using Microsoft.Extensions.Options;

namespace OneValet.Pipeline.Faces;

/// <summary>
/// Which face of a picture is a visitor's, by their photo (O8; PIPEDA s.9(1): everyone else is severed): the Face API
/// detects the photo's face and the picture's faces (detection_03, recognition_04, faceIds kept 60 seconds, the least it
/// allows) and compares them (find-similar, matchFace mode, so every candidate comes back with its confidence); the most
/// similar face at or above <see cref="FaceOptions.ConfidenceThreshold"/> is the visitor's, and its rectangle is kept by
/// <see cref="FaceRedactor"/> as a verified Facial Entry capture's matched face is. No match: null (every face is
/// blurred). Nothing is stored by the Face API: no person, no face list, no template. Face API errors are thrown: the
/// caller blurs everything (fail closed). Face recognition (identify, verify, find similar, and detection returning faceIds)
/// is a Limited Access feature of Azure AI Face.
/// </summary>
public sealed class VisitorFaces(FaceApi api, IOptions<FaceOptions> options)
{
    /// <summary>faceIds are cached by the Face API for this long only (its minimum).</summary>
    private const int FaceIdTimeToLiveSeconds = 60;

    /// <summary>Find-similar takes at most 1000 candidate faceIds; detect returns at most 100 faces.</summary>
    private const int MaxCandidates = 100;

    public bool IsConfigured => api.IsConfigured;

    /// <summary>The rectangle of the visitor's face in <paramref name="picture"/> (a JPEG), or null when none matches.</summary>
    public async Task<FaceRectangle?> FindAsync(BinaryData photo, BinaryData picture, CancellationToken cancellationToken)
    {
        var query = await PhotoFaceAsync(photo, FaceIdTimeToLiveSeconds, cancellationToken).ConfigureAwait(false);
        return query is { } face ? await MatchAsync(face, picture, cancellationToken).ConfigureAwait(false) : null;
    }

    /// <summary>
    /// The faceId of the photo's one face, kept by the Face API for <paramref name="timeToLiveSeconds"/> (60 to 86400), or
    /// null when it does not show exactly one face.
    /// </summary>
    public async Task<Guid?> PhotoFaceAsync(BinaryData photo, int timeToLiveSeconds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(photo);
        var query = (await Client.DetectAsync(photo, FaceDetectionModel.Detection03, FaceRecognitionModel.Recognition04, returnFaceId: true, timeToLiveSeconds, cancellationToken).ConfigureAwait(false)).Value
            .Where(f => f.FaceId is not null)
            .ToList();

        // The photo was checked for one face when it was given; a service seeing otherwise now keeps nothing.
        return query.Count == 1 ? query[0].FaceId : null;
    }

    /// <summary>The rectangle of the face of <paramref name="picture"/> (a JPEG) most similar to the photo's face
    /// <paramref name="photoFace"/>, at or above the threshold; null when none is.</summary>
    public async Task<FaceRectangle?> MatchAsync(Guid photoFace, BinaryData picture, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(picture);
        var faces = (await Client.DetectAsync(picture, FaceDetectionModel.Detection03, FaceRecognitionModel.Recognition04, returnFaceId: true, FaceIdTimeToLiveSeconds, cancellationToken).ConfigureAwait(false)).Value
            .Where(f => f.FaceId is not null)
            .Take(MaxCandidates)
            .ToDictionary(f => f.FaceId!.Value, f => f.FaceRectangle);
        if (faces.Count == 0)
        {
            return null;
        }

        var similar = (await Client.FindSimilarAsync(photoFace, faces.Keys, faces.Count, FindSimilarMatchMode.MatchFace, cancellationToken).ConfigureAwait(false)).Value;
        var threshold = options.Value.ConfidenceThreshold;
        var best = similar
            .Select(s => (Id: s.FaceId ?? s.PersistedFaceId, s.Confidence))
            .Where(s => s.Id is { } id && faces.ContainsKey(id) && s.Confidence >= threshold)
            .OrderByDescending(s => s.Confidence)
            .FirstOrDefault();
        return best.Id is { } match ? faces[match] : null;
    }

    private FaceClient Client => api.Client ?? throw new InvalidOperationException("No Face API is configured (OneValet:Faces:Endpoint).");
}
