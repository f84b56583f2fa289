using OneValet.Pipeline.Retention;

namespace OneValet.Pipeline.Ingestion;

/// <summary>What an entry console uploaded: plain footage (O2) or a Facial Entry capture (O4).</summary>
public enum RecordingKind
{
    Surveillance,
    FacialEntry,
}

/// <summary>Where a catalogued recording is in its life.</summary>
public enum RecordingStatus
{
    Catalogued,
    Deleted,
    Anonymized,
}

/// <summary>One set of bytes uploaded under a recording's name. A re-upload with other bytes is a new version (never a silent overwrite).</summary>
public sealed record RecordingVersion(
    int Number,
    string Sha256,
    long SizeBytes,
    DateTimeOffset CapturedAt,
    string DeviceId,
    DateTimeOffset CataloguedAt,
    DateTimeOffset Deadline,
    string? BlobVersionId,
    IReadOnlyList<string> BlobETags);

/// <summary>
/// The catalogue record of one recording (container <c>recordings</c>, partition = building id). Top-level fields describe
/// the current version; <see cref="Versions"/> keeps every version with its own hash and deadline.
/// Holds no personal data beyond the link to the footage itself: building, door and device ids are hardware ids.
/// </summary>
public sealed record RecordingRecord
{
    /// <summary>The id inside the building's partition (the store owns the stored "id" property).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Id => IdFor(DoorId, CaptureId);

    public required string BuildingId { get; init; }

    public required string DoorId { get; init; }

    public required string CaptureId { get; init; }

    public required string BlobName { get; init; }

    public required RecordingKind Kind { get; init; }

    public required string DeviceId { get; init; }

    public required DateTimeOffset CapturedAt { get; init; }

    public required long SizeBytes { get; init; }

    public required string Sha256 { get; init; }

    public required string ContentType { get; init; }

    /// <summary>O1: the policy's category of the data.</summary>
    public required string DataCategory { get; init; }

    /// <summary>O1: why it is kept.</summary>
    public required string Purpose { get; init; }

    /// <summary>O1: where it came from.</summary>
    public required string Source { get; init; }

    public required RetentionRule Retention { get; init; }

    /// <summary>When the current version must be gone (deleted or anonymized).</summary>
    public required DateTimeOffset Deadline { get; init; }

    public required RecordingStatus Status { get; init; }

    public required DateTimeOffset CataloguedAt { get; init; }

    public required IReadOnlyList<RecordingVersion> Versions { get; init; }

    /// <summary>
    /// The Facial Entry check of a <see cref="RecordingKind.FacialEntry"/> capture (O3, O4): authentication data, kept with
    /// the capture and gone with it at its 90-day deadline. Null until checked, and for plain footage.
    /// </summary>
    public FaceCheck? FaceCheck { get; init; }

    public static string IdFor(string doorId, string captureId) => $"{doorId}_{captureId}";
}

/// <summary>
/// The outcome of checking a Facial Entry capture against the consenting enrolled residents of its building (O4).
/// <see cref="Faces.FaceVerificationStatus.NotConfigured"/> where no Face API runs (the local host): nothing was compared.
/// <see cref="ResidentId"/> (pseudonymous) and <see cref="Face"/> (where in the capture the matched face is) only on a match.
/// <see cref="ConsentOf"/> and <see cref="ConsentGivenAt"/> (O3): when the capture was processed (sent to the Face API), the
/// resident whose live consent it was processed under (on a match, the matched resident; else one consenting resident of
/// the building) and when that consent was given: its audit entry (<see cref="Residents.ConsentAudit"/>) is the proof.
/// </summary>
public sealed record FaceCheck(
    Faces.FaceVerificationStatus Status,
    DateTimeOffset CheckedAt,
    double? Confidence = null,
    string? ResidentId = null,
    Faces.FaceRectangle? Face = null,
    string? ConsentOf = null,
    DateTimeOffset? ConsentGivenAt = null);

/// <summary>The policy's category names (REFERENCE.md, "The data and where it comes from").</summary>
public static class DataCategories
{
    /// <summary>Entry-camera recordings (O2).</summary>
    public const string Sensory = "sensory";

    /// <summary>Facial Entry captures at the door: TDPA authentication data (O4).</summary>
    public const string FacialEntryAuthentication = "facial-entry-authentication";
}
