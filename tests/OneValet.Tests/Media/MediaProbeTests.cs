using System.Buffers.Binary;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OneValet.Pipeline;
using OneValet.Pipeline.Media;
using OneValet.Tests.Faces;
using Xunit;

namespace OneValet.Tests.Media;

/// <summary>
/// Decoder bombs (#13): a JPEG's or an MP4's size, frames and duration are read from its header and held to the limits
/// before anything decodes it. Real files (OpenCV's JPEG, ffmpeg's MP4 with the movie box last, first, or fragmented)
/// pass with their true size; tiny crafted files claiming 65500x65500 pixels, ten million frames or ten hours are
/// refused, reading a few hundred bytes; mutated headers (cut anywhere, size fields 0, 1, too large, negative as signed,
/// boxes nested deep) never make the probe throw.
/// </summary>
public sealed class MediaProbeTests
{
    private static readonly MediaProbe Probe = new(Options.Create(new MediaOptions()), NullLogger<MediaProbe>.Instance);

    [Fact]
    public async Task Real_files_pass_with_their_true_size_frames_and_duration()
    {
        var jpeg = FootageSamples.Jpeg(FootageSamples.Left);
        using var decoded = OpenCvSharp.Cv2.ImDecode(jpeg, OpenCvSharp.ImreadModes.Color);
        var image = await CheckAsync(jpeg, video: false);
        Assert.True(image.Passed);
        Assert.Equal((decoded.Width, decoded.Height, 1L), (image.Facts!.Width, image.Facts.Height, image.Facts.Frames));

        var mp4 = FootageSamples.Mp4(12, FootageSamples.Left);
        foreach (var (name, bytes) in new[] { ("moov last", mp4), ("faststart", Remux(mp4, "+faststart")), ("fragmented", Remux(mp4, "+frag_keyframe+empty_moov+default_base_moof")) })
        {
            var video = await CheckAsync(bytes, video: true);
            Assert.True(video.Passed, $"{name}: {video.ReasonCode}");
            Assert.Equal((long)Math.Max(decoded.Width, decoded.Height), video.Facts!.Width);
            Assert.Equal(12, video.Facts.Frames);
            // 12 frames at 5 fps; a fragmented file written live has no duration up front (0): its frames are counted.
            Assert.InRange(video.Facts.Duration.TotalSeconds, name == "fragmented" ? 0 : 2.3, 2.5);
        }
    }

    [Theory]
    [InlineData("jpeg 65500x65500", MediaProbe.DimensionsTooLarge)]
    [InlineData("jpeg 4097x100", MediaProbe.DimensionsTooLarge)]
    [InlineData("jpeg 100x4097", MediaProbe.DimensionsTooLarge)]
    [InlineData("jpeg 4096x4096", null)]
    [InlineData("jpeg 640x480 behind 300 comment segments", null)]
    [InlineData("mp4 65535x65535", MediaProbe.DimensionsTooLarge)]
    [InlineData("mp4 3841x2160", MediaProbe.DimensionsTooLarge)]
    [InlineData("mp4 3840x2161", MediaProbe.DimensionsTooLarge)]
    [InlineData("mp4 3840x2160", null)]
    [InlineData("mp4 2160x3840 portrait", null)]
    [InlineData("mp4 sample entry 640x360, track header 65535x65535", MediaProbe.DimensionsTooLarge)]
    [InlineData("mp4 track header 640x360, sample entry 65535x65535", MediaProbe.DimensionsTooLarge)]
    [InlineData("mp4 ten million frames", MediaProbe.TooLong)]
    [InlineData("mp4 ten hours", MediaProbe.TooLong)]
    [InlineData("mp4 fragmented, 100 fragments of a million frames", MediaProbe.TooLong)]
    [InlineData("mp4 fragmented, 100 fragments of 25 frames", null)]
    [InlineData("mp4 movie box last", null)]
    public async Task Crafted_headers_are_held_to_the_limits_reading_a_few_bytes(string name, string? reason)
    {
        var bytes = Crafted(name);
        Assert.True(bytes.Length < 64 * 1024, $"{name}: {bytes.Length} bytes");
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var check = await CheckAsync(bytes, video: name.StartsWith("mp4", StringComparison.Ordinal));
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.Equal(reason, check.ReasonCode);

        // Memory stays bounded: what the header claims is never allocated (65500x65500x3 would be 12 GB).
        Assert.True(allocated < 1024 * 1024, $"{name}: {allocated} bytes allocated");
    }

