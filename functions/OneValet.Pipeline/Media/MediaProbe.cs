using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OneValet.Pipeline.Media;

/// <summary>What a header says: the size a decoder would allocate for (for a video, the largest of its tracks and sample
/// entries, longer side first), the frames and how long it plays (a JPEG: one frame, no duration).</summary>
public sealed record MediaFacts(long Width, long Height, long Frames, TimeSpan Duration);

/// <summary>The verdict on one image or video: <see cref="ReasonCode"/> null when it may be decoded.</summary>
public sealed record MediaCheck(string? ReasonCode, MediaFacts? Facts)
{
    public bool Passed => ReasonCode is null;
}

/// <summary>
/// Decoder bombs stop here: a JPEG's or an MP4's size, frames and duration are read from its header
/// (<see cref="JpegHeader"/>, <see cref="Mp4Header"/>: a few small reads, whatever the file's size; nothing is decoded)
/// and held to <see cref="MediaOptions"/> before anything decodes it. Called where images and videos come in: ingestion
/// (quarantine), Facial Entry enrollment (a 4xx problem), redaction for access answers and anonymization (withheld, or
/// deleted instead). Never throws for the content: a header that cannot be read is <see cref="UnreadableHeader"/>.
/// </summary>
public sealed partial class MediaProbe(IOptions<MediaOptions> options, ILogger<MediaProbe> logger)
{
    /// <summary>Wider or taller than the limits.</summary>
    public const string DimensionsTooLarge = "dimensions-too-large";

    /// <summary>More frames, or a longer duration, than the limits.</summary>
    public const string TooLong = "too-long";

    /// <summary>No size could be read (not a JPEG frame header, no movie box or video track, or a size field out of
    /// bounds): what a decoder would make of it is unknown, so nothing decodes it.</summary>
    public const string UnreadableHeader = "unreadable-header";

    public MediaOptions Limits => options.Value;

    /// <summary>Checks a JPEG (<paramref name="content"/> seekable; its position is moved).</summary>
    public Task<MediaCheck> CheckJpegAsync(Stream content, CancellationToken cancellationToken) =>
        CheckAsync(content, isVideo: false, cancellationToken);

    /// <summary>Checks an MP4 video (<paramref name="content"/> seekable; its position is moved).</summary>
    public Task<MediaCheck> CheckMp4Async(Stream content, CancellationToken cancellationToken) =>
        CheckAsync(content, isVideo: true, cancellationToken);

    private async Task<MediaCheck> CheckAsync(Stream content, bool isVideo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var limits = options.Value;
        MediaFacts facts;
        try
        {
            var reader = new HeaderReader(content);
            facts = isVideo
                ? await Mp4Header.ReadAsync(reader, limits.MaxVideoFrames, cancellationToken).ConfigureAwait(false)
                : await JpegHeader.ReadAsync(reader, cancellationToken).ConfigureAwait(false);
        }
        catch (MalformedMediaException e)
        {
            LogUnreadable(logger, isVideo ? "mp4" : "jpeg", e.Message);
            return new MediaCheck(UnreadableHeader, null);
        }

        var fits = isVideo
            ? MediaOptions.Fits(facts.Width, facts.Height, limits.MaxVideoWidth, limits.MaxVideoHeight)
            : MediaOptions.Fits(facts.Width, facts.Height, limits.MaxImageWidth, limits.MaxImageHeight);
        var reason = !fits ? DimensionsTooLarge
            : isVideo && (facts.Frames > limits.MaxVideoFrames || facts.Duration > limits.MaxVideoDuration) ? TooLong
            : null;
        if (reason is not null)
        {
            LogRefused(logger, isVideo ? "mp4" : "jpeg", reason, facts.Width, facts.Height, facts.Frames, facts.Duration.TotalSeconds);
        }

        return new MediaCheck(reason, facts);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "A {Format} header could not be read: {Why}")]
    private static partial void LogUnreadable(ILogger logger, string format, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {Format} over the limits will not be decoded: {ReasonCode} ({Width}x{Height}, {Frames} frames, {Seconds} s)")]
    private static partial void LogRefused(ILogger logger, string format, string reasonCode, long width, long height, long frames, double seconds);
}
