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

    /// <summary>
    /// The cascade that searches video keyframes for faces (Debian package <c>opencv-data</c>): OpenCV's LBP frontal-face
    /// cascade, several times faster than the Haar one; what it finds the Haar one confirms (see <see cref="LocalFaceDetector.DetectCandidates"/>).
    /// </summary>
    public string VideoCascadePath { get; set; } = "/usr/share/opencv4/lbpcascades/lbpcascade_frontalface.xml";

    /// <summary>
    /// Video keyframes are searched on a grayscale copy about this many pixels wide (in turn 100%, 90%, 105% and 125% of
    /// it, see <see cref="FaceRedactor"/>). The cascade's window is 24 pixels, so faces narrower than 24 pixels at the
    /// narrowest of those are not searched for in every keyframe: 8.3% of the picture's width at 320 (53 pixels of a
    /// 640-pixel frame, 107 of a 1280-pixel one), 6% every fourth keyframe. Faces at door distance are larger; wider finds
    /// smaller faces but is slower (about the square).
    /// </summary>
    public int VideoSearchWidth { get; set; } = 320;

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

        if (options.Endpoint is not null && (options.LargePersonGroupId is null || !CollectionId().IsMatch(options.LargePersonGroupId)))
        {
            failures.Add("OneValet:Faces:LargePersonGroupId is required with an endpoint: 1 to 64 of a-z, 0-9, '-' and '_'.");
        }

        if (!(options.ConfidenceThreshold > 0 && options.ConfidenceThreshold <= 1))
        {
            failures.Add("OneValet:Faces:ConfidenceThreshold must be greater than 0 and at most 1.");
        }

        if (options.VideoSearchWidth is < 160 or > 1920)
        {
            failures.Add("OneValet:Faces:VideoSearchWidth must be 160 to 1920 pixels.");
        }

        if (options.VideoKeyframeInterval is < 1 or > 25)
        {
            failures.Add("OneValet:Faces:VideoKeyframeInterval must be 1 to 25 frames.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[a-z0-9-_]{1,64}$")]
    private static partial Regex CollectionId();
}
