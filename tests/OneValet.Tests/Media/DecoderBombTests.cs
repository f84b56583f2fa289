using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using OneValet.Pipeline.Faces;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Media;
using OneValet.Pipeline.Residents;
using OneValet.Tests.Retention;
using OneValet.Tests.Faces;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Media;

/// <summary>
/// Decoder bombs at each place images and videos come in (#13), on real Azurite and ffmpeg: ingestion quarantines an
/// upload whose header claims too large a size or too many frames (reason in the metadata, audited); redaction, the one
/// path of access answers and anonymization, withholds it with the reason (and a video whose codec says more than its
/// container, checked by ffprobe, too). Enrollment: <see cref="FacialEntryTests"/>.
/// </summary>
public sealed class DecoderBombTests
{
    [Fact]
    public async Task Ingestion_quarantines_oversized_and_overlong_uploads_and_catalogues_the_rest()
    {
        await using var h = await PipelineHarness.StartAsync();
        var now = h.Clock.GetUtcNow();
        var cases = new (string Name, byte[] Bytes, string Kind, string? Reason)[]
        {
            ("b-1/door-1/jpeg-bomb.jpg", MediaSamples.Jpeg(65500, 65500), "facial-entry", MediaProbe.DimensionsTooLarge),
            ("b-1/door-1/jpeg-wide.jpg", MediaSamples.Jpeg(8000, 600), "surveillance", MediaProbe.DimensionsTooLarge),
            ("b-1/door-1/mp4-bomb.mp4", MediaSamples.Mp4(65535, 65535), "surveillance", MediaProbe.DimensionsTooLarge),
            ("b-1/door-1/mp4-frames.mp4", MediaSamples.Mp4(640, 360, samples: 100_000_000), "surveillance", MediaProbe.TooLong),
            ("b-1/door-1/mp4-hours.mp4", MediaSamples.Mp4(640, 360, durationMs: 24L * 3600 * 1000), "surveillance", MediaProbe.TooLong),
            ("b-1/door-1/mp4-fragments.mp4", MediaSamples.Mp4(640, 360, samples: 0, fragments: 50, samplesPerFragment: 1_000_000), "surveillance", MediaProbe.TooLong),
            ("b-1/door-1/jpeg-ok.jpg", MediaSamples.Jpeg(1920, 1080), "facial-entry", null),
            ("b-1/door-1/mp4-ok.mp4", MediaSamples.Mp4(1920, 1080, moovLast: true), "surveillance", null),
            ("b-1/door-1/mp4-real.mp4", FootageSamples.Mp4(3, FootageSamples.Left), "surveillance", null),
            ("b-1/door-1/unreadable.mp4", Hardware.Mp4(4_000), "surveillance", null), // catalogued: redaction withholds it
        };
        var quarantine = h.Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient("qua" + h.Suffix);
        foreach (var (name, bytes, kind, reason) in cases)
        {
            Assert.True(bytes.Length < 64 * 1024 || reason is null, name);
            await Hardware.UploadAsync(h.Recordings, name, bytes, Hardware.Metadata(now, kind: kind));
            var outcome = await h.Get<RecordingIngestor>().IngestAsync(name, CancellationToken.None);
            if (reason is null)
            {
                Assert.Equal(IngestionResult.Catalogued, outcome.Result);
                continue;
            }

            Assert.Equal((IngestionResult.Quarantined, reason), (outcome.Result, outcome.ReasonCode));
            var moved = await quarantine.GetBlobClient(name).GetPropertiesAsync();
            Assert.Equal(reason, moved.Value.Metadata["quarantinereason"]);
            Assert.False(await h.Recordings.GetBlobClient(name).ExistsAsync());
        }

        var audits = await h.AuditsAsync();
        foreach (var (name, _, _, reason) in cases.Where(c => c.Reason is not null))
        {
            Assert.Contains(audits, a => a.Action == "quarantined" && a.ItemRef!.EndsWith(name, StringComparison.Ordinal) && a.ReasonCode == reason);
        }
    }

    [Fact]
    public async Task Redaction_withholds_what_is_over_the_limits_before_decoding_it()
    {
        await using var h = await PipelineHarness.StartAsync();
        var cases = new (string Name, byte[] Bytes, string ContentType, string Reason)[]
        {
            ("jpeg-bomb.jpg", MediaSamples.Jpeg(65500, 65500), "image/jpeg", BlobRedaction.DimensionsTooLarge),
            ("mp4-bomb.mp4", MediaSamples.Mp4(65535, 65535), "video/mp4", BlobRedaction.DimensionsTooLarge),
            ("mp4-frames.mp4", MediaSamples.Mp4(640, 360, samples: 100_000_000), "video/mp4", BlobRedaction.TooLong),
            ("mp4-fragments.mp4", MediaSamples.Mp4(640, 360, samples: 0, fragments: 50, samplesPerFragment: 1_000_000), "video/mp4", BlobRedaction.TooLong),
            ("unreadable.mp4", Hardware.Mp4(4_000), "video/mp4", BlobRedaction.Undecodable),
            ("unreadable.jpg", [0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF], "image/jpeg", BlobRedaction.Undecodable),

            // The container says 320x180; the H.264 stream inside (its SPS) says more. 4096x1024 (fewer pixels than
            // 3840x2160, but wider): ffprobe reports the codec's own size, and the redactor refuses it before ffmpeg decodes a
            // frame. 4096x2304 (more pixels): ffprobe itself, run with -max_pixels, decodes nothing and fails: undecodable.
            ("sps-wide.mp4", ContainerUnderstating(4096, 1024), "video/mp4", BlobRedaction.DimensionsTooLarge),
            ("sps-bomb.mp4", ContainerUnderstating(4096, 2304), "video/mp4", BlobRedaction.Undecodable),
        };
        foreach (var (name, bytes, contentType, reason) in cases)
        {
            await h.Recordings.UploadBlobAsync(name, BinaryData.FromBytes(bytes));
            using var output = new MemoryStream();
            var outcome = await h.Get<BlobRedaction>().RedactAsync(h.Recordings.GetBlobClient(name), contentType, null, output, TimeSpan.FromMinutes(2), CancellationToken.None);
            Assert.True(reason == outcome.ReasonCode, $"{name}: {outcome.ReasonCode}");
            Assert.Equal(0, output.Length);
        }
    }

