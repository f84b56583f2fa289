using System.Buffers.Binary;

namespace OneValet.Pipeline.Media;

/// <summary>
/// The frame header (SOF) of a JPEG, read without decoding anything: the markers from the start of the file are walked
/// segment by segment (each skipped by its own length) until the first SOF, which gives the width, height and number of
/// components the decoder will allocate for. libjpeg refuses a second SOF, so the first one is the one decoded.
/// Refused as malformed: no SOI, a scan or the end before a frame header, a height of 0 (defined later by a DNL marker: the
/// size would be unknown until decoding), a frame header of the wrong length, more than <see cref="MaxSegments"/>
/// segments or <see cref="MaxFillBytes"/> fill bytes before it.
/// </summary>
internal static class JpegHeader
{
    /// <summary>Segments before the frame header (APPn, COM, DQT, DHT, DRI): a camera writes a dozen; ICC profiles up to 255.</summary>
    public const int MaxSegments = 512;

    public const int MaxFillBytes = 1024;

    public static async ValueTask<MediaFacts> ReadAsync(HeaderReader reader, CancellationToken cancellationToken)
    {
        if (await reader.ReadAsync(0, 2, cancellationToken).ConfigureAwait(false) is not [0xFF, 0xD8])
        {
            throw new MalformedMediaException("no JPEG start of image");
        }

        long position = 2;
        var fill = 0;
        for (var segment = 0; segment < MaxSegments;)
        {
            var marker = await reader.ReadAsync(position, 2, cancellationToken).ConfigureAwait(false) ?? throw new MalformedMediaException("the file ends before a frame header");
            if (marker[0] != 0xFF)
            {
                throw new MalformedMediaException("bytes where a marker should be");
            }

            var code = marker[1];
            if (code == 0xFF)
            {
                // A fill byte: the marker code comes later.
                position++;
                if (++fill > MaxFillBytes)
                {
                    throw new MalformedMediaException("too many fill bytes");
                }

                continue;
            }

            position += 2;
            segment++;
            switch (code)
            {
                case 0x00 or 0xD8 or 0xD9 or 0xDA:
                    throw new MalformedMediaException("no frame header before the scan or the end");
                case 0x01 or (>= 0xD0 and <= 0xD7):
                    continue; // TEM and RSTn stand alone
            }

            var lengthBytes = await reader.ReadAsync(position, 2, cancellationToken).ConfigureAwait(false) ?? throw new MalformedMediaException("a segment's length is cut off");
            int length = BinaryPrimitives.ReadUInt16BigEndian(lengthBytes);
            if (length < 2)
            {
                throw new MalformedMediaException("a segment shorter than its length field");
            }

            if (IsFrameHeader(code))
            {
                var header = await reader.ReadAsync(position + 2, length - 2, cancellationToken).ConfigureAwait(false) ?? throw new MalformedMediaException("the frame header is cut off");
                if (header.Length < 6)
                {
                    throw new MalformedMediaException("a frame header too short");
                }

                int height = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(1));
                int width = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(3));
                int components = header[5];
                if (width == 0 || height == 0 || components is < 1 or > 4 || length != 8 + (3 * components))
                {
                    throw new MalformedMediaException("a frame header with no size, or of the wrong length");
                }

                return new MediaFacts(width, height, Frames: 1, Duration: TimeSpan.Zero);
            }

            position += length;
        }

        throw new MalformedMediaException("too many segments before the frame header");
    }

    /// <summary>SOF0 to SOF15, but for DHT (C4), JPG (C8) and DAC (CC), which share the range.</summary>
    private static bool IsFrameHeader(byte code) => code is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC);
}
