using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace OneValet.Pipeline.Faces;

/// <summary>
/// Facial Entry and redaction settings (section <c>OneValet:Faces</c>). <see cref="Endpoint"/> null means no Face API is
/// configured: verification then answers <see cref="FaceVerificationStatus.NotConfigured"/> (the local host), never a guess.
/// </summary>
public sealed class FaceOptions
{
    public const string Section = "OneValet:Faces";

    /// <summary>The Face resource, e.g. https://{resource}.cognitiveservices.azure.com; null = not configured.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The large person group holding the enrolled residents (reference data, O5). Required with an endpoint.</summary>
    public string? LargePersonGroupId { get; set; }

    /// <summary>
    /// The least identification confidence (0 to 1] that a door capture shows an enrolled resident (O4). Below it the check
    /// is NotVerified. Higher is safer for a door: a false match grants entry to the wrong person.
    /// </summary>
    public double ConfidenceThreshold { get; set; } = 0.7;

    /// <summary>The Haar cascade of the local detector (Debian package <c>opencv-data</c>).</summary>
    public string HaarCascadePath { get; set; } = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";

    /// <summary>Where ffmpeg and ffprobe are (Debian package <c>ffmpeg</c>).</summary>
    public string FFmpegFolder { get; set; } = "/usr/bin";

    /// <summary>Where videos are staged while being redacted; the files are deleted when done. Default: the system's.</summary>
    public string? TemporaryFolder { get; set; } = Path.GetTempPath();
}

/// <summary>Start-up checks of <see cref="FaceOptions"/>; the messages name settings, never values.</summary>
internal sealed partial class FaceOptionsValidator : IValidateOptions<FaceOptions>
{
    public ValidateOptionsResult Validate(string? name, FaceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Endpoint is { } endpoint && (!endpoint.IsAbsoluteUri || endpoint.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add("OneValet:Faces:Endpoint must be an absolute https URI.");
        }

        if (options.Endpoint is not null && (options.LargePersonGroupId is null || !CollectionId().IsMatch(options.LargePersonGroupId)))
        {
            failures.Add("OneValet:Faces:LargePersonGroupId is required with an endpoint: 1 to 64 of a-z, 0-9, '-' and '_'.");
        }

        if (!(options.ConfidenceThreshold > 0 && options.ConfidenceThreshold <= 1))
        {
            failures.Add("OneValet:Faces:ConfidenceThreshold must be greater than 0 and at most 1.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[a-z0-9-_]{1,64}$")]
    private static partial Regex CollectionId();
}
