using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Faces;
using OneValet.Tests.Faces;
using OpenCvSharp;

namespace OneValet.Benchmarks;

/// <summary>
/// Step 7: redaction throughput (frames per second) of synthesized 25 fps H.264 videos (the photo messi5.jpg of Debian's
/// opencv-doc on a gray canvas, scaled with it): 640x360 (the photo as it is), 1280x720 and 1920x1080 (two and three times
/// as large), each moving all the time and still for its first half; then a 1280x720 clip of small faces (heads 30 to 38
/// pixels wide, some walking), and a 1280x720 clip of a face in profile (basketball1.png). Each through <see cref="FaceRedactor"/> (decode with ffmpeg, search keyframes with BlazeFace,
/// blur every frame, re-encode), against the raw baseline of ffmpeg decoding and re-encoding the same video with the same
/// encoder settings, in the same run. Goal: ratio ≥ 0.5. Redactions of a one-second 640x360 clip and of a
/// <c>--warm-up</c>-second (default 4) moving 1280x720 clip first warm the process up, as a worker that has redacted
/// before is (the JIT's tiers: after the one-second clip alone, recompiling hot methods still cost this process 0.5-0.9 s
/// of CPU during the first measured clip); they are not counted. <c>--verify</c> then runs two independent detectors (<see cref="FaceVerifiers"/>: OpenCV's
/// Haar cascade at full resolution, BlazeFace on full-resolution tiles) on every frame of the source and of the
/// redaction, and counts, for each, the faces it finds in the redaction where it found one in the same frame of the source.
/// The load average is printed with each figure: the machine may be shared.
/// </summary>
internal static class RedactionBenchmark
{
    private const string Photo = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";

    private const string ProfilePhoto = "/usr/share/doc/opencv-doc/examples/data/basketball1.png";

    public static async Task RunAsync(int seconds, int? interval, bool verify, string? only = null, int warmUpSeconds = 4, bool noModel = false)
    {
        if (noModel && verify)
        {
            Console.Error.WriteLine("--no-model finds no face, so there is nothing to verify: run --verify without it.");
            return;
        }

        var folder = Directory.CreateTempSubdirectory("onevalet-bench-faces-").FullName;
        try
        {
            var settings = new FaceOptions { TemporaryFolder = folder };
            settings.VideoKeyframeInterval = interval ?? settings.VideoKeyframeInterval;
            if (noModel)
            {
                settings.ModelPath = NullFaceModel.Write(folder);
            }

            var options = Options.Create(settings);
            var codec = FaceRedactor.PickEncoder(new FFMpegCore.FFOptions { BinaryFolder = options.Value.FFmpegFolder });
            var encoder = codec == "libx264" ? "-c:v libx264 -pix_fmt yuv420p -preset veryfast -crf 23" : "-c:v mpeg4 -pix_fmt yuv420p -q:v 4";
            using var detector = new LocalFaceDetector(options);
            using var verifiers = verify ? new FaceVerifiers() : null;
            var redactor = new FaceRedactor(detector, options, NullLogger<FaceRedactor>.Instance);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"redaction: {seconds} s at 25 fps, {codec}; keyframe every {settings.VideoKeyframeInterval} frames, searched with {(noModel ? "NO MODEL (--no-model: a constant model that finds nothing; the ceiling of this pipeline, not a redaction)" : "BlazeFace")} (whole view, and tiles of {LocalFaceDetector.TileSide} px; a view is searched again only where it changed since its last search and is not the last keyframe's picture moved, and every view at least every 5th keyframe: Faces/KeyframeSearch.cs), each frame blurred from the {FaceRedactor.KeyframesAround} keyframes before and the {FaceRedactor.KeyframesAround} after; warm-up {warmUpSeconds} s at 1280x720; {Environment.ProcessorCount} cores, load {Load()}"));

            var warmUp = Synthesize(folder, "warm-up", 640, 360, 1, 0);
            await using (var input = File.OpenRead(warmUp))
            {
                await redactor.RedactMp4Async(input, Stream.Null, requesterFace: null, CancellationToken.None);
            }

            if (warmUpSeconds > 0)
            {
                var warmUpTiles = Synthesize(folder, "warm-up-720", 1280, 720, warmUpSeconds, 0);
                await using var input = File.OpenRead(warmUpTiles);
                await redactor.RedactMp4Async(input, Stream.Null, requesterFace: null, CancellationToken.None);
            }

            // The photo moving all the time (every keyframe searched: the worst case), then still for the first half, as
            // entry cameras mostly see (still views reuse their search), at three sizes; then small faces.
            var clips = new List<(string Name, Func<string> Make)>();
            foreach (var (width, height) in new[] { (640, 360), (1280, 720), (1920, 1080) })
            {
                clips.Add(($"{width}x{height}, moving", () => Synthesize(folder, $"source-{width}-moving", width, height, seconds, 0)));
                clips.Add(($"{width}x{height}, still for the first {seconds / 2} s", () => Synthesize(folder, $"source-{width}-still", width, height, seconds, seconds / 2)));
            }

