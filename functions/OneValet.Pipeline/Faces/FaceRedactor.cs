using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using FFMpegCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace OneValet.Pipeline.Faces;

/// <summary>What a redaction did. <see cref="RequesterFaceKnown"/> false: every face was blurred, the requester's too.</summary>
public sealed record RedactionResult(
    int Frames,
    int FacesBlurred,
    bool RequesterFaceKnown,
    int FramesWithRequesterKept,
    string? VideoCodec,
    int KeyframesSearched = 0,
    RedactionProfile? Profile = null)
{
    /// <summary>A sentence for the access-request answer (PIPEDA s.9(1)); no personal data.</summary>
    public string Summary => RequesterFaceKnown
        ? $"{FacesBlurred} face region(s) of other people blurred in {Frames} frame(s); the requester's face was kept in {FramesWithRequesterKept}."
        : $"The requester's face was not known: all {FacesBlurred} face region(s) in {Frames} frame(s) were blurred.";
}

/// <summary>
/// Where a video redaction's time went, for the benchmark (counts and durations only): this process's phases in wall-clock
/// time (<see cref="Search"/> summed over both keyframe chains).
/// <see cref="Setup"/>: staging the input, ffprobe, starting the decoder (the encoder is started at its first frame); <see cref="WaitingForSearch"/>: frames held
/// until the keyframes after them were searched; <see cref="WaitingForEncoder"/>: writes blocked on the encoder's pipe;
/// <see cref="Tail"/>: from the last frame written to the result copied out (the encoder's flush);
/// <see cref="FramesHeld"/>: the most decoded frames held in memory at once (frame buffers are reused once encoded): it is
/// bounded whatever the video's length (see <see cref="FaceRedactor.MostFramesHeld"/>); <see cref="FirstFrame"/>: from the
/// start to the first decoded frame read (setup and the decoder's own start).
/// </summary>
public sealed record RedactionProfile(
    TimeSpan Setup,
    TimeSpan Search,
    int ViewsSearched,
    TimeSpan WaitingForSearch,
    TimeSpan Blur,
    TimeSpan WaitingForEncoder,
    TimeSpan Tail,
    int FramesHeld = 0,
    TimeSpan FirstFrame = default);

/// <summary>
/// Severs other people from footage before it is given to a requester (PIPEDA s.9(1)): blurs every detected face except
/// the requester's. JPEG images directly, searched at full resolution until nothing but the requester's face is found.
/// MP4 video by decoding it with ffmpeg (raw YUV 4:2:0 frames piped out and back in: the decoder's and the encoder's own
/// format, so neither converts, and in colour, which the detector needs), searching only keyframes, view by view
/// (<see cref="KeyframeSearch"/>), blurring
/// every frame from the faces of the keyframes around it (<see cref="KeyframeFaces"/>: searching every frame at full
/// resolution made redaction a hundred times slower than decoding and re-encoding), and re-encoding (H.264 when ffmpeg has
/// libx264, else MPEG-4 part 2). The original is never modified: the result goes to the output stream given (a new blob).
/// Audio is not carried over (entry cameras record none; voices of others would need severing too).
/// </summary>
public sealed partial class FaceRedactor(LocalFaceDetector detector, IOptions<FaceOptions> options, ILogger<FaceRedactor> logger)
{
    /// <summary>A video frame is blurred from the faces of this many keyframes before it (its own included) and after it.</summary>
    public const int KeyframesAround = KeyframeFaces.Reach;

    /// <summary>
    /// The most decoded frames a video redaction holds in memory at once, with keyframes every <paramref name="interval"/>
    /// frames, whatever the video's length: the frames waiting for the searches of the keyframes after them (at the start
    /// <c>2 x KeyframesAround - 1</c> intervals and the keyframe ending them, later <see cref="KeyframesAround"/>), those read
    /// ahead by the decoder, the one it is reading into and the one being written to the encoder. Past that, the decoder
    /// waits (back-pressure through its pipe): memory does not grow with the video.
    /// </summary>
    public static int MostFramesHeld(int interval) => (Math.Max(KeyframesAround, (2 * KeyframesAround) - 1) * interval) + 1 + DecodedAhead + 2;

