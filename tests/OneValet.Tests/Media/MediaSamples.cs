using System.Buffers.Binary;
using System.Text;

namespace OneValet.Tests.Media;

/// <summary>
/// Crafted JPEG and MP4 headers, as an attacker writes them: a few hundred bytes claiming any size, frame count or
/// duration. Only the structure a header parser (or a decoder's probe) reads is there; the "image data" is filler.
/// </summary>
internal static class MediaSamples
{
    /// <summary>SOI, APP0 (JFIF), optional comments, SOF0 with the given size, a short SOS, filler, EOI.</summary>
    public static byte[] Jpeg(int width, int height, int components = 3, int comments = 0, int size = 0, int seed = 1)
    {
        var jpeg = new MemoryStream();
        jpeg.Write([0xFF, 0xD8]);
        Segment(jpeg, 0xE0, [.. "JFIF\0"u8, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
        for (var i = 0; i < comments; i++)
        {
            Segment(jpeg, 0xFE, Encoding.ASCII.GetBytes($"comment {i}"));
        }

        var frame = new List<byte> { 8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, (byte)components };
        for (var c = 0; c < components; c++)
        {
            frame.AddRange([(byte)(c + 1), 0x11, 0]);
        }

        Segment(jpeg, 0xC0, [.. frame]);
        Segment(jpeg, 0xDA, [1, 1, 0, 0, 0x3F, 0]);
        var random = new Random(seed);
        var filler = new byte[Math.Max(64, size - (int)jpeg.Length - 2)];
        random.NextBytes(filler);
        for (var i = 0; i < filler.Length; i++)
        {
            filler[i] = filler[i] == 0xFF ? (byte)0xFE : filler[i]; // no marker inside the scan
        }

        jpeg.Write(filler);
        jpeg.Write([0xFF, 0xD9]);
        return jpeg.ToArray();
    }

    /// <summary>
    /// ftyp, moov (mvhd, one video trak: tkhd, mdia with mdhd, hdlr 'vide' and minf/stbl with an avc1 sample entry and
    /// stsz), then either one mdat, or (fragmented) mvex and <paramref name="fragments"/> moof+mdat pairs of
    /// <paramref name="samplesPerFragment"/> samples each. Durations in a 1000 Hz timescale.
    /// </summary>
    public static byte[] Mp4(
        int width,
        int height,
        long samples = 25,
        long durationMs = 1000,
        int fragments = 0,
        uint samplesPerFragment = 25,
        int? trackWidth = null,
        int? trackHeight = null,
        bool moovLast = false)
    {
        var ftyp = Box("ftyp", [.. "isom"u8], U32(0x200), [.. "isomiso2avc1mp41"u8]);
        var mvhd = Box("mvhd", U32(0), U32(0), U32(0), U32(1000), U32((uint)Math.Min(durationMs, uint.MaxValue - 1)), U32(0x10000), U16(0x100), new byte[10], Matrix(), new byte[24], U32(2));
        var tkhd = Box("tkhd", U32(3), U32(0), U32(0), U32(1), U32(0), U32((uint)Math.Min(durationMs, uint.MaxValue - 1)), new byte[8], U16(0), U16(0), U16(0), U16(0), Matrix(), U32((uint)((trackWidth ?? width) << 16)), U32((uint)((trackHeight ?? height) << 16)));
        var mdhd = Box("mdhd", U32(0), U32(0), U32(0), U32(1000), U32((uint)Math.Min(durationMs, uint.MaxValue - 1)), U16(0x55C4), U16(0));
        var hdlr = Box("hdlr", U32(0), U32(0), [.. "vide"u8], new byte[12], [.. "VideoHandler\0"u8]);
        var avc1 = Box("avc1", new byte[6], U16(1), U16(0), U16(0), new byte[12], U16((ushort)width), U16((ushort)height), U32(0x480000), U32(0x480000), U32(0), U16(1), new byte[32], U16(0x18), U16(0xFFFF));
        var stsd = Box("stsd", U32(0), U32(1), avc1);
        var stsz = Box("stsz", U32(0), U32(100), U32((uint)Math.Min(samples, uint.MaxValue)));
        var stbl = Box("stbl", stsd, stsz);
        var minf = Box("minf", stbl);
        var mdia = Box("mdia", mdhd, hdlr, minf);
        var trak = Box("trak", tkhd, mdia);
        var moov = fragments > 0
            ? Box("moov", mvhd, trak, Box("mvex", Box("trex", U32(0), U32(1), U32(1), U32(0), U32(0), U32(0))))
            : Box("moov", mvhd, trak);
        var file = new MemoryStream();
        file.Write(ftyp);
        if (!moovLast)
        {
            file.Write(moov);
        }

        file.Write(Box("mdat", new byte[16]));
        for (var i = 0; i < fragments; i++)
        {
            file.Write(Box("moof", Box("mfhd", U32(0), U32((uint)i + 1)), Box("traf", Box("tfhd", U32(0x20000), U32(1)), Box("trun", U32(0), U32(samplesPerFragment)))));
            file.Write(Box("mdat", new byte[8]));
        }

        if (moovLast)
        {
            file.Write(moov);
        }

        return file.ToArray();
    }

    public static byte[] Box(string type, params byte[][] parts)
    {
        var length = 8 + parts.Sum(p => p.Length);
        var box = new byte[length];
        BinaryPrimitives.WriteUInt32BigEndian(box, (uint)length);
        Encoding.ASCII.GetBytes(type, box.AsSpan(4));
        var at = 8;
        foreach (var part in parts)
        {
            part.CopyTo(box, at);
            at += part.Length;
        }

        return box;
    }

    public static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] U16(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] Matrix()
    {
        var matrix = new byte[36];
        BinaryPrimitives.WriteUInt32BigEndian(matrix, 0x10000);
        BinaryPrimitives.WriteUInt32BigEndian(matrix.AsSpan(16), 0x10000);
        BinaryPrimitives.WriteUInt32BigEndian(matrix.AsSpan(32), 0x40000000);
        return matrix;
    }

    private static void Segment(Stream jpeg, byte marker, byte[] payload)
    {
        jpeg.Write([0xFF, marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2)]);
        jpeg.Write(payload);
    }
}
