using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using FFMpegCore;
using FFMpegCore.Pipes;
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
    string? VideoCodec)
{
    /// <summary>A sentence for the access-request answer (PIPEDA s.9(1)); no personal data.</summary>
    public string Summary => RequesterFaceKnown
        ? $"{FacesBlurred} face region(s) of other people blurred in {Frames} frame(s); the requester's face was kept in {FramesWithRequesterKept}."
        : $"The requester's face was not known: all {FacesBlurred} face region(s) in {Frames} frame(s) were blurred.";
}

/// <summary>
/// Severs other people from footage before it is given to a requester (PIPEDA s.9(1)): blurs every detected face except
/// the requester's. JPEG images directly; MP4 video by decoding frames with ffmpeg (through FFMpegCore, raw BGR frames
/// piped out and back in), detecting and blurring each frame, and re-encoding (H.264 when ffmpeg has libx264, else
/// MPEG-4 part 2). The original is never modified: the result goes to the output stream given (a new blob). Audio is not
/// carried over (entry cameras record none; voices of others would need severing too).
/// </summary>
public sealed partial class FaceRedactor(LocalFaceDetector detector, IOptions<FaceOptions> options, ILogger<FaceRedactor> logger)
{
    private const int MaxPasses = 3;

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
    /// given in the first frame's pixels and followed from frame to frame (the detected face overlapping it most).
    /// </summary>
    public async Task<RedactionResult> RedactMp4Async(Stream input, Stream output, FaceRectangle? requesterFace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var folder = options.Value.TemporaryFolder ?? Path.GetTempPath();
        Directory.CreateDirectory(folder);
        var stem = Path.Combine(folder, "onevalet-redact-" + Guid.NewGuid().ToString("N"));
        var inputPath = stem + "-in.mp4";
        var outputPath = stem + "-out.mp4";
        var ff = new FFOptions { BinaryFolder = options.Value.FFmpegFolder, TemporaryFilesFolder = folder };
        try
        {
            await using (var staged = File.Create(inputPath))
            {
                await input.CopyToAsync(staged, cancellationToken).ConfigureAwait(false);
            }

            var analysis = await FFProbe.AnalyseAsync(inputPath, ff, cancellationToken: cancellationToken).ConfigureAwait(false);
            var stream = analysis.PrimaryVideoStream ?? throw new InvalidDataException("The video has no video stream.");
            var width = stream.Width ?? throw new InvalidDataException("The video has no width.");
            var height = stream.Height ?? throw new InvalidDataException("The video has no height.");
            var frameRate = stream.AverageFrameRate > 0 ? stream.AverageFrameRate : stream.RealFrameRate;
            var codec = PickEncoder(ff);

            var frameSize = width * height * 3;
            using var decoded = new BlockingCollection<byte[]>(boundedCapacity: 8);
            var decode = Task.Run(
                async () =>
                {
                    try
                    {
                        await FFMpegArguments
                            .FromFileInput(inputPath)
                            .OutputToPipe(
                                new StreamPipeSink(async (pipe, ct) =>
                                {
                                    while (true)
                                    {
                                        var frame = new byte[frameSize];
                                        var read = await pipe.ReadAtLeastAsync(frame, frameSize, throwOnEndOfStream: false, ct).ConfigureAwait(false);
                                        if (read < frameSize)
                                        {
                                            return;
                                        }

                                        decoded.Add(frame, ct);
                                    }
                                }),
                                o => o.ForceFormat("rawvideo").WithCustomArgument("-pix_fmt bgr24 -an"))
                            .CancellableThrough(cancellationToken)
                            .ProcessAsynchronously(throwOnError: true, ff)
                            .ConfigureAwait(false);
                    }
                    finally
                    {
                        decoded.CompleteAdding();
                    }
                },
                cancellationToken);

            var counters = new FrameCounters();
            var track = requesterFace;
            IEnumerable<IVideoFrame> Redacted()
            {
                using var mat = new Mat(height, width, MatType.CV_8UC3);
                foreach (var raw in decoded.GetConsumingEnumerable(cancellationToken))
                {
                    Marshal.Copy(raw, 0, mat.Data, frameSize);
                    var (blurred, kept) = RedactFrame(mat, ref track);
                    Marshal.Copy(mat.Data, raw, 0, frameSize);
                    counters.Frames++;
                    counters.FacesBlurred += blurred;
                    counters.Kept += kept ? 1 : 0;
                    yield return new BgrFrame(raw, width, height);
                }
            }

            var encodeArguments = codec == "libx264" ? "-pix_fmt yuv420p -preset veryfast -crf 23" : "-pix_fmt yuv420p -q:v 4";
            var encode = Task.Run(
                () => FFMpegArguments
                    .FromPipeInput(new RawVideoPipeSource(Redacted()) { FrameRate = frameRate })
                    .OutputToFile(outputPath, overwrite: true, o => o.WithVideoCodec(codec).WithCustomArgument(encodeArguments + " -movflags +faststart"))
                    .CancellableThrough(cancellationToken)
                    .ProcessAsynchronously(throwOnError: true, ff),
                cancellationToken);

            await decode.ConfigureAwait(false);
            await encode.ConfigureAwait(false);

            await using (var redacted = File.OpenRead(outputPath))
            {
                await redacted.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            }

            var result = new RedactionResult(counters.Frames, counters.FacesBlurred, requesterFace is not null, counters.Kept, codec);
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
                    if (SameFace(requester, faces[i]))
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

    private static bool SameFace(FaceRectangle a, FaceRectangle b) => a.Overlap(b) >= 0.3 || CenterInside(a, b) || CenterInside(b, a);

    private static bool CenterInside(FaceRectangle outer, FaceRectangle inner)
    {
        var x = inner.Left + (inner.Width / 2);
        var y = inner.Top + (inner.Height / 2);
        return x >= outer.Left && x < outer.Left + outer.Width && y >= outer.Top && y < outer.Top + outer.Height;
    }

    /// <summary>
    /// Pixelates then blurs the face and a wide margin around it (three quarters of its size on each side), so that neither
    /// a person nor a detector can recognise it: a Haar box is tight around eyes, nose and mouth, sometimes around part of
    /// a face only, and hair and head shape identify people too.
    /// </summary>
    private static void Blur(Mat image, FaceRectangle face)
    {
        var marginX = face.Width * 3 / 4;
        var marginY = face.Height * 3 / 4;
        var left = Math.Max(0, face.Left - marginX);
        var top = Math.Max(0, face.Top - marginY);
        var right = Math.Min(image.Width, face.Left + face.Width + marginX);
        var bottom = Math.Min(image.Height, face.Top + face.Height + marginY);
        if (right <= left || bottom <= top)
        {
            return;
        }

        using var region = new Mat(image, new Rect(left, top, right - left, bottom - top));
        using var tiny = new Mat();
        Cv2.Resize(region, tiny, new Size(6, 6), 0, 0, InterpolationFlags.Area);
        Cv2.Resize(tiny, region, region.Size(), 0, 0, InterpolationFlags.Linear);
        var kernel = (Math.Max(region.Width, region.Height) / 4) | 1;
        Cv2.GaussianBlur(region, region, new Size(kernel, kernel), 0);
    }

    [LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "Redacted a {Format}: {Frames} frame(s), {FacesBlurred} face(s) blurred, requester's face known: {RequesterFaceKnown}")]
    private static partial void LogRedacted(ILogger logger, string format, int frames, int facesBlurred, bool requesterFaceKnown);

    private sealed class FrameCounters
    {
        public int Frames { get; set; }

        public int FacesBlurred { get; set; }

        public int Kept { get; set; }
    }

    /// <summary>One raw frame piped to ffmpeg.</summary>
    private sealed class BgrFrame(byte[] data, int width, int height) : IVideoFrame
    {
        public int Width => width;

        public int Height => height;

        public string PixelFormat => "bgr24";

        public void Serialize(Stream pipe) => pipe.Write(data);

        public Task SerializeAsync(Stream pipe, CancellationToken token) => pipe.WriteAsync(data, token).AsTask();
    }
}
