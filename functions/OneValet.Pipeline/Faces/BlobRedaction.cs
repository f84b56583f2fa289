using Azure;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using OneValet.Pipeline.Media;

namespace OneValet.Pipeline.Faces;

/// <summary>What became of redacting one stored recording: the redaction, or why there is none.</summary>
public sealed record BlobRedactionOutcome(RedactionResult? Result, string? ReasonCode)
{
    public bool Redacted => Result is not null;
}

/// <summary>
/// Redacts one stored recording (a blob of the <c>recordings</c> container) into an output stream with
/// <see cref="FaceRedactor"/>: MP4 video or JPEG by content type. Never throws for the content itself: footage that cannot
/// be decoded, or takes too long, comes back as a reason code, so the caller withholds it (an access answer) or deletes it
/// (anonymization) instead of ever handing out the original. Storage errors other than "not found" are thrown, so the
/// caller's retry takes over. The original blob is only read. The redactor is created on first use: where its detector or
/// ffmpeg is missing, redaction answers <see cref="Unavailable"/> and everything else (retention, requests) still runs.
/// </summary>
public sealed partial class BlobRedaction(Lazy<FaceRedactor> redactor, MediaProbe media, ILogger<BlobRedaction> logger)
{
    /// <summary>The blob is gone (deleted under its retention rule in the meantime).</summary>
    public const string Gone = "gone";

    /// <summary>Neither an MP4 video nor a JPEG image.</summary>
    public const string UnsupportedFormat = "unsupported-format";

    /// <summary>The content could not be decoded (corrupt, truncated, or not what its name says), or held no frame.</summary>
    public const string Undecodable = "undecodable";

    /// <summary>Its header claims a size over <see cref="MediaOptions"/> (or ffprobe found one): never decoded.</summary>
    public const string DimensionsTooLarge = MediaProbe.DimensionsTooLarge;

    /// <summary>Its header claims more frames, or a longer duration, than <see cref="MediaOptions"/> allow: never decoded.</summary>
    public const string TooLong = MediaProbe.TooLong;

    /// <summary>The redaction took longer than allowed.</summary>
    public const string TimedOut = "timed-out";

    /// <summary>This host cannot redact: the face detector's cascade or ffmpeg is missing (see <see cref="FaceOptions"/>).</summary>
    public const string Unavailable = "redaction-unavailable";

    /// <summary>Redacts <paramref name="source"/> into <paramref name="output"/>. <paramref name="requesterFace"/> null: every face is blurred.</summary>
    public Task<BlobRedactionOutcome> RedactAsync(
        BlobClient source,
        string contentType,
        FaceRectangle? requesterFace,
        Stream output,
        TimeSpan timeout,
        CancellationToken cancellationToken) =>
        RedactAsync(source, contentType, requesterFace, findRequester: null, output, timeout, cancellationToken);

    /// <summary>As above; a video's requester is found in each keyframe by <paramref name="findRequester"/> where one is given.</summary>
    public async Task<BlobRedactionOutcome> RedactAsync(
        BlobClient source,
        string contentType,
        FaceRectangle? requesterFace,
        RequesterFinder? findRequester,
        Stream output,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(output);
        if (contentType is not ("video/mp4" or "image/jpeg"))
        {
            return new BlobRedactionOutcome(null, UnsupportedFormat);
        }

        FaceRedactor faces;
        try
        {
            faces = redactor.Value;
        }
        catch (InvalidOperationException e)
        {
            return Failed(Unavailable, e.GetType().Name);
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await using var input = await source.OpenReadAsync(cancellationToken: limit.Token).ConfigureAwait(false);

            // Decoder bombs: the header's size, frames and duration are held to the limits before anything decodes it (a
            // header that cannot be read is never decoded either).
            var check = contentType == "video/mp4"
                ? await media.CheckMp4Async(input, limit.Token).ConfigureAwait(false)
                : await media.CheckJpegAsync(input, limit.Token).ConfigureAwait(false);
            if (!check.Passed)
            {
                return Failed(check.ReasonCode == MediaProbe.UnreadableHeader ? Undecodable : check.ReasonCode!, "header");
            }

            input.Position = 0;
            var result = contentType == "video/mp4"
                ? findRequester is not null
                    ? await faces.RedactMp4Async(input, output, findRequester, media.Limits, limit.Token).ConfigureAwait(false)
                    : await faces.RedactMp4Async(input, output, requesterFace, media.Limits, limit.Token).ConfigureAwait(false)
                : await faces.RedactJpegAsync(input, output, requesterFace, limit.Token).ConfigureAwait(false);
            return result.Frames == 0 ? Failed(Undecodable, "no frames") : new BlobRedactionOutcome(result, null);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return new BlobRedactionOutcome(null, Gone);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return Failed(TimedOut, nameof(OperationCanceledException));
        }
        catch (MediaLimitExceededException e)
        {
            return Failed(e.ReasonCode, "decoder");
        }
#pragma warning disable CA1031 // ffmpeg, ffprobe and OpenCV fail on bad content in many ways (their own exception types, IO, format, JSON): all mean "cannot be redacted", and the caller withholds or deletes. Storage errors and cancellation are rethrown.
        catch (Exception e) when (e is not (RequestFailedException or OperationCanceledException))
#pragma warning restore CA1031
        {
            // Cancelled by the time limit while ffmpeg was being stopped: still a time-out. No ffmpeg to start: unavailable.
            return limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested ? Failed(TimedOut, e.GetType().Name)
                : e is System.ComponentModel.Win32Exception ? Failed(Unavailable, e.GetType().Name)
                : Failed(Undecodable, e.GetType().Name);
        }
    }

    private BlobRedactionOutcome Failed(string reasonCode, string cause)
    {
        // The exception's type only: ffmpeg's messages name staging files and stream details, and say nothing useful here.
        LogFailed(logger, reasonCode, cause);
        return new BlobRedactionOutcome(null, reasonCode);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A recording could not be redacted: {ReasonCode} ({Cause})")]
    private static partial void LogFailed(ILogger logger, string reasonCode, string cause);
}