    [Fact]
    public async Task Mutated_headers_never_crash_an_entry_point_nor_answer_5xx()
    {
        await using var h = await PipelineHarness.StartAsync();
        var put = await RetentionEngineTests.InvokeAsync(ctx => h.Get<ResidentsApi>().PutResidentAsync("r-fuzz", RetentionEngineTests.Json(ctx, """
            {"buildingId":"b-1","unitId":"u-1","movedInAt":"2026-01-01T00:00:00Z","email":"fuzz@example.com"}
            """), default));
        Assert.Equal(201, put.Status);
        Assert.Equal(200, (await RetentionEngineTests.InvokeAsync(ctx => h.Get<ResidentsApi>().GiveFacialEntryConsentAsync("r-fuzz", RetentionEngineTests.Json(ctx, """{"policyVersion":"2022-06-29"}"""), default))).Status);

        var random = new Random(99);
        var statuses = new Dictionary<int, int>();
        foreach (var image in MediaProbeTests.Mutants(MediaSamples.Jpeg(640, 480, comments: 2), random, 100).Concat(MediaProbeTests.Mutants(FootageSamples.Jpeg(FootageSamples.Left), random, 50)))
        {
            var answer = await RetentionEngineTests.InvokeAsync(ctx =>
            {
                ctx.Request.ContentType = "image/jpeg";
                ctx.Request.Body = new MemoryStream(image);
                return h.Get<FacialEnrollments>().PutAsync("r-fuzz", ctx.Request, default);
            });
            Assert.True(answer.Status < 500, $"enrollment answered {answer.Status}: {answer.Body}");
            statuses[answer.Status] = statuses.GetValueOrDefault(answer.Status) + 1;
        }

        Assert.True(statuses.Keys.Count(s => s >= 400) >= 2, string.Join(", ", statuses)); // refused for several reasons

        var uploads = MediaProbeTests.Mutants(FootageSamples.Mp4(2, FootageSamples.Left), random, 25).Select(b => (b, "mp4"))
            .Concat(MediaProbeTests.Mutants(MediaSamples.Mp4(640, 360, fragments: 2), random, 25).Select(b => (b, "mp4")))
            .Concat(MediaProbeTests.Mutants(MediaSamples.Jpeg(640, 480), random, 25).Select(b => (b, "jpg")));
        var i = 0;
        foreach (var (bytes, extension) in uploads)
        {
            var name = $"b-1/door-1/fuzz-{i++}.{extension}";
            if (bytes.Length == 0)
            {
                continue;
            }

            await Hardware.UploadAsync(h.Recordings, name, bytes, Hardware.Metadata(h.Clock.GetUtcNow()));
            var outcome = await h.Get<RecordingIngestor>().IngestAsync(name, CancellationToken.None);
            Assert.True(outcome.Result is IngestionResult.Catalogued or IngestionResult.Quarantined, $"{name}: {outcome}");
            if (outcome.Result == IngestionResult.Catalogued)
            {
                using var output = new MemoryStream();
                var redacted = await h.Get<BlobRedaction>().RedactAsync(h.Recordings.GetBlobClient(name), extension == "mp4" ? "video/mp4" : "image/jpeg", null, output, TimeSpan.FromMinutes(1), CancellationToken.None);
                Assert.True(redacted.Redacted || redacted.ReasonCode is not null, name);
            }
        }
    }

    /// <summary>A real H.264 clip (one frame) whose track header and sample entry were rewritten to say 320x180.</summary>
    private static byte[] ContainerUnderstating(int width, int height)
    {
        var folder = Directory.CreateTempSubdirectory("onevalet-sps-").FullName;
        try
        {
            var output = Path.Combine(folder, "big.mp4");
            FaceSamples.Run("ffmpeg", $"-hide_banner -loglevel error -y -f lavfi -i color=c=gray:s={width}x{height}:r=1 -frames:v 1 -c:v libx264 -preset ultrafast -pix_fmt yuv420p -movflags +faststart \"{output}\"");
            var bytes = File.ReadAllBytes(output);
            var patched = 0;
            for (var i = 0; i + 4 < bytes.Length; i++)
            {
                if (bytes.AsSpan(i, 4).SequenceEqual("tkhd"u8))
                {
                    var version = bytes[i + 4];
                    var at = i + 4 + (version == 1 ? 88 : 76);
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at), 320u << 16);
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at + 4), 180u << 16);
                    patched++;
                }
                else if (bytes.AsSpan(i, 4).SequenceEqual("stsd"u8))
                {
                    // The first sample entry follows the full box header and the entry count: its width and height are 24
                    // bytes into its payload.
                    var entry = i + 4 + 8;
                    Assert.True(bytes.AsSpan(entry + 4, 4).SequenceEqual("avc1"u8));
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(entry + 8 + 24), 320);
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(entry + 8 + 26), 180);
                    patched++;
                }
            }

            Assert.Equal(2, patched);
            return bytes;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
