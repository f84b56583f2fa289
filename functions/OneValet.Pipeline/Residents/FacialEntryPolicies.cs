using System.Text.Json;

namespace OneValet.Pipeline.Residents;

/// <summary>One version of the Facial Entry policy: what a resident reviews before opting in (O3).</summary>
public sealed record FacialEntryPolicy(string Version, DateOnly PublishedAt, string Text);

/// <summary>
/// The published versions of the Facial Entry policy, kept as data (<c>Residents/facial-entry-policies.json</c>, embedded).
/// A consent must name one of them (O3); the newest is the one offered now.
/// </summary>
public static class FacialEntryPolicies
{
    private static readonly Lazy<IReadOnlyList<FacialEntryPolicy>> Versions = new(Load);

    public static IReadOnlyList<FacialEntryPolicy> All => Versions.Value;

    public static FacialEntryPolicy Current => All.MaxBy(p => p.PublishedAt)!;

    public static FacialEntryPolicy? Find(string? version) =>
        All.FirstOrDefault(p => string.Equals(p.Version, version, StringComparison.Ordinal));

    private sealed record PolicyFile(IReadOnlyList<FacialEntryPolicy> Versions);

    private static IReadOnlyList<FacialEntryPolicy> Load()
    {
        using var stream = typeof(FacialEntryPolicies).Assembly.GetManifestResourceStream("facial-entry-policies.json")
            ?? throw new InvalidDataException("facial-entry-policies.json is not embedded.");
        var file = JsonSerializer.Deserialize<PolicyFile>(stream, Api.ApiJson.Options)
            ?? throw new InvalidDataException("facial-entry-policies.json is empty.");
        var versions = file.Versions;
        if (versions.Count == 0 || versions.Any(v => !Ingestion.UploadName.IsValidId(v.Version) || string.IsNullOrWhiteSpace(v.Text))
            || versions.Select(v => v.Version).Distinct(StringComparer.Ordinal).Count() != versions.Count)
        {
            throw new InvalidDataException("facial-entry-policies.json: each version has a distinct id (a-z, 0-9, '-') and a text.");
        }

        return versions;
    }
}
