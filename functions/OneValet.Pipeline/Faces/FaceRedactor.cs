using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using FFMpegCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace OneValet.Pipeline.Faces;

/// <summary>What a redaction did. <see cref="RequesterFaceKnown"/> false: every face was blurred, the requester's too.</summary>
public sealed record RedactionResult(
    int Frames,
    int FacesBlurred,
    bool RequesterFaceKnown,
    int FramesWithRequesterKept,
    string? VideoCodec,
    int KeyframesSearched = 0)
{
    /// <summary>A sentence for the access-request answer (PIPEDA s.9(1)); no personal data.</summary>
    public string Summary => RequesterFaceKnown
        ? $"{FacesBlurred} face region(s) of other people blurred in {Frames} frame(s); the requester's face was kept in {FramesWithRequesterKept}."
        : $"The requester's face was not known: all {FacesBlurred} face region(s) in {Frames} frame(s) were blurred.";
}

/// <summary>
/// Severs other people from footage before it is given to a requester (PIPEDA s.9(1)): blurs every detected face except
/// the requester's. JPEG images directly, searched at full resolution until nothing but the requester's face is found.
/// MP4 video by decoding it with ffmpeg (raw YUV 4:2:0 frames piped out and back in: the decoder's and the encoder's own
/// format, so neither converts), searching only keyframes, fast (<see cref="LocalFaceDetector.DetectCandidates"/>), blurring
/// every frame from the faces of the keyframes around it (<see cref="KeyframeFaces"/>: searching every frame at full
/// resolution made redaction a hundred times slower than decoding and re-encoding), and re-encoding (H.264 when ffmpeg has
/// libx264, else MPEG-4 part 2). The original is never modified: the result goes to the output stream given (a new blob).
/// Audio is not carried over (entry cameras record none; voices of others would need severing too).
/// </summary>
public sealed partial class FaceRedactor(LocalFaceDetector detector, IOptions<FaceOptions> options, ILogger<FaceRedactor> logger)
{
    /// <summary>A video frame is blurred from the faces of this many keyframes before it (its own included) and after it.</summary>
    public const int KeyframesAround = KeyframeFaces.Reach;

    private const int MaxPasses = 3;

    /// <summary>The largest side of the copy a blurred region is smoothed on (see <see cref="BlurRegion"/>).</summary>
    private const int SmoothingSize = 48;

    /// <summary>
    /// The widths keyframes are searched at, in turn, as shares of <see cref="FaceOptions.VideoSearchWidth"/>. A cascade
    /// looks at a grid of places and sizes; a face standing still where one grid happens to miss it would be missed in
    /// every keyframe, so consecutive keyframes use four different grids (the four keyframes a frame is blurred from), the
    /// last one finer, for smaller faces (and the part of a face a side of the picture cuts).
    /// </summary>
    private static readonly double[] SearchWidthShares = [1.0, 0.9, 1.05, 1.25];

    private static readonly ConcurrentDictionary<string, string> EncoderByFolder = new();

    /// <summary>Redacts a JPEG image. <paramref name="requesterFace"/> null = the requester's face is not known (all blurred).</summary>
    public RedactionResult RedactJpeg(byte[] jpeg, FaceRectangle? requesterFace, Stream output)
    {
        ArgumentNullException.ThrowIfNull(jpeg);
        ArgumentNullException.ThrowIfNull(output);
        using var image = Cv2.ImDecode(jpeg, ImreadModes.Color);
        if (image.Empty())
        {
            throw new InvalidDataException("The image could not be decoded as JPEG.");
        }

        var track = requesterFace;
        var (blurred, kept) = RedactFrame(image, ref track);
        Cv2.ImEncode(".jpg", image, out var encoded, new ImageEncodingParam(ImwriteFlags.JpegQuality, 92));
        output.Write(encoded);
        var result = new RedactionResult(1, blurred, requesterFace is not null, kept ? 1 : 0, null);
        LogRedacted(logger, "jpeg", result.Frames, result.FacesBlurred, result.RequesterFaceKnown);
        return result;
    }

