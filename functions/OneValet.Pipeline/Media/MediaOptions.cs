using Microsoft.Extensions.Options;

namespace OneValet.Pipeline.Media;

/// <summary>
/// How large an image or a video may be before anything decodes it (section <c>OneValet:Media</c>): read from the file's
/// own header (<see cref="MediaProbe"/>), so a tiny file claiming 65500x65500 pixels, or a million frames, is refused
/// before a decoder allocates for it. Sizes fit either way round (a portrait 2160x3840 video fits 3840x2160).
/// </summary>
public sealed class MediaOptions
{
    public const string Section = "OneValet:Media";

    /// <summary>The widest a JPEG may be (its longer side): 4096, the Face API's own limit.</summary>
    public int MaxImageWidth { get; set; } = 4096;

    /// <summary>The tallest a JPEG may be (its shorter side).</summary>
    public int MaxImageHeight { get; set; } = 4096;

    /// <summary>The widest a video may be (its longer side): 3840, UHD.</summary>
    public int MaxVideoWidth { get; set; } = 3840;

    /// <summary>The tallest a video may be (its shorter side): 2160, UHD.</summary>
    public int MaxVideoHeight { get; set; } = 2160;

    /// <summary>The longest a video may play: 15 minutes (an entry camera uploads clips of seconds to minutes).</summary>
    public TimeSpan MaxVideoDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The most frames (samples) a video track may have: 15 minutes at 30 frames per second.</summary>
    public long MaxVideoFrames { get; set; } = 27_000;

    /// <summary>Whether <paramref name="width"/> x <paramref name="height"/> fits in <paramref name="maxWidth"/> x
    /// <paramref name="maxHeight"/>, either way round.</summary>
    public static bool Fits(long width, long height, int maxWidth, int maxHeight) =>
        width > 0 && height > 0
        && Math.Max(width, height) <= Math.Max(maxWidth, maxHeight)
        && Math.Min(width, height) <= Math.Min(maxWidth, maxHeight);
}

/// <summary>Start-up checks of <see cref="MediaOptions"/>: a limit out of range stops the host (the messages name settings).</summary>
internal sealed class MediaOptionsValidator : IValidateOptions<MediaOptions>
{
    public ValidateOptionsResult Validate(string? name, MediaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.MaxImageWidth is < 64 or > 16384)
        {
            failures.Add("OneValet:Media:MaxImageWidth must be 64 to 16384 pixels.");
        }

        if (options.MaxImageHeight is < 64 or > 16384)
        {
            failures.Add("OneValet:Media:MaxImageHeight must be 64 to 16384 pixels.");
        }

        if (options.MaxVideoWidth is < 64 or > 7680)
        {
            failures.Add("OneValet:Media:MaxVideoWidth must be 64 to 7680 pixels (8K).");
        }

        if (options.MaxVideoHeight is < 64 or > 4320)
        {
            failures.Add("OneValet:Media:MaxVideoHeight must be 64 to 4320 pixels (8K).");
        }

        if (options.MaxVideoDuration < TimeSpan.FromSeconds(1) || options.MaxVideoDuration > TimeSpan.FromHours(2))
        {
            failures.Add("OneValet:Media:MaxVideoDuration must be 1 second to 2 hours.");
        }

        if (options.MaxVideoFrames is < 1 or > 432_000)
        {
            failures.Add("OneValet:Media:MaxVideoFrames must be 1 to 432000 (2 hours at 60 frames per second).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
