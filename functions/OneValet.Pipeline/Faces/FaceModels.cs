using System.Text.Json.Serialization;

namespace OneValet.Pipeline.Faces;

/// <summary>A face's rectangle in pixels (the Face API's <c>faceRectangle</c>).</summary>
public readonly record struct FaceRectangle(
    [property: JsonPropertyName("left")] int Left,
    [property: JsonPropertyName("top")] int Top,
    [property: JsonPropertyName("width")] int Width,
    [property: JsonPropertyName("height")] int Height)
{
    public int Area => Width * Height;

    /// <summary>Intersection over union, 0 (apart) to 1 (the same rectangle).</summary>
    public double Overlap(FaceRectangle other)
    {
        var left = Math.Max(Left, other.Left);
        var top = Math.Max(Top, other.Top);
        var right = Math.Min(Left + Width, other.Left + other.Width);
        var bottom = Math.Min(Top + Height, other.Top + other.Height);
        if (right <= left || bottom <= top)
        {
            return 0;
        }

        double intersection = (right - left) * (bottom - top);
        return intersection / (Area + other.Area - intersection);
    }
}

/// <summary>The detection model (an extensible enum, as in the SDK).</summary>
public readonly record struct FaceDetectionModel(string Value)
{
    public static FaceDetectionModel Detection01 { get; } = new("detection_01");

    public static FaceDetectionModel Detection03 { get; } = new("detection_03");

    public override string ToString() => Value;
}

/// <summary>The recognition model (an extensible enum, as in the SDK).</summary>
public readonly record struct FaceRecognitionModel(string Value)
{
    public static FaceRecognitionModel Recognition04 { get; } = new("recognition_04");

    public override string ToString() => Value;
}

/// <summary>One detected face (the Face API's <c>FaceDetectionResult</c>).</summary>
public sealed record FaceDetectionResult(
    [property: JsonPropertyName("faceId")] Guid? FaceId,
    [property: JsonPropertyName("faceRectangle")] FaceRectangle FaceRectangle,
    [property: JsonPropertyName("recognitionModel")] string? RecognitionModel = null);

/// <summary>The answer of face-to-person verification (<c>VerificationResult</c>).</summary>
public sealed record FaceVerificationResult(
    [property: JsonPropertyName("isIdentical")] bool IsIdentical,
    [property: JsonPropertyName("confidence")] double Confidence);

/// <summary>A candidate person of an identification (<c>IdentificationCandidate</c>).</summary>
public sealed record FaceIdentificationCandidate(
    [property: JsonPropertyName("personId")] Guid PersonId,
    [property: JsonPropertyName("confidence")] double Confidence);

/// <summary>The candidates of one query face (<c>IdentificationResult</c>).</summary>
public sealed record FaceIdentificationResult(
    [property: JsonPropertyName("faceId")] Guid FaceId,
    [property: JsonPropertyName("candidates")] IReadOnlyList<FaceIdentificationCandidate> Candidates);

/// <summary>How find-similar compares (an extensible enum, as in the SDK's <c>FindSimilarMatchMode</c>).</summary>
public readonly record struct FindSimilarMatchMode(string Value)
{
    /// <summary>Only faces past the service's own same-person threshold (the service's default).</summary>
    public static FindSimilarMatchMode MatchPerson { get; } = new("matchPerson");

    /// <summary>Every candidate ranked by similarity, even a low one: the caller applies its threshold.</summary>
    public static FindSimilarMatchMode MatchFace { get; } = new("matchFace");

    public override string ToString() => Value;
}

/// <summary>
/// One similar face (<c>FindSimilarResult</c>): <see cref="FaceId"/> when the candidates were faceIds,
/// <see cref="PersistedFaceId"/> when they were a face list.
/// </summary>
public sealed record FaceFindSimilarResult(
    [property: JsonPropertyName("confidence")] double Confidence,
    [property: JsonPropertyName("faceId")] Guid? FaceId = null,
    [property: JsonPropertyName("persistedFaceId")] Guid? PersistedFaceId = null);

/// <summary>A person created in a large person group (<c>CreatePersonResult</c>).</summary>
public sealed record CreatePersonResult([property: JsonPropertyName("personId")] Guid PersonId);

/// <summary>A face added to a person (<c>AddFaceResult</c>).</summary>
public sealed record AddFaceResult([property: JsonPropertyName("persistedFaceId")] Guid PersistedFaceId);
