using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Faces;
using OneValet.Pipeline.Media;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Faces;

/// <summary>
/// Redacting a stored recording never throws for its content and never hands back a partial result as a redaction: corrupt
/// footage is "undecodable", a deleted blob "gone", another format "unsupported-format", a host without the detector's
/// model or without ffmpeg "redaction-unavailable" (so retention and requests still run there). Real Azurite and ffmpeg.
/// </summary>
public sealed class BlobRedactionTests : IAsyncLifetime
{
    private readonly BlobContainerClient _container = new(AzuriteFixture.ConnectionString, "redact" + Guid.NewGuid().ToString("N")[..12]);

    public async Task InitializeAsync()
    {
        await AzuriteFixture.EnsureRunningAsync();
        await _container.CreateAsync();
    }

    public Task DisposeAsync() => _container.DeleteIfExistsAsync();

    [Fact]
    public async Task A_good_clip_is_redacted_and_bad_or_missing_content_comes_back_as_a_reason_code()
    {
        var redaction = Redaction(new FaceOptions());
        await _container.UploadBlobAsync("good.mp4", BinaryData.FromBytes(FootageSamples.Mp4(2, FootageSamples.Left)));
        await _container.UploadBlobAsync("bad.mp4", BinaryData.FromBytes(Hardware.Mp4(5_000)));
        await _container.UploadBlobAsync("bad.jpg", BinaryData.FromBytes(Hardware.Jpeg(5_000)));

        using var good = new MemoryStream();
        var redacted = await RedactAsync(redaction, "good.mp4", "video/mp4", good);
        Assert.True(redacted.Redacted);
        Assert.Equal(2, redacted.Result!.Frames);
        Assert.True(good.Length > 0);

        Assert.Equal(BlobRedaction.Undecodable, (await RedactAsync(redaction, "bad.mp4", "video/mp4", new MemoryStream())).ReasonCode);
        Assert.Equal(BlobRedaction.Undecodable, (await RedactAsync(redaction, "bad.jpg", "image/jpeg", new MemoryStream())).ReasonCode);
        Assert.Equal(BlobRedaction.Gone, (await RedactAsync(redaction, "missing.mp4", "video/mp4", new MemoryStream())).ReasonCode);
        Assert.Equal(BlobRedaction.UnsupportedFormat, (await RedactAsync(redaction, "good.mp4", "video/webm", new MemoryStream())).ReasonCode);
    }

    [Fact]
    public async Task A_host_without_the_face_model_or_without_ffmpeg_answers_redaction_unavailable()
    {
        await _container.UploadBlobAsync("good.mp4", BinaryData.FromBytes(FootageSamples.Mp4(2, FootageSamples.Left)));
        var noModel = Redaction(new FaceOptions { ModelPath = "/nonexistent/face-model.onnx" });
        Assert.Equal(BlobRedaction.Unavailable, (await RedactAsync(noModel, "good.mp4", "video/mp4", new MemoryStream())).ReasonCode);
        var folder = Directory.CreateTempSubdirectory("onevalet-no-ffmpeg-").FullName;
        try
        {
            var noFfmpeg = Redaction(new FaceOptions { FFmpegFolder = folder });
            Assert.Equal(BlobRedaction.Unavailable, (await RedactAsync(noFfmpeg, "good.mp4", "video/mp4", new MemoryStream())).ReasonCode);
        }
        finally
        {
            Directory.Delete(folder);
        }
    }

    private Task<BlobRedactionOutcome> RedactAsync(BlobRedaction redaction, string name, string contentType, Stream output) =>
        redaction.RedactAsync(_container.GetBlobClient(name), contentType, null, output, TimeSpan.FromMinutes(1), CancellationToken.None);

    private static BlobRedaction Redaction(FaceOptions options) =>
        new(new Lazy<FaceRedactor>(() => new FaceRedactor(new LocalFaceDetector(Options.Create(options)), Options.Create(options), NullLogger<FaceRedactor>.Instance)), new MediaProbe(Options.Create(new MediaOptions()), NullLogger<MediaProbe>.Instance), NullLogger<BlobRedaction>.Instance);
}