    /// <summary>Redacts a JPEG read from <paramref name="input"/> into <paramref name="output"/>.</summary>
    public async Task<RedactionResult> RedactJpegAsync(Stream input, Stream output, FaceRectangle? requesterFace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        using var buffer = new MemoryStream();
        await input.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        using var redacted = new MemoryStream();
        var result = RedactJpeg(buffer.ToArray(), requesterFace, redacted);
        redacted.Position = 0;
        await redacted.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// Redacts an MP4 video read from <paramref name="input"/> into <paramref name="output"/>. The requester's face is
    /// given in the first frame's pixels and followed from keyframe to keyframe (the faces found overlapping it).
    /// </summary>
    public Task<RedactionResult> RedactMp4Async(Stream input, Stream output, FaceRectangle? requesterFace, CancellationToken cancellationToken) =>
        RedactMp4Async(input, output, requesterFace, limits: null, cancellationToken);

    /// <summary>
    /// As above, held to <paramref name="limits"/>: ffprobe reads the size from the codec's own parameters (an H.264 SPS
    /// may say more than the container that was checked before) and decodes nothing larger than the limits allow; that
    /// size must fit them; and ffmpeg then decodes no frame larger than it (<c>-max_pixels</c>): a stream changing size
    /// half-way fails.
    /// </summary>
    public async Task<RedactionResult> RedactMp4Async(Stream input, Stream output, FaceRectangle? requesterFace, Media.MediaOptions? limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var folder = options.Value.TemporaryFolder ?? Path.GetTempPath();
        Directory.CreateDirectory(folder);
        var stem = Path.Combine(folder, "onevalet-redact-" + Guid.NewGuid().ToString("N"));
        var inputPath = stem + "-in.mp4";
        var outputPath = stem + "-out.mp4";
        var ff = new FFOptions { BinaryFolder = options.Value.FFmpegFolder, TemporaryFilesFolder = folder };
        RedactionResult result;
        try
        {
            await using (var staged = File.Create(inputPath))
            {
                await input.CopyToAsync(staged, cancellationToken).ConfigureAwait(false);
            }

            var probeArguments = limits is null ? null : string.Create(CultureInfo.InvariantCulture, $"-max_pixels {(long)limits.MaxVideoWidth * limits.MaxVideoHeight}");
            var analysis = await FFProbe.AnalyseAsync(inputPath, ff, probeArguments, cancellationToken).ConfigureAwait(false);
            var stream = analysis.PrimaryVideoStream ?? throw new InvalidDataException("The video has no video stream.");
            var width = stream.Width ?? throw new InvalidDataException("The video has no width.");
            var height = stream.Height ?? throw new InvalidDataException("The video has no height.");
            if (limits is not null && !Media.MediaOptions.Fits(width, height, limits.MaxVideoWidth, limits.MaxVideoHeight))
            {
                throw new Media.MediaLimitExceededException(Media.MediaProbe.DimensionsTooLarge);
            }
            var frameRate = stream.AverageFrameRate > 0 ? stream.AverageFrameRate : stream.RealFrameRate;
            var codec = PickEncoder(ff);

            var layout = new Yuv420(width, height);
            var pool = new FramePool(layout.FrameSize);
            var rate = frameRate.ToString("0.###", CultureInfo.InvariantCulture);
            var encodeArguments = codec == "libx264" ? "-pix_fmt yuv420p -preset veryfast -crf 23" : "-pix_fmt yuv420p -q:v 4";
            using var decoder = StartFfmpeg(ff, $"-nostdin -max_pixels {(long)width * height} -i \"{inputPath}\" -map 0:v:0 -an -f rawvideo -pix_fmt yuv420p pipe:1", input: false);
            using var encoder = StartFfmpeg(ff, $"-f rawvideo -pix_fmt yuv420p -s {width}x{height} -r {rate} -i pipe:0 -c:v {codec} {encodeArguments} -movflags +faststart -y \"{outputPath}\"", input: true);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            try
            {
                using var decoded = new BlockingCollection<byte[]>(boundedCapacity: 8);
                var decode = Task.Run(
                    async () =>
                    {
                        try
                        {
                            // Read to the end of the pipe: every frame ffmpeg wrote, the last one too.
                            var frames = decoder.StandardOutput.BaseStream;
                            while (true)
                            {
                                var frame = pool.Rent();
                                var read = await frames.ReadAtLeastAsync(frame, frame.Length, throwOnEndOfStream: false, stop.Token).ConfigureAwait(false);
                                if (read < frame.Length)
                                {
                                    pool.Return(frame);
                                    return;
                                }

                                decoded.Add(frame, stop.Token);
                            }
                        }
                        finally
                        {
                            decoded.CompleteAdding();
                        }
                    },
                    stop.Token);

                var counters = new FrameCounters();
                var encode = Task.Run(
                    async () =>
                    {
                        try
                        {
                            var pipe = encoder.StandardInput.BaseStream;
                            foreach (var frame in RedactFrames(decoded.GetConsumingEnumerable(stop.Token), layout, requesterFace, counters))
                            {
                                await pipe.WriteAsync(frame, stop.Token).ConfigureAwait(false);
                                pool.Return(frame);
                            }

                            encoder.StandardInput.Close();
                        }
                        catch
                        {
                            // The decoder must not wait for a reader that is gone.
                            await stop.CancelAsync().ConfigureAwait(false);
                            throw;
                        }
                    },
                    stop.Token);

                // The encoder's failure first: the decoder's is then only its being stopped.
                await Task.WhenAll(encode, decode).ConfigureAwait(false);
                await decoder.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                await encoder.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                if (decoder.ExitCode != 0 || encoder.ExitCode != 0)
                {
                    throw new InvalidDataException($"ffmpeg could not {(decoder.ExitCode != 0 ? "decode" : "encode")} the video (exit code {(decoder.ExitCode != 0 ? decoder.ExitCode : encoder.ExitCode)}).");
                }

                result = new RedactionResult(counters.Frames, counters.FacesBlurred, requesterFace is not null, counters.Kept, codec, counters.Searched);
            }
            finally
            {
                // Cancelled or failed half-way: no ffmpeg is left running on the staged footage.
                Stop(decoder);
                Stop(encoder);
            }

            await using (var redacted = File.OpenRead(outputPath))
            {
                await redacted.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            }

            LogRedacted(logger, "mp4", result.Frames, result.FacesBlurred, result.RequesterFaceKnown);
            return result;
        }
        finally
        {
            // The staged copies are footage of people: never left behind.
            File.Delete(inputPath);
            File.Delete(outputPath);
        }
    }

    /// <summary>
    /// Starts ffmpeg with raw frames on its standard output or input (plain pipes, read to their end: FFMpegCore's named
    /// pipes are closed as soon as ffmpeg exits, which lost a video's last frame whenever the reader was behind). Its
    /// messages (errors only) are read and dropped: they may name the staged files, and exceptions say the exit code only.
    /// </summary>
    private static Process StartFfmpeg(FFOptions ff, string arguments, bool input)
    {
        var start = new ProcessStartInfo(Path.Combine(ff.BinaryFolder, "ffmpeg"), "-hide_banner -loglevel error " + arguments)
        {
            RedirectStandardInput = input,
            RedirectStandardOutput = !input,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("ffmpeg could not be started.");
        WidenPipe(input ? process.StandardInput.BaseStream : process.StandardOutput.BaseStream);
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>
    /// Linux: the pipe's buffer made a megabyte (the kernel's default most a user may ask for, /proc/sys/fs/pipe-max-size)
    /// instead of 64 KB, so a frame (3 MB at 1080p) crosses in a few transfers, not fifty, each one a wake-up of ffmpeg and
    /// of this process. Where it cannot be done, the pipe works as it is.
    /// </summary>
    private static void WidenPipe(Stream stream)
    {
        const int SetPipeSize = 1031; // F_SETPIPE_SZ
        if (OperatingSystem.IsLinux() && stream is System.IO.Pipes.PipeStream pipe)
        {
            var handle = pipe.SafePipeHandle;
            var added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                _ = Fcntl((int)handle.DangerousGetHandle(), SetPipeSize, 1 << 20);
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int descriptor, int command, int argument);

    private static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>H.264 when this ffmpeg has libx264, else MPEG-4 part 2 (ffmpeg's own encoder).</summary>
    public static string PickEncoder(FFOptions ff)
    {
        ArgumentNullException.ThrowIfNull(ff);
        return EncoderByFolder.GetOrAdd(ff.BinaryFolder, folder =>
        {
            var start = new ProcessStartInfo(Path.Combine(folder, "ffmpeg"), "-hide_banner -encoders")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(start) ?? throw new InvalidOperationException("ffmpeg could not be started.");
            var list = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return list.Contains(" libx264 ", StringComparison.Ordinal) ? "libx264" : "mpeg4";
        });
    }

    /// <summary>
    /// The frames of one video, redacted, in order. Keyframes (every <see cref="FaceOptions.VideoKeyframeInterval"/>th frame
    /// and the last) are searched two at a time on threads of their own (not the pool's, which the pipes need) while
    /// earlier frames are blurred and encoded; a frame is blurred and given out once the <see cref="KeyframeFaces.Reach"/> keyframes after its
    /// own have been searched, so at most that many intervals of frames wait in memory.
    /// </summary>
    private IEnumerable<byte[]> RedactFrames(IEnumerable<byte[]> decoded, Yuv420 layout, FaceRectangle? requesterFace, FrameCounters counters)
    {
        var interval = options.Value.VideoKeyframeInterval;
        var faces = new KeyframeFaces(requesterFace);
        var keyframes = new List<(int Frame, Task<IReadOnlyList<FaceRectangle>> Found)>();
        var waiting = new Queue<byte[]>();
        var next = 0;
        var count = 0;
        byte[]? last = null;
        var patches = new List<Mat>();
        var patchesOf = -1;
        List<Rect> patchedRegions = [];
        var stills = new StillScene?[SearchWidthShares.Length];
        foreach (var frame in decoded)
        {
            if (count % interval == 0)
            {
                Search(count, frame);
            }

            waiting.Enqueue(frame);
            last = frame;
            count++;
            while (waiting.Count > 0 && keyframes.Count > KeyframeFaces.Needed(next / interval))
            {
                yield return Finish(waiting.Dequeue());
            }
        }

        if (last is not null && (count - 1) % interval != 0)
        {
            Search(count - 1, last);
        }

        while (waiting.Count > 0)
        {
            yield return Finish(waiting.Dequeue());
        }

        patches.ForEach(patch => patch.Dispose());
        foreach (var still in stills)
        {
            still?.Dispose();
        }

        // The frame stays in memory, unchanged, until its search is over: it is blurred only after (Finish waits for it).
        void Search(int frame, byte[] data)
        {
            // Two keyframes at a time, on the two chains of odd and even keyframes, each given the faces the one two before
            // it confirmed (see DetectCandidates): a search costs several times a frame's decoding and encoding, and one
            // chain alone kept a core idle while frames waited. Which faces a keyframe gets does not depend on timing.
            var share = keyframes.Count % SearchWidthShares.Length;
            var searchWidth = (int)(options.Value.VideoSearchWidth * SearchWidthShares[share]);
            var before = keyframes.Count > 1 ? keyframes[^2].Found : Task.FromResult<IReadOnlyList<FaceRectangle>>([]);
            keyframes.Add((frame, before.ContinueWith(
                previous =>
                {
                    // A keyframe the same as the last one searched at its width (a still scene: an empty hallway, a door
                    // nobody passes) has the same faces: the search is a function of the pixels. Compared with the last one
                    // searched, not the last one reused, so slow change cannot add up unseen. Each width's slot is used by
                    // one chain only (shares 0 and 2 by the even one, 1 and 3 by the odd one), one keyframe at a time.
                    using var luma = layout.Plane(data, 0);
                    var small = LocalFaceDetector.SearchCopy(luma, searchWidth);
                    if (stills[share] is { } last && last.Unchanged(small))
                    {
                        small.Dispose();
                        return last.Faces;
                    }

                    var found = detector.DetectCandidates(luma, searchWidth, small, previous.IsCompletedSuccessfully ? previous.Result : null);
                    stills[share]?.Dispose();
                    stills[share] = new StillScene(small, found);
                    Interlocked.Increment(ref counters.Searched);
                    return found;
                },
                CancellationToken.None,
                TaskContinuationOptions.LongRunning,
                TaskScheduler.Default)));
        }

        byte[] Finish(byte[] frame)
        {
            var index = next++;
            var needed = Math.Min(keyframes.Count - 1, KeyframeFaces.Needed(index / interval));
            while (faces.Count <= needed)
            {
                var (keyframe, found) = keyframes[faces.Count];
                faces.Add(keyframe, found.GetAwaiter().GetResult());
            }

            var (regions, requester) = faces.Regions(index, layout.Width, layout.Height);
            // Blurred afresh on the first frame of each keyframe interval, and whenever the regions are not those the
            // patches were made for (they never differ within an interval; if they did, a patch would land elsewhere).
            var own = faces.KeyframeOf(index);
            var render = own != patchesOf || !regions.SequenceEqual(patchedRegions);
            if (render)
            {
                patches.ForEach(patch => patch.Dispose());
                patches.Clear();
                patchesOf = own;
                patchedRegions = regions;
            }

            var p = 0;
            for (var plane = 0; plane < 3; plane++)
            {
                using var pixels = layout.Plane(frame, plane);
                var keep = requester is { } face ? (plane == 0 ? face : layout.Chroma(face)) : default;
                using var kept = keep.Width > 0 ? new Mat(pixels, keep).Clone() : null;
                foreach (var region in render ? regions : [])
                {
                    BlurRegion(pixels, plane == 0 ? region : layout.Chroma(region));
                }

                // The regions are the same from one keyframe to the next (KeyframeFaces.Regions): they are blurred in the
                // first frame, and the same blurred pixels are put in the others. Nine means of a region a few frames
                // earlier show no more than nine of its own would; and a region that does not change from frame to frame
                // costs the encoder next to nothing.
                foreach (var region in regions)
                {
                    using var place = new Mat(pixels, plane == 0 ? region : layout.Chroma(region));
                    if (render)
                    {
                        patches.Add(place.Clone());
                    }
                    else
                    {
                        patches[p++].CopyTo(place);
                    }
                }

                // The requester's face stays as it was, whatever margin of another's reached it.
                if (kept is not null)
                {
                    using var back = new Mat(pixels, keep);
                    kept.CopyTo(back);
                }
            }

            counters.Frames++;
            counters.FacesBlurred += regions.Count;
            counters.Kept += requester is null ? 0 : 1;
            return frame;
        }
    }

    /// <summary>
    /// Blurs every face but the tracked requester's and moves the track to where the requester's face is now. The frame is
    /// searched again after blurring (up to <see cref="MaxPasses"/> times) until the detector finds nothing but the kept
    /// face: a cascade may first find only part of a face, and what it finds next must go too.
    /// </summary>
    private (int Blurred, bool Kept) RedactFrame(Mat image, ref FaceRectangle? track)
    {
        var blurred = 0;
        var kept = false;
        for (var pass = 0; pass < MaxPasses; pass++)
        {
            var faces = detector.Detect(image);
            var keep = new bool[faces.Count];
            if (track is { } requester)
            {
                // The requester's face: every detection overlapping the tracked rectangle (a cascade may box the whole
                // face in one frame and part of it in the next).
                FaceRectangle? next = null;
                for (var i = 0; i < faces.Count; i++)
                {
                    if (KeyframeFaces.SameFace(requester, faces[i]))
                    {
                        keep[i] = true;
                        next ??= faces[i];
                    }
                }

                if (next is not null && pass == 0)
                {
                    track = next;
                    kept = true;
                }
            }

            var blurredNow = 0;
            for (var i = 0; i < faces.Count; i++)
            {
                if (!keep[i])
                {
                    Blur(image, faces[i]);
                    blurredNow++;
                }
            }

            blurred += blurredNow;
            if (blurredNow == 0)
            {
                break;
            }
        }

        return (blurred, kept);
    }

    /// <summary>
    /// Pixelates then blurs the face and a wide margin around it (three quarters of its size on each side, see
    /// <see cref="BlurRegion"/>), so that neither a person nor a detector can recognise it: a Haar box is tight around
    /// eyes, nose and mouth, sometimes around part of a face only, and hair and head shape identify people too.
    /// </summary>
    private static void Blur(Mat image, FaceRectangle face)
    {
        var marginX = face.Width * 3 / 4;
        var marginY = face.Height * 3 / 4;
        var left = Math.Max(0, face.Left - marginX);
        var top = Math.Max(0, face.Top - marginY);
        var right = Math.Min(image.Width, face.Left + face.Width + marginX);
        var bottom = Math.Min(image.Height, face.Top + face.Height + marginY);
        if (right > left && bottom > top)
        {
            BlurRegion(image, new Rect(left, top, right - left, bottom - top));
        }
    }

    /// <summary>
    /// Pixelates <paramref name="region"/> to 3x3 cells, then blurs it with a Gaussian a quarter of its size wide: nothing
    /// of it survives but nine means. (6x6 cells, as before, left smooth shading that, once re-encoded as H.264, the Haar
    /// cascade at times took for a face: the per-frame search of old blurred those again before encoding; a keyframe search
    /// cannot.) As only the nine means are left, the Gaussian is done on a copy at most <see cref="SmoothingSize"/> pixels on
    /// a side and scaled back up: the same smooth picture (but for the edge, no longer blended with the surroundings) at a
    /// fraction of the cost; a full-size Gaussian of a 1280x720 frame's face region took 10 to 20 ms.
    /// </summary>
    private static void BlurRegion(Mat image, Rect region)
    {
        using var pixels = new Mat(image, region);
        if (pixels.Width < 3 || pixels.Height < 3)
        {
            pixels.SetTo(Cv2.Mean(pixels));
            return;
        }

        using var cells = new Mat(3, 3, pixels.Type());
        for (var y = 0; y < 3; y++)
        {
            for (var x = 0; x < 3; x++)
            {
                // The cell's mean, as an area resize would give it (which, at sizes not a multiple of 3, is ten times slower).
                var left = pixels.Width * x / 3;
                var top = pixels.Height * y / 3;
                using var cell = new Mat(pixels, new Rect(left, top, (pixels.Width * (x + 1) / 3) - left, (pixels.Height * (y + 1) / 3) - top));
                using var mean = new Mat(cells, new Rect(x, y, 1, 1));
                mean.SetTo(Cv2.Mean(cell));
            }
        }

        var step = Math.Max(1.0, Math.Max(region.Width, region.Height) / (double)SmoothingSize);
        using var smooth = new Mat();
        Cv2.Resize(cells, smooth, new Size(Math.Max(1, (int)Math.Round(region.Width / step)), Math.Max(1, (int)Math.Round(region.Height / step))), 0, 0, InterpolationFlags.Linear);
        var kernel = (Math.Max(smooth.Width, smooth.Height) / 4) | 1;
        Cv2.GaussianBlur(smooth, smooth, new Size(kernel, kernel), 0);
        Cv2.Resize(smooth, pixels, pixels.Size(), 0, 0, InterpolationFlags.Linear);
    }

    [LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "Redacted a {Format}: {Frames} frame(s), {FacesBlurred} face(s) blurred, requester's face known: {RequesterFaceKnown}")]
    private static partial void LogRedacted(ILogger logger, string format, int frames, int facesBlurred, bool requesterFaceKnown);

    /// <summary>
    /// A searched keyframe, as the search saw it (<see cref="LocalFaceDetector.SearchCopy"/>), and the faces found in it. Another keyframe is
    /// <see cref="Unchanged"/> when the means of its 8x8-pixel blocks are all within <see cref="BlockTolerance"/> grey levels
    /// of this one's: block means average a camera's noise out, and any face coming, going or moving changes a block's mean
    /// by far more (a face at the smallest searched size covers at least nine blocks).
    /// </summary>
    private sealed class StillScene(Mat small, IReadOnlyList<FaceRectangle> faces) : IDisposable
    {
        private const int Block = 8;
        private const double BlockTolerance = 3;

        private readonly Mat _blocks = Blocks(small);

        public IReadOnlyList<FaceRectangle> Faces => faces;

        public bool Unchanged(Mat other)
        {
            if (other.Size() != small.Size())
            {
                return false;
            }

            using var blocks = Blocks(other);
            using var difference = new Mat();
            Cv2.Absdiff(blocks, _blocks, difference);
            Cv2.MinMaxLoc(difference, out _, out double largest);
            return largest <= BlockTolerance;
        }

        public void Dispose()
        {
            small.Dispose();
            _blocks.Dispose();
        }

        private static Mat Blocks(Mat image)
        {
            // Float means, so that rounding cannot hide a change of a grey level or two.
            using var wide = new Mat();
            image.ConvertTo(wide, MatType.CV_32FC1);
            var blocks = new Mat();
            Cv2.Resize(wide, blocks, new Size(Math.Max(1, image.Width / Block), Math.Max(1, image.Height / Block)), 0, 0, InterpolationFlags.Area);
            return blocks;
        }
    }

    private sealed class FrameCounters
    {
        /// <summary>Keyframes searched (the others were a still scene's, see <see cref="StillScene"/>). A field, for Interlocked.</summary>
        public int Searched;

        public int Frames { get; set; }

        public int FacesBlurred { get; set; }

        public int Kept { get; set; }
    }

    /// <summary>
    /// The layout of a raw yuv420p frame as ffmpeg pipes it: the luma plane, then the two chroma planes at half the width
    /// and height (rounded up), no padding.
    /// </summary>
    private readonly record struct Yuv420(int Width, int Height)
    {
        public int ChromaWidth => (Width + 1) / 2;

        public int ChromaHeight => (Height + 1) / 2;

        public int FrameSize => (Width * Height) + (2 * ChromaWidth * ChromaHeight);

        /// <summary>Plane 0 (luma), 1 or 2 (chroma) of a pinned frame buffer, in place (no copy).</summary>
        public Mat Plane(byte[] frame, int plane)
        {
            var start = Marshal.UnsafeAddrOfPinnedArrayElement(frame, 0);
            return plane == 0
                ? Mat.FromPixelData(Height, Width, MatType.CV_8UC1, start)
                : Mat.FromPixelData(ChromaHeight, ChromaWidth, MatType.CV_8UC1, start + (Width * Height) + ((plane - 1) * ChromaWidth * ChromaHeight));
        }

        /// <summary>A luma region in chroma pixels, covering it (rounded outwards).</summary>
        public Rect Chroma(Rect region)
        {
            var left = region.Left / 2;
            var top = region.Top / 2;
            return new Rect(left, top, Math.Min(ChromaWidth, (region.Right + 1) / 2) - left, Math.Min(ChromaHeight, (region.Bottom + 1) / 2) - top);
        }
    }

    /// <summary>
    /// The frame buffers of one video, reused rather than allocated per frame (a 640x360 frame is 345 KB, a 1080p one 3 MB).
    /// Pinned, so that OpenCV works on them in place.
    /// </summary>
    private sealed class FramePool(int frameSize)
    {
        private readonly ConcurrentBag<byte[]> _free = [];

        public byte[] Rent() => _free.TryTake(out var frame) ? frame : GC.AllocateUninitializedArray<byte>(frameSize, pinned: true);

        public void Return(byte[] frame) => _free.Add(frame);
    }
}
