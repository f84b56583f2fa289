namespace OneValet.Pipeline.Storage;

/// <summary>
/// The store's internal partitions, and the ids nobody may choose because of them. A client names many partitions itself
/// (a resident id, a building id); an internal partition in the same container must never be one a client could name, or
/// a resident called <c>building-7</c> would read, hold or delete building 7's door events. Internal partitions made
/// from an id carry a ':' (ids are <c>[a-z0-9-]</c>, so no id can spell one); the older fixed names and prefixes are
/// refused as ids everywhere ids are accepted (<see cref="Ingestion.UploadName.IsValidId"/>).
/// </summary>
public static class Partitions
{
    /// <summary>A building's own records where no person is known (door events, disclosures of a building's data).</summary>
    public static string OfBuilding(string? buildingId) => "building:" + buildingId;

    /// <summary>Fixed partition names in containers partitioned by client ids: refused as ids.</summary>
    public static IReadOnlySet<string> ReservedNames { get; } = new HashSet<string>(StringComparer.Ordinal) { "open", "dedupe", "buckets", "holds" };

    /// <summary>Prefixes of internal partitions in containers partitioned by client ids: refused as id prefixes.</summary>
    public static IReadOnlyList<string> ReservedPrefixes { get; } = ["subject-"];

    /// <summary>Whether an id would name an internal partition.</summary>
    public static bool IsReserved(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return ReservedNames.Contains(id) || ReservedPrefixes.Any(p => id.StartsWith(p, StringComparison.Ordinal));
    }
}