            clips.Add(("1280x720, small faces (heads 30 to 38 px, some walking)", () => SmallFaces(folder, seconds)));
            clips.Add(("1280x720, a face in profile (head about 160 px, moving)", () => Profile(folder, seconds)));
            foreach (var (name, make) in clips.Where(c => only is null || c.Name.Contains(only, StringComparison.Ordinal)))
            {
                var source = make();

                // Raw baseline: ffmpeg alone, decode and re-encode.
                var loadBefore = Load();
                var watch = Stopwatch.StartNew();
                var children0 = ChildrenCpuSeconds();
                Ffmpeg($"-y -i {source} -an {encoder} {Path.Combine(folder, "baseline.mp4")}");
                var baselineCpu = ChildrenCpuSeconds() - children0;
                var baselineSeconds = watch.Elapsed.TotalSeconds;

                var target = Path.Combine(folder, "redacted.mp4");
                RedactionResult result;
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var children1 = ChildrenCpuSeconds();
                watch.Restart();
                await using (var input = File.OpenRead(source))
                await using (var output = File.Create(target))
                {
                    result = await redactor.RedactMp4Async(input, output, requesterFace: null, CancellationToken.None);
                }

                var redactionSeconds = watch.Elapsed.TotalSeconds;
                var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
                var ffmpegCpu = ChildrenCpuSeconds() - children1;
                var baselineFps = result.Frames / baselineSeconds;
                var redactionFps = result.Frames / redactionSeconds;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {result.Frames} frames, {result.FacesBlurred} face regions blurred, {result.KeyframesSearched} keyframes searched"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ffmpeg decode+re-encode (raw baseline): {baselineFps,8:F1} frames/s ({baselineSeconds:F2} s, CPU {baselineCpu:F2} s, load {loadBefore})"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  FaceRedactor (decode, search, blur, re-encode): {redactionFps,8:F1} frames/s ({redactionSeconds:F2} s, load {Load()})"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ratio: {redactionFps / baselineFps:F2}x (goal >= 0.5x); CPU time of this process (search, blur, pipes; not ffmpeg's): {cpuSeconds:F2} s"));
                if (result.Profile is { } p)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  where: setup {p.Setup.TotalSeconds:F2} s (first frame read at {p.FirstFrame.TotalSeconds:F2} s); search {p.Search.TotalSeconds:F2} s ({p.ViewsSearched} views, {p.Search.TotalMilliseconds / Math.Max(1, p.ViewsSearched):F1} ms each); waiting for search {p.WaitingForSearch.TotalSeconds:F2} s; blur {p.Blur.TotalSeconds:F2} s; waiting for the encoder {p.WaitingForEncoder.TotalSeconds:F2} s; tail {p.Tail.TotalSeconds:F2} s; CPU of its ffprobe and ffmpegs {ffmpegCpu:F2} s; at most {p.FramesHeld} frames held at once (bound {FaceRedactor.MostFramesHeld(settings.VideoKeyframeInterval)})"));
                }
                if (verifiers is not null)
                {
                    Console.WriteLine($"  verified, every frame: Haar cascade at full resolution: {FacesLeft(source, target, verifiers.Haar, "haar")}");
                    Console.WriteLine($"  verified, every frame: BlazeFace on full-resolution tiles: {FacesLeft(source, target, verifiers.Tiles, "tiles")}");
                }

                File.Delete(source);
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

    /// <summary>
    /// 1280x720: the photo's face (its head and shoulders, cut from messi5.jpg) scaled to heads 30 to 38 pixels wide, eight
    /// times: five standing along a line, three walking across at 40 to 80 pixels a second, on the blurred photo.
    /// </summary>
    private static string SmallFaces(string folder, int seconds)
    {
        var path = Path.Combine(folder, "small-faces.mp4");

        // The head in messi5.jpg is about 50 pixels wide at (214, 62); cut with a margin, scaled so the head is 30 to 38.
        var filter = "[0]scale=1280:720,boxblur=20[bg];[1]crop=110:130:184:40,split=8[h0][h1][h2][h3][h4][h5][h6][h7];";
        var last = "bg";
        for (var i = 0; i < 8; i++)
        {
            var head = 30 + i;
            var size = string.Create(CultureInfo.InvariantCulture, $"scale={110 * head / 50}:-2");
            var x = i < 5 ? string.Create(CultureInfo.InvariantCulture, $"{120 + (i * 210)}") : string.Create(CultureInfo.InvariantCulture, $"'mod({100 + (i * 150)}+{40 * (i - 4)}*t\\,1280)'");
            var y = i < 5 ? "420" : string.Create(CultureInfo.InvariantCulture, $"{120 + ((i - 5) * 110)}");
            filter += string.Create(CultureInfo.InvariantCulture, $"[h{i}]{size}[s{i}];[{last}][s{i}]overlay=x={x}:y={y}:shortest=1[v{i}];");
            last = $"v{i}";
        }

        Ffmpeg(string.Create(CultureInfo.InvariantCulture,
            $"-y -loop 1 -framerate 25 -t {seconds} -i {Photo} -loop 1 -i {Photo} -filter_complex \"{filter.TrimEnd(';')}\" -map [{last}] -c:v libx264 -pix_fmt yuv420p {path}"));
        return path;
    }

    /// <summary>
    /// 1280x720: the player seen in profile in basketball1.png of opencv-doc (head about 105 pixels wide at (508, 22),
    /// labelled "profile" in the tests' face-truth.json), cut with his shoulders, scaled one and a half times, moving
    /// across a gray canvas all the time.
    /// </summary>
    private static string Profile(string folder, int seconds)
    {
        var path = Path.Combine(folder, "profile.mp4");
        Ffmpeg(string.Create(CultureInfo.InvariantCulture,
            $"-y -f lavfi -i color=c=0x707070:s=1280x720:r=25:d={seconds} -loop 1 -i {ProfilePhoto} -filter_complex \"[1]crop=230:260:450:0,scale=345:390[p];[0][p]overlay=x='400+300*sin(t)':y=150:shortest=1\" -c:v libx264 -pix_fmt yuv420p {path}"));
        return path;
    }

    /// <summary>Faces a verifier finds in the redaction where it found one in the same frame of the source (a stray in the background is not one).</summary>
    private static string FacesLeft(string source, string redacted, Func<Mat, IReadOnlyList<FaceRectangle>> verifier, string label)
    {
        var before = DetectPerFrame(source, verifier);
        var after = DetectPerFrame(redacted, verifier);
        SaveLeft(redacted, after, before, label);
        var left = after.Zip(before).Sum(pair => pair.First.Count(face => pair.Second.Any(original => face.Overlap(original) > 0.2)));
        var frames = after.Zip(before).Count(pair => pair.First.Any(face => pair.Second.Any(original => face.Overlap(original) > 0.2)));
        return $"{before.Sum(f => f.Count)} faces in the source, {left} left in {frames} of {after.Length} frames";
    }

    /// <summary>Each redacted frame where a face is left, with the box drawn, as a PNG in the system's temporary folder
    /// (onevalet-left-{label}-{frame}.png), to be looked at; synthetic footage of a published photo, no one's data.</summary>
    private static void SaveLeft(string redacted, IReadOnlyList<FaceRectangle>[] after, IReadOnlyList<FaceRectangle>[] before, string label)
    {
        using var capture = new VideoCapture(redacted);
        using var frame = new Mat();
        for (var i = 0; capture.Read(frame) && !frame.Empty() && i < after.Length; i++)
        {
            var left = after[i].Where(face => before[i].Any(original => face.Overlap(original) > 0.2)).ToList();
            if (left.Count == 0)
            {
                continue;
            }

            foreach (var face in left)
            {
                Cv2.Rectangle(frame, new Rect(face.Left, face.Top, face.Width, face.Height), Scalar.Red, 2);
            }

            var path = Path.Combine(Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"onevalet-left-{label}-{i:D3}.png"));
            Cv2.ImWrite(path, frame);
            Console.WriteLine($"  left in frame {i}: {string.Join(", ", left)} (saved {path})");
        }
    }

    private static IReadOnlyList<FaceRectangle>[] DetectPerFrame(string path, Func<Mat, IReadOnlyList<FaceRectangle>> verifier)
    {
        var frames = new List<Mat>();
        using (var capture = new VideoCapture(path))
        {
            var frame = new Mat();
            while (capture.Read(frame) && !frame.Empty())
            {
                frames.Add(frame);
                frame = new Mat();
            }

            frame.Dispose();
        }

        var result = new IReadOnlyList<FaceRectangle>[frames.Count];
        Parallel.For(0, frames.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i => result[i] = verifier(frames[i]));
        frames.ForEach(frame => frame.Dispose());
        return result;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    /// <summary>
    /// CPU seconds of this process's children that have exited and been waited for (ffmpeg, ffprobe): /proc/self/stat's
    /// cutime and cstime, in clock ticks (100 a second on Linux); 0 elsewhere.
    /// </summary>
    private static double ChildrenCpuSeconds()
    {
        if (!File.Exists("/proc/self/stat"))
        {
            return 0;
        }

        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)) / 100.0;
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
