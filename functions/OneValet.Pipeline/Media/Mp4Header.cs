using System.Buffers.Binary;

namespace OneValet.Pipeline.Media;

/// <summary>
/// The size, length and frame count of an MP4 (ISO BMFF) video, read from its boxes without decoding anything. Every size
/// field is checked against what contains it before it is used (0 = to the end, 1 = a 64-bit size follows); only the boxes
/// on the known paths are entered, so nesting is at most seven deep whatever the file says.
/// <list type="bullet">
/// <item>Top level, walked box by box (a box's payload is skipped, not read, but for <c>moov</c> and <c>moof</c>): exactly
/// one <c>moov</c>, at most <see cref="MaxMovieBytes"/>; each <c>moof</c> at most <see cref="MaxFragmentBytes"/>; at
/// most <c>4 x frames + 1024</c> boxes.</item>
/// <item><c>moov/mvhd</c> and <c>moov/mvex/mehd</c>: the movie's duration; each <c>trak</c>: <c>tkhd</c> width and height
/// (every track), and for video tracks (<c>hdlr</c> <c>vide</c>): <c>mdhd</c> duration, every <c>stsd</c> visual sample
/// entry's width and height, <c>stsz</c>/<c>stz2</c> sample count.</item>
/// <item>Fragmented files: the sample counts of every <c>moof/traf/trun</c> of a video track, added up.</item>
/// </list>
/// The decoder's own idea of the size (an H.264 SPS) can differ from the container's: the redactor runs ffprobe with the
/// limit (<c>-max_pixels</c>), checks the size it reports, and ffmpeg decodes no frame larger (<see cref="Faces.FaceRedactor"/>).
/// </summary>
internal static class Mp4Header
{
    public const int MaxMovieBytes = 16 * 1024 * 1024;

    public const int MaxFragmentBytes = 1024 * 1024;

    private const uint Ftyp = 0x66747970, Moov = 0x6D6F6F76, Moof = 0x6D6F6F66, Mvhd = 0x6D766864, Mvex = 0x6D766578,
        Mehd = 0x6D656864, Trak = 0x7472616B, Tkhd = 0x746B6864, Mdia = 0x6D646961, Mdhd = 0x6D646864, Hdlr = 0x68646C72,
        Minf = 0x6D696E66, Stbl = 0x7374626C, Stsd = 0x73747364, Stsz = 0x7374737A, Stz2 = 0x73747A32, Traf = 0x74726166,
        Tfhd = 0x74666864, Trun = 0x7472756E, Vide = 0x76696465;

    public static async ValueTask<MediaFacts> ReadAsync(HeaderReader reader, long maxFrames, CancellationToken cancellationToken)
    {
        var maxBoxes = (4 * maxFrames) + 1024;
        Movie? movie = null;
        long position = 0;
        var fragmentFrames = new Dictionary<uint, long>();
        for (long boxes = 0; position < reader.Length; boxes++)
        {
            if (boxes == maxBoxes)
            {
                throw new MalformedMediaException("too many top-level boxes");
            }

            var head = await reader.ReadAsync(position, 8, cancellationToken).ConfigureAwait(false) ?? throw new MalformedMediaException("a box header is cut off");
            long size = BinaryPrimitives.ReadUInt32BigEndian(head);
            var type = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(4));
            var headerSize = 8;
            if (size == 1)
            {
                var large = await reader.ReadAsync(position + 8, 8, cancellationToken).ConfigureAwait(false) ?? throw new MalformedMediaException("a box's 64-bit size is cut off");
                var value = BinaryPrimitives.ReadUInt64BigEndian(large);
                size = value > long.MaxValue ? long.MaxValue : (long)value;
                headerSize = 16;
            }
            else if (size == 0)
            {
                size = reader.Length - position;
            }

            if (size < headerSize || size > reader.Length - position)
            {
                throw new MalformedMediaException("a top-level box's size is out of bounds");
            }

            if (boxes == 0 && type != Ftyp)
            {
                throw new MalformedMediaException("the first box is not ftyp");
            }

            if (type == Moov)
            {
                if (movie is not null)
                {
                    throw new MalformedMediaException("two movie boxes");
                }

                movie = ReadMovie(await PayloadAsync(reader, position, size, headerSize, MaxMovieBytes, cancellationToken).ConfigureAwait(false));
            }
            else if (type == Moof)
            {
                if (movie is null)
                {
                    throw new MalformedMediaException("a movie fragment before the movie box");
                }

                CountFragment(await PayloadAsync(reader, position, size, headerSize, MaxFragmentBytes, cancellationToken).ConfigureAwait(false), movie, fragmentFrames);
                if (fragmentFrames.Values.Any(frames => frames > maxFrames))
                {
                    break; // enough to know it is too long
                }
            }

            position += size;
        }

