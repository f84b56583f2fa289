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

    /// <summary>
    /// The prefix of the buildings' large person groups (reference data, O5). Required with an endpoint. Each building has
    /// its own group (<see cref="LargePersonGroupIdFor"/>), so a face at a door is only ever compared with the enrolled
    /// residents of that building (O3, O4). Never change it while enrollments exist: their persons stay in the old groups.
    /// </summary>
    public string? LargePersonGroupPrefix { get; set; }

    /// <summary>
    /// The large person group of one building: the prefix, '-', and the first 128 bits of the SHA-256 of the building id in
    /// lowercase hex. Pseudonymous (the Face API never sees the building id), stable, and within the Face API's rules for
    /// group ids (a-z, 0-9, '-' and '_', at most 64 characters) whatever the building id.
    /// </summary>
    public string LargePersonGroupIdFor(string buildingId)
    {
        ArgumentException.ThrowIfNullOrEmpty(buildingId);
        var prefix = LargePersonGroupPrefix ?? throw new InvalidOperationException("OneValet:Faces:LargePersonGroupPrefix is not set.");
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("building:" + buildingId));
        return prefix + "-" + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    /// <summary>
    /// The least identification confidence (0 to 1] that a door capture shows an enrolled resident (O4). Below it the check
    /// is NotVerified. Higher is safer for a door: a false match grants entry to the wrong person.
    /// </summary>
    public double ConfidenceThreshold { get; set; } = 0.7;

    /// <summary>
    /// The local face detector's model (BlazeFace, ONNX; see <see cref="LocalFaceDetector"/>). It ships with the app, in
    /// Faces/Model beside the assemblies, with its licence and attribution; the build checks its SHA-256.
    /// </summary>
    public string ModelPath { get; set; } = Path.Combine(AppContext.BaseDirectory, "Faces", "Model", "blazeface-back-256x256.onnx");

    /// <summary>
    /// The least score (0 to 1) of the model's box for it to be a face. Lower finds more faces and more things that are
    /// not; a face missed is worse than a wall blurred, but boxes on walls blurred whole pictures.
    /// </summary>
    public double MinimumFaceScore { get; set; } = 0.5;

    /// <summary>
    /// Every how many frames a video is searched for faces (1 = every frame). Each frame is blurred with the faces of the
    /// two searched frames before it and the two after it, each moved by how fast it moves (see <see cref="KeyframeFaces"/>).
    /// 5 at 25 fps: a face crossing a 640-pixel picture in two seconds is still covered; 10 was not.
    /// </summary>
    public int VideoKeyframeInterval { get; set; } = 5;

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

        if (options.Endpoint is not null && (options.LargePersonGroupPrefix is null || !GroupPrefix().IsMatch(options.LargePersonGroupPrefix)))
        {
            failures.Add("OneValet:Faces:LargePersonGroupPrefix is required with an endpoint: 1 to 31 of a-z, 0-9, '-' and '_' (with '-' and 32 hex digits per building, a group id stays within the Face API's 64).");
        }

        if (!(options.ConfidenceThreshold > 0 && options.ConfidenceThreshold <= 1))
        {
            failures.Add("OneValet:Faces:ConfidenceThreshold must be greater than 0 and at most 1.");
        }

        if (options.MinimumFaceScore is < 0.3 or > 0.95)
        {
            failures.Add("OneValet:Faces:MinimumFaceScore must be 0.3 to 0.95.");
        }

        if (options.VideoKeyframeInterval is < 1 or > 25)
        {
            failures.Add("OneValet:Faces:VideoKeyframeInterval must be 1 to 25 frames.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[a-z0-9-_]{1,31}$")]
    private static partial Regex GroupPrefix();
}
