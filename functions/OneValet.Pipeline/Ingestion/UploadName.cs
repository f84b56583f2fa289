using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace OneValet.Pipeline.Ingestion;

/// <summary>
/// The hardware upload contract's blob name: <c>{buildingId}/{doorId}/{captureId}.{ext}</c>, ids matching
/// <c>[a-z0-9-]{1,64}</c>, ext <c>mp4</c> or <c>jpg</c>.
/// </summary>
public sealed partial record UploadName(string BuildingId, string DoorId, string CaptureId, string Extension)
{
    public string BlobName => $"{BuildingId}/{DoorId}/{CaptureId}.{Extension}";

    /// <summary>The catalogue record's id inside its building's partition.</summary>
    public string RecordId => RecordingRecord.IdFor(DoorId, CaptureId);

    /// <summary>An id as clients may name one: 1 to 64 of <c>[a-z0-9-]</c>, and never the name of an internal partition
    /// (<see cref="Storage.Partitions"/>).</summary>
    public static bool IsValidId([NotNullWhen(true)] string? value) => value is not null && IdPattern().IsMatch(value) && !Storage.Partitions.IsReserved(value);

    public static bool TryParse(string? blobName, [NotNullWhen(true)] out UploadName? name)
    {
        name = null;
        if (blobName is null)
        {
            return false;
        }

        var match = NamePattern().Match(blobName);
        if (!match.Success)
        {
            return false;
        }

        name = new UploadName(match.Groups["b"].Value, match.Groups["d"].Value, match.Groups["c"].Value, match.Groups["e"].Value);
        return true;
    }

    [GeneratedRegex("^[a-z0-9-]{1,64}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    [GeneratedRegex("^(?<b>[a-z0-9-]{1,64})/(?<d>[a-z0-9-]{1,64})/(?<c>[a-z0-9-]{1,64})\\.(?<e>mp4|jpg)\\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