        if (movie is null)
        {
            throw new MalformedMediaException("no movie box");
        }

        if (movie.VideoTracks.Count == 0)
        {
            throw new MalformedMediaException("no video track");
        }

        var frames = movie.VideoTracks.Max(t => t.Samples + fragmentFrames.GetValueOrDefault(t.Id));
        var duration = Math.Max(movie.Duration, movie.VideoTracks.Max(t => t.Duration));
        return new MediaFacts(movie.Longer, movie.Shorter, frames, TimeSpan.FromSeconds(Math.Min(duration, TimeSpan.MaxValue.TotalSeconds / 2)));
    }

    private static async ValueTask<byte[]> PayloadAsync(HeaderReader reader, long position, long size, int headerSize, int most, CancellationToken cancellationToken)
    {
        if (size - headerSize > most)
        {
            throw new MalformedMediaException("a movie or fragment box larger than allowed");
        }

        return await reader.ReadAsync(position + headerSize, (int)(size - headerSize), cancellationToken).ConfigureAwait(false)
            ?? throw new MalformedMediaException("a box is cut off");
    }

    private static Movie ReadMovie(ReadOnlySpan<byte> moov)
    {
        var movie = new Movie();
        var boxes = new BoxReader(moov);
        while (boxes.Next(out var type, out var payload))
        {
            switch (type)
            {
                case Mvhd:
                    movie.Duration = Math.Max(movie.Duration, FullBoxDuration(payload, version0At: 12, version1At: 20));
                    break;
                case Mvex:
                    var extends = new BoxReader(payload);
                    while (extends.Next(out var child, out var content))
                    {
                        if (child == Mehd)
                        {
                            // fragment_duration in the movie's timescale (mvhd comes first in every writer's output).
                            var version = Byte(content, 0);
                            var ticks = version == 1 ? U64(content, 4) : U32(content, 4);
                            movie.Duration = Math.Max(movie.Duration, movie.Timescale > 0 ? ticks / (double)movie.Timescale : 0);
                        }
                    }

                    break;
                case Trak:
                    ReadTrack(payload, movie);
                    break;
            }

            if (type == Mvhd)
            {
                movie.Timescale = Byte(payload, 0) == 1 ? U32(payload, 20) : U32(payload, 12);
            }
        }

        return movie;
    }

    private static void ReadTrack(ReadOnlySpan<byte> trak, Movie movie)
    {
        uint id = 0;
        var isVideo = false;
        var duration = 0d;
        long samples = 0;
        var entries = 0;
        var boxes = new BoxReader(trak);
        while (boxes.Next(out var type, out var payload))
        {
            if (type == Tkhd)
            {
                // Every track's presentation size (16.16 fixed point), video or not.
                var version = Byte(payload, 0);
                id = U32(payload, version == 1 ? 20 : 12);
                var at = version == 1 ? 88 : 76;
                movie.Fit(U32(payload, at) >> 16, U32(payload, at + 4) >> 16);
            }
            else if (type == Mdia)
            {
                // hdlr says what the track is; it may come after minf, so the sample entries are read in a second pass.
                var media = new BoxReader(payload);
                while (media.Next(out var child, out var content))
                {
                    if (child == Hdlr)
                    {
                        isVideo = U32(content, 8) == Vide;
                    }
                    else if (child == Mdhd)
                    {
                        duration = FullBoxDuration(content, version0At: 12, version1At: 20);
                    }
                }

                if (!isVideo)
                {
                    continue;
                }

                media = new BoxReader(payload);
                while (media.Next(out var child, out var content))
                {
                    if (child == Minf && Child(content, Stbl, out var stbl))
                    {
                        var table = new BoxReader(stbl);
                        while (table.Next(out var box, out var data))
                        {
                            if (box == Stsd)
                            {
                                entries += ReadVisualEntries(data, movie);
                            }
                            else if (box == Stsz || box == Stz2)
                            {
                                samples = Math.Max(samples, U32(data, 8));
                            }
                        }
                    }
                }
            }
        }

        if (isVideo)
        {
            if (entries == 0)
            {
                throw new MalformedMediaException("a video track without a sample description");
            }

            movie.VideoTracks.Add(new Track(id, samples, duration));
        }
    }

    /// <summary>Each visual sample entry's width and height (after 6 reserved bytes, the data reference index and 16 bytes
    /// of pre-defined and reserved fields); the number of entries.</summary>
    private static int ReadVisualEntries(ReadOnlySpan<byte> stsd, Movie movie)
    {
        var count = U32(stsd, 4);
        var entries = new BoxReader(stsd[8..]);
        var read = 0;
        while (entries.Next(out _, out var entry))
        {
            var width = (uint)((Byte(entry, 24) << 8) | Byte(entry, 25));
            var height = (uint)((Byte(entry, 26) << 8) | Byte(entry, 27));
            if (width == 0 || height == 0)
            {
                throw new MalformedMediaException("a visual sample entry with no size");
            }

            movie.Fit(width, height);
            read++;
        }

        return read == count ? read : throw new MalformedMediaException("a sample description's entry count is wrong");
    }

    /// <summary>Adds up the samples of each video track's runs in one movie fragment.</summary>
    private static void CountFragment(ReadOnlySpan<byte> moof, Movie movie, Dictionary<uint, long> frames)
    {
        var boxes = new BoxReader(moof);
        while (boxes.Next(out var type, out var traf))
        {
            if (type != Traf)
            {
                continue;
            }

            uint? track = null;
            long samples = 0;
            var children = new BoxReader(traf);
            while (children.Next(out var child, out var content))
            {
                if (child == Tfhd)
                {
                    track = U32(content, 4);
                }
                else if (child == Trun)
                {
                    samples += U32(content, 4);
                }
            }

            var id = track ?? throw new MalformedMediaException("a track fragment without its header");
            if (movie.VideoTracks.Any(t => t.Id == id))
            {
                frames[id] = frames.GetValueOrDefault(id) + samples;
            }
        }
    }

    private static bool Child(ReadOnlySpan<byte> parent, uint wanted, out ReadOnlySpan<byte> payload)
    {
        var boxes = new BoxReader(parent);
        while (boxes.Next(out var type, out payload))
        {
            if (type == wanted)
            {
                return true;
            }
        }

        payload = default;
        return false;
    }

    /// <summary>A full box's duration in seconds: timescale then duration, 32-bit (version 0) or 64-bit (version 1). An
    /// all-ones duration means "unknown": 0.</summary>
    private static double FullBoxDuration(ReadOnlySpan<byte> payload, int version0At, int version1At)
    {
        var version = Byte(payload, 0);
        var at = version == 1 ? version1At : version0At;
        var timescale = U32(payload, at);
        var duration = version == 1 ? U64(payload, at + 4) : U32(payload, at + 4);
        if (timescale == 0)
        {
            throw new MalformedMediaException("a timescale of 0");
        }

        return duration == (version == 1 ? ulong.MaxValue : uint.MaxValue) ? 0 : duration / (double)timescale;
    }

    private static byte Byte(ReadOnlySpan<byte> data, int at) =>
        at + 1 <= data.Length ? data[at] : throw new MalformedMediaException("a box too short for its fields");

    private static uint U32(ReadOnlySpan<byte> data, int at) =>
        at + 4 <= data.Length ? BinaryPrimitives.ReadUInt32BigEndian(data[at..]) : throw new MalformedMediaException("a box too short for its fields");

    private static ulong U64(ReadOnlySpan<byte> data, int at) =>
        at + 8 <= data.Length ? BinaryPrimitives.ReadUInt64BigEndian(data[at..]) : throw new MalformedMediaException("a box too short for its fields");

    /// <summary>The child boxes of a payload in memory, each size checked against what is left of its parent.</summary>
    private ref struct BoxReader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _rest = data;

        public bool Next(out uint type, out ReadOnlySpan<byte> payload)
        {
            type = 0;
            payload = default;
            if (_rest.IsEmpty)
            {
                return false;
            }

            if (_rest.Length < 8)
            {
                throw new MalformedMediaException("a box header is cut off");
            }

            ulong size = BinaryPrimitives.ReadUInt32BigEndian(_rest);
            type = BinaryPrimitives.ReadUInt32BigEndian(_rest[4..]);
            var header = 8;
            if (size == 1)
            {
                size = U64(_rest, 8);
                header = 16;
            }
            else if (size == 0)
            {
                size = (ulong)_rest.Length;
            }

            if (size < (ulong)header || size > (ulong)_rest.Length)
            {
                throw new MalformedMediaException("a box's size is out of bounds");
            }

            payload = _rest[header..(int)size];
            _rest = _rest[(int)size..];
            return true;
        }
    }

    private sealed record Track(uint Id, long Samples, double Duration);

    private sealed class Movie
    {
        public double Duration { get; set; }

        public uint Timescale { get; set; }

        /// <summary>The longest side of any track or sample entry.</summary>
        public uint Longer { get; private set; }

        /// <summary>The longest shorter side of any track or sample entry: each fits the limits if and only if
        /// (<see cref="Longer"/>, <see cref="Shorter"/>) does.</summary>
        public uint Shorter { get; private set; }

        public List<Track> VideoTracks { get; } = [];

        public void Fit(uint width, uint height)
        {
            Longer = Math.Max(Longer, Math.Max(width, height));
            Shorter = Math.Max(Shorter, Math.Min(width, height));
        }
    }
}
