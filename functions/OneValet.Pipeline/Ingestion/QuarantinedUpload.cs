using System.Globalization;
using OneValet.Pipeline.Retention;

namespace OneValet.Pipeline.Ingestion;

/// <summary>
/// A refused upload, catalogued as quarantined (container <c>recordings</c>, partition <see cref="PartitionFor"/>, id
/// <see cref="IdFor"/>): its reason, what it claims to be, and the rule of that claim (O1, O2, O4). A Facial Entry capture
/// goes at most the TDPA period after its claimed capture or its upload, whichever is earlier; footage at most the
/// building's rule from the same start; an upload that claims neither, by the shorter of the two. Deleted by the retention
/// engine's one path (blob and record, audited), and listed in access and deletion answers when it was at the person's
/// doors and times. One quarantined blob per name: a later refused upload under the same name replaces the earlier one.
/// </summary>
public sealed record QuarantinedUpload
{
    /// <summary>Partition prefix; '~' is not an id character, so it never meets a building's own partition.</summary>
    public const string PartitionPrefix = "quarantine~";

    /// <summary>The name in the quarantine container (as uploaded; hardware ids, or whatever a bad upload used).</summary>
    public required string BlobName { get; init; }

    public required string ReasonCode { get; init; }

    public required DateTimeOffset QuarantinedAt { get; init; }

    public required DateTimeOffset UploadedAt { get; init; }

    /// <summary>The capture time the metadata claims, when it could be read.</summary>
    public DateTimeOffset? ClaimedCapturedAt { get; init; }

    /// <summary><c>surveillance</c>, <c>facial-entry</c>, or <c>unknown</c>.</summary>
    public required string ClaimedKind { get; init; }

    /// <summary>The building, door and capture the name claims, where each is a valid id.</summary>
    public string? BuildingId { get; init; }

    public string? DoorId { get; init; }

    public long SizeBytes { get; init; }

    public required string DataCategory { get; init; }

    public required string Purpose { get; init; }

    public required string Source { get; init; }

    public required RetentionRule Retention { get; init; }

    public required DateTimeOffset Deadline { get; init; }

    /// <summary>The clock's start: the earlier of the claimed capture and the upload.</summary>
    public DateTimeOffset StartedAt => ClaimedCapturedAt is { } claimed && claimed < UploadedAt ? claimed : UploadedAt;

    public static string PartitionFor(string? buildingId) => PartitionPrefix + (buildingId ?? "unknown");

    /// <summary>A stable id per blob name (the name may hold characters no record id may).</summary>
    public static string IdFor(string blobName) => Auditing.AuditLog.IdFor("quarantine", blobName);

    /// <summary>What an upload claims: building and door from the name's segments that are valid ids, the kind and capture
    /// time from the metadata where readable.</summary>
    public static (string? Building, string? Door, RecordingKind? Kind, DateTimeOffset? CapturedAt) Claims(string blobName, IDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(blobName);
        ArgumentNullException.ThrowIfNull(metadata);
        var segments = blobName.Split('/');
        var building = segments.Length >= 1 && UploadName.IsValidId(segments[0]) ? segments[0] : null;
        var door = building is not null && segments.Length >= 2 && UploadName.IsValidId(segments[1]) ? segments[1] : null;
        var values = new Dictionary<string, string>(metadata, StringComparer.OrdinalIgnoreCase);
        RecordingKind? kind = values.GetValueOrDefault("kind") switch
        {
            "facial-entry" => RecordingKind.FacialEntry,
            "surveillance" => RecordingKind.Surveillance,
            _ => null,
        };
        DateTimeOffset? capturedAt = values.TryGetValue("capturedat", out var text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed.ToUniversalTime()
            : null;
        return (building, door, kind, capturedAt);
    }
}