    [Fact]
    public async Task Mutated_headers_never_throw_and_never_pass_over_the_limits()
    {
        var seeds = new (byte[] Bytes, bool Video)[]
        {
            (MediaSamples.Jpeg(640, 480, comments: 3), false),
            (FootageSamples.Jpeg(FootageSamples.Left)[..2048], false),
            (MediaSamples.Mp4(640, 360), true),
            (MediaSamples.Mp4(640, 360, fragments: 4), true),
            (MediaSamples.Mp4(640, 360, moovLast: true), true),
            (Remux(FootageSamples.Mp4(3, FootageSamples.Left), "+faststart"), true),
        };
        var random = new Random(13);
        var tried = 0;
        var refused = 0;
        foreach (var (seed, video) in seeds)
        {
            foreach (var mutant in Mutants(seed, random, 1500))
            {
                tried++;
                MediaCheck check;
                try
                {
                    check = await CheckAsync(mutant, video);
                }
                catch (Exception e)
                {
                    Assert.Fail($"mutant {tried} of a {(video ? "mp4" : "jpeg")} threw {e.GetType().Name}: {e.Message} ({Convert.ToHexString(mutant.AsSpan(0, Math.Min(64, mutant.Length)))})");
                    throw;
                }

                if (check.Passed)
                {
                    var limits = new MediaOptions();
                    Assert.True(video
                        ? MediaOptions.Fits(check.Facts!.Width, check.Facts.Height, limits.MaxVideoWidth, limits.MaxVideoHeight) && check.Facts.Frames <= limits.MaxVideoFrames && check.Facts.Duration <= limits.MaxVideoDuration
                        : MediaOptions.Fits(check.Facts!.Width, check.Facts.Height, limits.MaxImageWidth, limits.MaxImageHeight));
                }
                else
                {
                    refused++;
                }
            }
        }

        Assert.Equal(seeds.Length * 1500, tried);
        Assert.InRange(refused, tried / 10, tried); // the mutations do reach the checks
    }

    [Fact]
    public async Task Boxes_nested_a_hundred_thousand_deep_are_not_followed()
    {
        // Only the known paths are entered (moov/trak/mdia/minf/stbl/stsd), without recursion: no depth to exhaust.
        const int Depth = 100_000;
        var nested = new byte[(8 * Depth) + 8];
        for (var i = 0; i <= Depth; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(nested.AsSpan(8 * i), (uint)(nested.Length - (8 * i)));
            "trakmdiaminfstbl"u8.Slice(4 * (i % 4), 4).CopyTo(nested.AsSpan((8 * i) + 4));
        }

        var file = Concat(MediaSamples.Box("ftyp", [.. "isom"u8], MediaSamples.U32(0)), MediaSamples.Box("moov", nested));
        Assert.Equal(MediaProbe.UnreadableHeader, (await CheckAsync(file, video: true)).ReasonCode);
    }

