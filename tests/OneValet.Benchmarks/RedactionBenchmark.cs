using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Faces;
using OpenCvSharp;

namespace OneValet.Benchmarks;

/// <summary>
/// Step 7: redaction throughput (frames per second) of synthesized 25 fps H.264 videos (the photo messi5.jpg of Debian's
/// opencv-doc, moving): 640x360 (the photo as it is), 1280x720 and 1920x1080 (the photo two and three times as large), each through
/// <see cref="FaceRedactor"/> (decode with ffmpeg, search keyframes, blur every frame, re-encode), against the raw baseline
/// of ffmpeg decoding and re-encoding the same video with the same encoder settings, in the same run. Goal: ratio ≥ 0.5.
/// A one-second redaction first warms the process up (JIT, cascades); it is not counted. <c>--verify</c> then runs the
/// full-resolution detector on every frame of each result and counts the faces left where the source had one.
/// </summary>
internal static class RedactionBenchmark
{
    private const string Photo = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";

    public static async Task RunAsync(int seconds, int? interval, int? searchWidth, bool verify)
    {
        var folder = Directory.CreateTempSubdirectory("onevalet-bench-faces-").FullName;
        try
        {
            var settings = new FaceOptions { TemporaryFolder = folder };
            settings.VideoKeyframeInterval = interval ?? settings.VideoKeyframeInterval;
            settings.VideoSearchWidth = searchWidth ?? settings.VideoSearchWidth;
            var options = Options.Create(settings);
            var codec = FaceRedactor.PickEncoder(new FFMpegCore.FFOptions { BinaryFolder = options.Value.FFmpegFolder });
            var encoder = codec == "libx264" ? "-c:v libx264 -pix_fmt yuv420p -preset veryfast -crf 23" : "-c:v mpeg4 -pix_fmt yuv420p -q:v 4";
            using var detector = new LocalFaceDetector(options);
            var redactor = new FaceRedactor(detector, options, NullLogger<FaceRedactor>.Instance);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"redaction: {seconds} s at 25 fps, {codec}; keyframe every {settings.VideoKeyframeInterval} frames, searched about {settings.VideoSearchWidth} px wide (LBP, Haar-confirmed), each frame blurred from the {FaceRedactor.KeyframesAround} keyframes before and the {FaceRedactor.KeyframesAround} after; {Environment.ProcessorCount} cores, load {Load()}"));

            var warmUp = Synthesize(folder, "warm-up", 640, 360, 1, 0);
            await using (var input = File.OpenRead(warmUp))
            {
                await redactor.RedactMp4Async(input, Stream.Null, requesterFace: null, CancellationToken.None);
            }

            // The photo moving all the time (every keyframe searched: the worst case), at three sizes; then still for the
            // first half, as entry cameras mostly see (the still keyframes reuse the search of the same scene).
            foreach (var (width, height, still) in new[] { (640, 360, 0), (1280, 720, 0), (1920, 1080, 0), (1280, 720, seconds / 2) })
            {
                var source = Synthesize(folder, $"source-{width}-{still}", width, height, seconds, still);

                // Raw baseline: ffmpeg alone, decode and re-encode.
                var watch = Stopwatch.StartNew();
                Ffmpeg($"-y -i {source} -an {encoder} {Path.Combine(folder, "baseline.mp4")}");
                var baselineSeconds = watch.Elapsed.TotalSeconds;

                var target = Path.Combine(folder, $"redacted-{width}-{still}.mp4");
                RedactionResult result;
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                watch.Restart();
                await using (var input = File.OpenRead(source))
                await using (var output = File.Create(target))
                {
                    result = await redactor.RedactMp4Async(input, output, requesterFace: null, CancellationToken.None);
                }

                var redactionSeconds = watch.Elapsed.TotalSeconds;
                var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
                var baselineFps = result.Frames / baselineSeconds;
                var redactionFps = result.Frames / redactionSeconds;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{width}x{height}{(still > 0 ? $", still for the first {still} s" : ", moving")}: {result.Frames} frames, {result.FacesBlurred} face regions blurred, {result.KeyframesSearched} keyframes searched"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ffmpeg decode+re-encode (raw baseline): {baselineFps,8:F1} frames/s ({baselineSeconds:F2} s)"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  FaceRedactor (decode, search, blur, re-encode): {redactionFps,8:F1} frames/s ({redactionSeconds:F2} s)"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ratio: {redactionFps / baselineFps:F2}x (goal >= 0.5x); CPU time of this process (search, blur, pipes; not ffmpeg's): {cpuSeconds:F2} s"));
                if (verify)
                {
                    Console.WriteLine($"  verified at full resolution, every frame: {FacesLeft(detector, source, target)}");
                }
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The photo on a gray canvas (scaled with the canvas), still for <paramref name="still"/> seconds, then moving, as an H.264 MP4.</summary>
    private static string Synthesize(string folder, string name, int width, int height, int seconds, int still)
    {
        var path = Path.Combine(folder, name + ".mp4");
        var scale = width / 640.0;
        Ffmpeg(string.Create(CultureInfo.InvariantCulture,
            $"-y -f lavfi -i color=c=0x707070:s={width}x{height}:r=25:d={seconds} -loop 1 -i {Photo} -filter_complex \"[1]scale=iw*{scale}:ih*{scale}[p];[0][p]overlay=x='{46 * scale}+{40 * scale}*sin(max(0\\,t-{still}))':y={9 * scale}:shortest=1\" -c:v libx264 -pix_fmt yuv420p {path}"));
        return path;
    }

    /// <summary>Faces the detector finds in the redaction where it found one in the same frame of the source (a stray in the background is not one).</summary>
    private static string FacesLeft(LocalFaceDetector detector, string source, string redacted)
    {
        var before = DetectPerFrame(detector, source);
        var after = DetectPerFrame(detector, redacted);
        var left = after.Zip(before).Sum(pair => pair.First.Count(face => pair.Second.Any(original => face.Overlap(original) > 0.2)));
        var frames = after.Zip(before).Count(pair => pair.First.Any(face => pair.Second.Any(original => face.Overlap(original) > 0.2)));
        return $"{before.Sum(f => f.Count)} faces in the source, {left} left in {frames} of {after.Count} frames";
    }

    private static List<IReadOnlyList<FaceRectangle>> DetectPerFrame(LocalFaceDetector detector, string path)
    {
        var result = new List<IReadOnlyList<FaceRectangle>>();
        using var capture = new VideoCapture(path);
        using var frame = new Mat();
        while (capture.Read(frame) && !frame.Empty())
        {
            result.Add(detector.Detect(frame));
        }

        return result;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

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
