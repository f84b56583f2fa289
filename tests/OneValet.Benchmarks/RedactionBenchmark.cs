using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Faces;

namespace OneValet.Benchmarks;

/// <summary>
/// Step 7: redaction throughput (frames per second) of a synthesized 640x360, 25 fps H.264 video (the photo messi5.jpg of
/// Debian's opencv-doc, moving) through <see cref="FaceRedactor"/> (decode with ffmpeg, detect and blur every frame,
/// re-encode), against the raw baseline of ffmpeg decoding and re-encoding the same video with the same encoder settings,
/// in the same run. Goal: ratio ≥ 0.5.
/// </summary>
internal static class RedactionBenchmark
{
    private const string Photo = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";

    public static async Task RunAsync(int seconds)
    {
        var folder = Directory.CreateTempSubdirectory("onevalet-bench-faces-").FullName;
        try
        {
            var source = Path.Combine(folder, "source.mp4");
            Ffmpeg(string.Create(CultureInfo.InvariantCulture,
                $"-y -f lavfi -i color=c=0x707070:s=640x360:r=25:d={seconds} -loop 1 -i {Photo} -filter_complex \"[0][1]overlay=x='46+40*sin(t)':y=9:shortest=1\" -c:v libx264 -pix_fmt yuv420p {source}"));
            var options = Options.Create(new FaceOptions { TemporaryFolder = folder });
            var codec = FaceRedactor.PickEncoder(new FFMpegCore.FFOptions { BinaryFolder = options.Value.FFmpegFolder });
            var encoder = codec == "libx264" ? "-c:v libx264 -pix_fmt yuv420p -preset veryfast -crf 23" : "-c:v mpeg4 -pix_fmt yuv420p -q:v 4";

            // Raw baseline: ffmpeg alone, decode and re-encode.
            var watch = Stopwatch.StartNew();
            Ffmpeg($"-y -i {source} -an {encoder} {Path.Combine(folder, "baseline.mp4")}");
            var baselineSeconds = watch.Elapsed.TotalSeconds;

            using var detector = new LocalFaceDetector(options);
            var redactor = new FaceRedactor(detector, options, NullLogger<FaceRedactor>.Instance);
            RedactionResult result;
            watch.Restart();
            await using (var input = File.OpenRead(source))
            await using (var output = File.Create(Path.Combine(folder, "redacted.mp4")))
            {
                result = await redactor.RedactMp4Async(input, output, requesterFace: null, CancellationToken.None);
            }

            var redactionSeconds = watch.Elapsed.TotalSeconds;
            var baselineFps = result.Frames / baselineSeconds;
            var redactionFps = result.Frames / redactionSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"redaction: {result.Frames} frames 640x360 ({codec}), {result.FacesBlurred} face regions blurred"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ffmpeg decode+re-encode (raw baseline): {baselineFps,8:F1} frames/s ({baselineSeconds:F2} s)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  FaceRedactor (decode, detect, blur, re-encode): {redactionFps,8:F1} frames/s ({redactionSeconds:F2} s)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ratio: {redactionFps / baselineFps:F2}x (goal >= 0.5x)"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void Ffmpeg(string arguments)
    {
        var start = new ProcessStartInfo("ffmpeg", "-hide_banner -loglevel error " + arguments) { RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException("ffmpeg failed: " + error);
        }
    }
}
