namespace OneValet.Pipeline.Media;

/// <summary>A header said something impossible (a box larger than its parent, a frame header of the wrong length...).
/// The reason names the structure, never content.</summary>
public sealed class MalformedMediaException(string reason) : Exception(reason);

/// <summary>A decoder found the content over the limits after all (e.g. ffprobe's size, from the codec's own parameters,
/// larger than the container said): <see cref="ReasonCode"/> is one of <see cref="MediaProbe"/>'s.</summary>
public sealed class MediaLimitExceededException(string reasonCode) : Exception("The content is over the media limits: " + reasonCode)
{
    public string ReasonCode { get; } = reasonCode;
}

/// <summary>
/// Reads exact byte ranges of a seekable stream (a blob's ranged-read stream, or the bytes of an upload in memory), each
/// checked against the stream's length first: a size field claiming more than there is reads nothing.
/// </summary>
internal sealed class HeaderReader(Stream stream)
{
    public long Length { get; } = stream.CanSeek ? stream.Length : throw new ArgumentException("The stream must be seekable.", nameof(stream));

    /// <summary>Exactly <paramref name="count"/> bytes at <paramref name="offset"/>, or null when the stream ends before.</summary>
    public async ValueTask<byte[]?> ReadAsync(long offset, int count, CancellationToken cancellationToken)
    {
        if (offset < 0 || count < 0 || offset > Length - count)
        {
            return null;
        }

        stream.Position = offset;
        var buffer = new byte[count];
        var read = await stream.ReadAtLeastAsync(buffer, count, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        return read == count ? buffer : null;
    }
}