    /// <summary>Decoded frames read ahead of the redaction (the decoder then waits: it is never further ahead).</summary>
    private const int DecodedAhead = 8;

    private const int MaxPasses = 3;

    private static readonly ConcurrentDictionary<string, string> EncoderByFolder = new();

    /// <summary>Redacts a JPEG image. <paramref name="requesterFace"/> null = the requester's face is not known (all blurred).</summary>
    public RedactionResult RedactJpeg(byte[] jpeg, FaceRectangle? requesterFace, Stream output)
    {
        ArgumentNullException.ThrowIfNull(jpeg);
        ArgumentNullException.ThrowIfNull(output);
        FacePicture image;
        SKBitmap bitmap;
        try
        {
            image = LocalFaceDetector.Decode(jpeg, out bitmap);
        }
        catch (InvalidDataException)
        {
            throw new InvalidDataException("The image could not be decoded as JPEG.");
        }

        using (bitmap)
        {
            var track = requesterFace;
            var (blurred, kept) = RedactFrame(image, ref track);
            image.Data.AsSpan().CopyTo(bitmap.GetPixelSpan());
            using var encoded = bitmap.Encode(SKEncodedImageFormat.Jpeg, 92);
            output.Write(encoded.AsSpan());
            var result = new RedactionResult(1, blurred, requesterFace is not null, kept ? 1 : 0, null);
            LogRedacted(logger, "jpeg", result.Frames, result.FacesBlurred, result.RequesterFaceKnown);
            return result;
        }
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
    public Task<RedactionResult> RedactMp4Async(Stream input, Stream output, FaceRectangle? requesterFace, Media.MediaOptions? limits, CancellationToken cancellationToken) =>
        RedactMp4Async(input, output, requesterFace, findRequester: null, limits, cancellationToken);

    /// <summary>
    /// As above, with the requester's face found in each keyframe searched by <paramref name="findRequester"/> (called on
    /// the search's thread with the keyframe and the faces found in it) instead of followed from the first frame.
    /// </summary>
    public Task<RedactionResult> RedactMp4Async(Stream input, Stream output, RequesterFinder findRequester, Media.MediaOptions? limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(findRequester);
        return RedactMp4Async(input, output, requesterFace: null, findRequester, limits, cancellationToken);
    }

    private async Task<RedactionResult> RedactMp4Async(Stream input, Stream output, FaceRectangle? requesterFace, RequesterFinder? findRequester, Media.MediaOptions? limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var folder = options.Value.TemporaryFolder ?? Path.GetTempPath();
        Directory.CreateDirectory(folder);
        var stem = Path.Combine(folder, "onevalet-redact-" + Guid.NewGuid().ToString("N"));
        var inputPath = stem + "-in.mp4";
        var outputPath = stem + "-out.mp4";
        var ff = new FFOptions { BinaryFolder = options.Value.FFmpegFolder, TemporaryFilesFolder = folder };
        var clock = Stopwatch.StartNew();
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

            var pool = new FramePool(FacePicture.Yuv420Size(width, height));
            var rate = frameRate.ToString("0.###", CultureInfo.InvariantCulture);
            var encodeArguments = codec == "libx264" ? "-pix_fmt yuv420p -preset veryfast -crf 23" : "-pix_fmt yuv420p -q:v 4";
            using var decoder = StartFfmpeg(ff, DecodeArguments(inputPath, width, height), input: false);

            // The encoder is started once the decoder has given its first frame (or when the frames end, if there were none),
            // not beside it: starting a Debian ffmpeg (some 200 shared libraries) costs about 0.15 s of CPU, and two at once
            // on two cores delayed the first frame; the encoder starts instead while the first keyframes are searched.
            using var encoder = new StartedOnce(() => StartFfmpeg(ff, $"-f rawvideo -pix_fmt yuv420p -s {width}x{height} -r {rate} -i pipe:0 -c:v {codec} {encodeArguments} -movflags +faststart -y \"{outputPath}\"", input: true));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var setup = clock.Elapsed;
            var counters = new FrameCounters();
            try
            {
                using var decoded = new BlockingCollection<byte[]>(boundedCapacity: DecodedAhead);

                // The pipes are read and written on threads of their own, blocking, not by async calls whose continuations
                // need the thread pool: with two cores it has two threads, both at times blocked (a frame waiting for a
                // search, the decoder waiting for room), and each continuation then waited for the pool to add a thread
                // (the first frame came 0.4-0.9 s after the decoder started, against 0.2-0.35 s for ffmpeg alone).
                // Stopping (cancelled, or the other side failed) kills both ffmpegs, which ends a blocked read or write.
                using var killed = stop.Token.Register(() =>
                {
                    Stop(decoder);
                    encoder.Stop();
                });
                var decode = Task.Factory.StartNew(
                    () =>
                    {
                        try
                        {
                            // Read to the end of the pipe: every frame ffmpeg wrote, the last one too.
                            var frames = decoder.StandardOutput.BaseStream;
                            while (true)
                            {
                                var frame = pool.Rent();
                                var read = frames.ReadAtLeast(frame, frame.Length, throwOnEndOfStream: false);
                                if (read < frame.Length)
                                {
                                    pool.Return(frame);

                                    // A decoder killed on stopping ends its pipe too: that is not the video's end.
                                    stop.Token.ThrowIfCancellationRequested();
                                    return;
                                }

                                if (counters.FirstFrameAt == TimeSpan.Zero)
                                {
                                    counters.FirstFrameAt = clock.Elapsed;
                                    _ = encoder.Process;
                                }

                                decoded.Add(frame, stop.Token);
                            }
                        }
                        finally
                        {
                            decoded.CompleteAdding();
                        }
                    },
                    CancellationToken.None,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default);

                var encode = Task.Factory.StartNew(
                    () =>
                    {
                        try
                        {
                            var pipe = encoder.Process.StandardInput.BaseStream;
                            foreach (var frame in RedactFrames(decoded.GetConsumingEnumerable(stop.Token), width, height, requesterFace, findRequester, counters))
                            {
                                var writing = Stopwatch.GetTimestamp();
                                pipe.Write(frame);
                                counters.WriteTicks += Stopwatch.GetTimestamp() - writing;
                                pool.Return(frame);
                            }

                            stop.Token.ThrowIfCancellationRequested();
                            encoder.Process.StandardInput.Close();
                        }
                        catch
                        {
                            // The decoder must not wait for a reader that is gone.
                            stop.Cancel();
                            throw;
                        }
                    },
                    CancellationToken.None,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default);

                // The encoder's failure first: the decoder's is then only its being stopped.
                await Task.WhenAll(encode, decode).ConfigureAwait(false);
                counters.StreamedAt = clock.Elapsed;
                await decoder.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                await encoder.Process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                if (decoder.ExitCode != 0 || encoder.Process.ExitCode != 0)
                {
                    throw new InvalidDataException($"ffmpeg could not {(decoder.ExitCode != 0 ? "decode" : "encode")} the video (exit code {(decoder.ExitCode != 0 ? decoder.ExitCode : encoder.Process.ExitCode)}).");
                }

                result = new RedactionResult(counters.Frames, counters.FacesBlurred, requesterFace is not null || findRequester is not null, counters.Kept, codec, counters.Searched);
            }
            finally
            {
                // Cancelled or failed half-way: no ffmpeg is left running on the staged footage.
                Stop(decoder);
                encoder.Stop();
            }

            await using (var redacted = File.OpenRead(outputPath))
            {
                await redacted.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            }

            result = result with
            {
                Profile = new RedactionProfile(
                    setup,
                    Stopwatch.GetElapsedTime(0, Interlocked.Read(ref counters.SearchTicks)),
                    counters.ViewsSearched,
                    Stopwatch.GetElapsedTime(0, counters.WaitTicks),
                    Stopwatch.GetElapsedTime(0, counters.BlurTicks),
                    Stopwatch.GetElapsedTime(0, counters.WriteTicks),
                    clock.Elapsed - counters.StreamedAt,
                    pool.Allocated,
                    counters.FirstFrameAt),
            };

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

    /// <summary>The decoder's arguments: no frame larger than <paramref name="width"/> x <paramref name="height"/> is decoded
    /// (<c>-max_pixels</c>), raw YUV 4:2:0 frames to its standard output.</summary>
    private static string DecodeArguments(string inputPath, int width, int height) =>
        string.Create(CultureInfo.InvariantCulture, $"-nostdin -max_pixels {(long)width * height} -i \"{inputPath}\" -map 0:v:0 -an -f rawvideo -pix_fmt yuv420p pipe:1");

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
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile (or never started): nothing is left to stop.
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
    private IEnumerable<byte[]> RedactFrames(IEnumerable<byte[]> decoded, int width, int height, FaceRectangle? requesterFace, RequesterFinder? findRequester, FrameCounters counters)
    {
        var interval = options.Value.VideoKeyframeInterval;
        var faces = new KeyframeFaces(requesterFace, requesterPerKeyframe: findRequester is not null);

        // Where the requester is in each keyframe, by keyframe index, when it is found per keyframe (set before its search's
        // task ends, read after it).
        var requesters = new ConcurrentDictionary<int, FaceRectangle?>();
        var keyframes = new List<(int Frame, Task<IReadOnlyList<FaceRectangle>> Found)>();
        var waiting = new Queue<byte[]>();
        var next = 0;
        var count = 0;
        byte[]? last = null;
        var patches = new List<byte[]>();
        var patchesOf = -1;
        List<PixelRect> patchedRegions = [];

        // The two chains of keyframes (even and odd), each with its own memory of what it searched (still views).
        KeyframeSearch[] chains = [new(detector, chain: 0), new(detector, chain: 1)];
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

        // The frame stays in memory, unchanged, until its search is over: it is blurred only after (Finish waits for it).
        void Search(int frame, byte[] data)
        {
            // Two keyframes at a time, on the two chains of odd and even keyframes, each after the one two before it (its
            // chain's memory of still views is used by one keyframe at a time, in order): a search costs several times a
            // frame's decoding and encoding, and one chain alone kept a core idle while frames waited. Which faces a
            // keyframe gets does not depend on timing.
            var index = keyframes.Count;
            var chain = chains[index % 2];
            var before = index > 1 ? keyframes[^2].Found : Task.FromResult<IReadOnlyList<FaceRectangle>>([]);
            keyframes.Add((frame, before.ContinueWith(
                _ =>
                {
                    var started = Stopwatch.GetTimestamp();
                    var picture = new FacePicture(data, width, height, PictureLayout.Yuv420);
                    var (found, searched) = chain.Search(picture);
                    if (findRequester is not null && found.Count > 0)
                    {
                        requesters[index] = findRequester(picture, found);
                    }

                    Interlocked.Add(ref counters.SearchTicks, Stopwatch.GetTimestamp() - started);
                    Interlocked.Add(ref counters.ViewsSearched, searched);
                    if (searched > 0)
                    {
                        Interlocked.Increment(ref counters.Searched);
                    }

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
            var waiting = Stopwatch.GetTimestamp();
            while (faces.Count <= needed)
            {
                var (keyframe, found) = keyframes[faces.Count];
                var foundFaces = found.GetAwaiter().GetResult();
                faces.Add(keyframe, foundFaces, requesters.GetValueOrDefault(faces.Count));
            }

            var blurring = Stopwatch.GetTimestamp();
            counters.WaitTicks += blurring - waiting;

            var (regions, requester) = faces.Regions(index, width, height);
            var picture = new FacePicture(frame, width, height, PictureLayout.Yuv420);

            // Blurred afresh on the first frame of each keyframe interval, and whenever the regions are not those the
            // patches were made for (they never differ within an interval; if they did, a patch would land elsewhere).
            var own = faces.KeyframeOf(index);
            var render = own != patchesOf || !regions.SequenceEqual(patchedRegions);
            var kept = requester is { } keep ? picture.Copy(keep) : null;
            if (render)
            {
                patches.Clear();
                patchesOf = own;
                patchedRegions = regions;
                foreach (var region in regions)
                {
                    picture.Pixelate(region);
                }

                // The regions are the same from one keyframe to the next (KeyframeFaces.Regions): they are blurred in
                // the first frame, and the same blurred pixels are put in the others. Nine means of a region a few frames
                // earlier show no more than nine of its own would; and a region that does not change from frame to
                // frame costs the encoder next to nothing.
                patches.AddRange(regions.Select(picture.Copy));
            }
            else
            {
                for (var p = 0; p < regions.Count; p++)
                {
                    picture.Paste(regions[p], patches[p]);
                }
            }

            // The requester's face stays as it was, whatever margin of another's reached it.
            if (kept is not null)
            {
                picture.Paste(requester!.Value, kept);
            }

            counters.BlurTicks += Stopwatch.GetTimestamp() - blurring;
            counters.Frames++;
            counters.FacesBlurred += regions.Count;
            counters.Kept += requester is null ? 0 : 1;
            return frame;
        }
    }

    /// <summary>
    /// Blurs every face but the tracked requester's and moves the track to where the requester's face is now. The picture
    /// is searched again after blurring (up to <see cref="MaxPasses"/> times) until the detector finds nothing but the
    /// kept face: what it finds once the larger faces are gone (a face beside one, or in a blurred margin) must go too.
    /// </summary>
    private (int Blurred, bool Kept) RedactFrame(FacePicture image, ref FaceRectangle? track)
    {
        var blurred = 0;
        var kept = false;
        for (var pass = 0; pass < MaxPasses; pass++)
        {
            var faces = detector.Detect(image);
            var keep = new bool[faces.Count];
            if (track is { } requester)
            {
                // The requester's face: every detection overlapping the tracked rectangle.
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
    /// Pixelates the face and a wide margin around it (three quarters of its size on each side, see
    /// <see cref="FacePicture.Pixelate"/>), so that neither a person nor a detector can recognise it: hair and head shape
    /// identify people too.
    /// </summary>
    private static void Blur(FacePicture image, FaceRectangle face)
    {
        var marginX = face.Width * 3 / 4;
        var marginY = face.Height * 3 / 4;
        image.Pixelate(new PixelRect(face.Left - marginX, face.Top - marginY, face.Width + (2 * marginX), face.Height + (2 * marginY)));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Redacted a {Format}: {Frames} frame(s), {FacesBlurred} face(s) blurred, requester's face known: {RequesterFaceKnown}")]
    private static partial void LogRedacted(ILogger logger, string format, int frames, int facesBlurred, bool requesterFaceKnown);

    private sealed class FrameCounters
    {
        /// <summary>Keyframes searched (the others were a still scene's, see <see cref="KeyframeSearch"/>). A field, for Interlocked.</summary>
        public int Searched;

        /// <summary>Views the model read, and the time the keyframe searches took, summed over both chains (Interlocked).</summary>
        public int ViewsSearched;

        public long SearchTicks;

        public long WaitTicks { get; set; }

        public long BlurTicks { get; set; }

        public long WriteTicks { get; set; }

        public TimeSpan StreamedAt { get; set; }

        /// <summary>Set by the decoding task only, read after it ended.</summary>
        public TimeSpan FirstFrameAt { get; set; }

        public int Frames { get; set; }

        public int FacesBlurred { get; set; }

        public int Kept { get; set; }
    }

    /// <summary>A process started by the first thread that asks for it (the decoding task or the encoding one), once;
    /// stopped and disposed only if it was started.</summary>
    private sealed class StartedOnce(Func<Process> start) : IDisposable
    {
        private readonly Lazy<Process> _process = new(start, LazyThreadSafetyMode.ExecutionAndPublication);

        public Process Process => _process.Value;

        public void Stop()
        {
            if (_process.IsValueCreated)
            {
                FaceRedactor.Stop(_process.Value);
            }
        }

        public void Dispose()
        {
            if (_process.IsValueCreated)
            {
                _process.Value.Dispose();
            }
        }
    }

    /// <summary>
    /// The frame buffers of one video, reused rather than allocated per frame (a 640x360 frame is 345 KB, a 1080p one 3 MB).
    /// <see cref="Allocated"/>: how many were ever made, the most frames held at once.
    /// </summary>
    private sealed class FramePool(int frameSize)
    {
        private readonly ConcurrentBag<byte[]> _free = [];
        private int _allocated;

        public int Allocated => Volatile.Read(ref _allocated);

        public byte[] Rent()
        {
            if (_free.TryTake(out var frame))
            {
                return frame;
            }

            Interlocked.Increment(ref _allocated);
            return GC.AllocateUninitializedArray<byte>(frameSize);
        }

        public void Return(byte[] frame) => _free.Add(frame);
    }
}