    [Theory]
    [InlineData("MaxImageWidth", "0")]
    [InlineData("MaxImageHeight", "100000")]
    [InlineData("MaxVideoWidth", "65535")]
    [InlineData("MaxVideoHeight", "10")]
    [InlineData("MaxVideoDuration", "00:00:00")]
    [InlineData("MaxVideoDuration", "1.00:00:00")]
    [InlineData("MaxVideoFrames", "0")]
    [InlineData("MaxVideoFrames", "100000000")]
    public void Limits_out_of_range_stop_the_host(string setting, string value)
    {
        using var services = Services(new() { [$"OneValet:Media:{setting}"] = value });
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<MediaOptions>>().Value);
        Assert.Contains($"OneValet:Media:{setting}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_are_4096_square_images_and_UHD_video_of_15_minutes()
    {
        using var services = Services(new());
        var limits = services.GetRequiredService<IOptions<MediaOptions>>().Value;
        Assert.Equal((4096, 4096, 3840, 2160, TimeSpan.FromMinutes(15), 27_000L), (limits.MaxImageWidth, limits.MaxImageHeight, limits.MaxVideoWidth, limits.MaxVideoHeight, limits.MaxVideoDuration, limits.MaxVideoFrames));
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var collection = new ServiceCollection();
        collection.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        collection.AddLogging();
        collection.AddPipeline();
        return collection.BuildServiceProvider();
    }

    private static Task<MediaCheck> CheckAsync(byte[] bytes, bool video)
    {
        var stream = new MemoryStream(bytes, writable: false);
        return video ? Probe.CheckMp4Async(stream, CancellationToken.None) : Probe.CheckJpegAsync(stream, CancellationToken.None);
    }

    internal static byte[] Crafted(string name) => name switch
    {
        "jpeg 65500x65500" => MediaSamples.Jpeg(65500, 65500),
        "jpeg 4097x100" => MediaSamples.Jpeg(4097, 100),
        "jpeg 100x4097" => MediaSamples.Jpeg(100, 4097),
        "jpeg 4096x4096" => MediaSamples.Jpeg(4096, 4096),
        "jpeg 640x480 behind 300 comment segments" => MediaSamples.Jpeg(640, 480, comments: 300),
        "mp4 65535x65535" => MediaSamples.Mp4(65535, 65535),
        "mp4 3841x2160" => MediaSamples.Mp4(3841, 2160),
        "mp4 3840x2161" => MediaSamples.Mp4(3840, 2161),
        "mp4 3840x2160" => MediaSamples.Mp4(3840, 2160),
        "mp4 2160x3840 portrait" => MediaSamples.Mp4(2160, 3840),
        "mp4 sample entry 640x360, track header 65535x65535" => MediaSamples.Mp4(640, 360, trackWidth: 65535, trackHeight: 65535),
        "mp4 track header 640x360, sample entry 65535x65535" => MediaSamples.Mp4(65535, 65535, trackWidth: 640, trackHeight: 360),
        "mp4 ten million frames" => MediaSamples.Mp4(640, 360, samples: 10_000_000),
        "mp4 ten hours" => MediaSamples.Mp4(640, 360, durationMs: 10L * 3600 * 1000),
        "mp4 fragmented, 100 fragments of a million frames" => MediaSamples.Mp4(640, 360, samples: 0, fragments: 100, samplesPerFragment: 1_000_000),
        "mp4 fragmented, 100 fragments of 25 frames" => MediaSamples.Mp4(640, 360, samples: 0, durationMs: 100_000, fragments: 100, samplesPerFragment: 25),
        "mp4 movie box last" => MediaSamples.Mp4(1280, 720, moovLast: true),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>Cut anywhere; a 32-bit field (a box size, a length, a count, a dimension) set to 0, 1, 7, 8, 2^31,
    /// 2^32-1, 16 more or less than it was, or anything; bytes flipped; a chunk repeated.</summary>
    internal static IEnumerable<byte[]> Mutants(byte[] seed, Random random, int count)
    {
        uint[] values = [0, 1, 7, 8, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFF0];
        for (var i = 0; i < count; i++)
        {
            var bytes = (byte[])seed.Clone();
            switch (i % 5)
            {
                case 0:
                    yield return bytes[..random.Next(bytes.Length)];
                    break;
                case 1:
                    var at = random.Next(Math.Max(1, bytes.Length - 4));
                    var was = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(at));
                    var value = random.Next(3) switch
                    {
                        0 => values[random.Next(values.Length)],
                        1 => was + (uint)random.Next(-16, 17),
                        _ => (uint)random.NextInt64(uint.MaxValue),
                    };
                    BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at), value);
                    yield return bytes;
                    break;
                case 2:
                    for (var flips = random.Next(1, 8); flips > 0; flips--)
                    {
                        bytes[random.Next(Math.Min(bytes.Length, 1024))] ^= (byte)random.Next(1, 256);
                    }

                    yield return bytes;
                    break;
                case 3:
                    var start = random.Next(bytes.Length);
                    var length = random.Next(1, Math.Min(256, bytes.Length - start) + 1);
                    yield return Concat(bytes[..(start + length)], bytes[start..]);
                    break;
                default:
                    // A 16-bit field (a JPEG length or dimension, a sample entry's width) set to 0, 1, 2 or 0xFFFF.
                    var at16 = random.Next(Math.Max(1, bytes.Length - 2));
                    BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(at16), (ushort)new[] { 0, 1, 2, 0xFFFF }[random.Next(4)]);
                    yield return bytes;
                    break;
            }
        }
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    /// <summary>The same video rewritten by ffmpeg with other MP4 flags (no re-encoding).</summary>
    internal static byte[] Remux(byte[] mp4, string movflags)
    {
        var folder = Directory.CreateTempSubdirectory("onevalet-remux-").FullName;
        try
        {
            var input = Path.Combine(folder, "in.mp4");
            var output = Path.Combine(folder, "out.mp4");
            File.WriteAllBytes(input, mp4);
            FaceSamples.Run("ffmpeg", $"-hide_banner -loglevel error -y -i \"{input}\" -c copy -movflags {movflags} \"{output}\"");
            return File.ReadAllBytes(output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
