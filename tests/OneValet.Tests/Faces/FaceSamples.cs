using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Faces;
using OpenCvSharp;

namespace OneValet.Tests.Faces;

/// <summary>
/// Real pictures for the detector: the photo <c>messi5.jpg</c> shipped by the Debian package <c>opencv-doc</c>
/// (installed by infra/install.sh), its face cut out and pasted several times onto plain backgrounds, and short MP4
/// videos made from those with ffmpeg.
/// </summary>
internal static class FaceSamples
{
    public const string PhotoPath = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";

    private static readonly Lazy<FaceVerifiers> SharedVerifiers = new(() => new FaceVerifiers());

    /// <summary>The independent judges of redaction (the Haar cascade, BlazeFace on full-resolution tiles).</summary>
    public static FaceVerifiers Verifiers => SharedVerifiers.Value;

    /// <summary>The app's detector.</summary>
    public static LocalFaceDetector Detector => Verifiers.Detector;

    /// <summary>The faces the app's detector finds in a BGR image.</summary>
    public static IReadOnlyList<FaceRectangle> Detect(Mat image) => Detector.Detect(FaceVerifiers.Picture(image));

    /// <summary>The faces either verifier finds in an encoded image.</summary>
    public static IReadOnlyList<FaceRectangle> Verify(byte[] encoded)
    {
        using var image = Cv2.ImDecode(encoded, ImreadModes.Color);
        return Verifiers.Both(image);
    }

    public static FaceRedactor Redactor(string? temporaryFolder = null) =>
        new(Detector, Options.Create(new FaceOptions { TemporaryFolder = temporaryFolder }), NullLogger<FaceRedactor>.Instance);

    /// <summary>The face of the photo with a margin around it (the margin keeps the cascade's context).</summary>
    public static Mat FaceTile()
    {
        using var photo = Cv2.ImRead(PhotoPath, ImreadModes.Color);
        var face = Detect(photo)[0];
        var margin = face.Width / 2;
        var rect = new Rect(
            Math.Max(0, face.Left - margin),
            Math.Max(0, face.Top - margin),
            Math.Min(photo.Width - Math.Max(0, face.Left - margin), face.Width + (2 * margin)),
            Math.Min(photo.Height - Math.Max(0, face.Top - margin), face.Height + (2 * margin)));
        using var tile = new Mat(photo, rect);
        var scaled = new Mat();
        tile.CopyTo(scaled);
        return scaled;
    }

    /// <summary>A gray canvas with the face tile pasted at each of the given top-left corners.</summary>
    public static Mat Compose(int width, int height, params Point[] corners)
    {
        using var tile = FaceTile();
        var canvas = Background(width, height);
        foreach (var corner in corners)
        {
            using var target = new Mat(canvas, new Rect(corner.X, corner.Y, tile.Width, tile.Height));
            tile.CopyTo(target);
        }

        return canvas;
    }

    /// <summary>A scene without faces: the photo stretched to the size and blurred beyond recognition.</summary>
    public static Mat Background(int width, int height)
    {
        using var photo = Cv2.ImRead(PhotoPath, ImreadModes.Color);
        var background = new Mat();
        Cv2.Resize(photo, background, new Size(width, height));
        Cv2.GaussianBlur(background, background, new Size(61, 61), 0);
        return background;
    }

    public static byte[] Jpeg(Mat image)
    {
        Cv2.ImEncode(".jpg", image, out var bytes, new ImageEncodingParam(ImwriteFlags.JpegQuality, 95));
        return bytes;
    }

    /// <summary>
    /// An MP4 (H.264) of <paramref name="seconds"/> at 25 fps, 640x360: one face tile moving left to right along the top,
    /// and <paramref name="still"/> more tiles standing along the bottom. Made with ffmpeg's overlay filter.
    /// </summary>
    public static string Video(string folder, double seconds, int still, int width = 640, int height = 360)
    {
        using var tile = FaceTile();
        var tilePath = Path.Combine(folder, "tile.png");
        Cv2.ImWrite(tilePath, tile);
        var output = Path.Combine(folder, $"sample-{Guid.NewGuid():N}.mp4");
        var backgroundPath = Path.Combine(folder, "background.png");
        using (var background = Background(width, height))
        {
            Cv2.ImWrite(backgroundPath, background);
        }

        var inputs = $"-loop 1 -framerate 25 -t {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} -i \"{backgroundPath}\" -loop 1 -i \"{tilePath}\"";
        var filter = $"[0][1]overlay=x='10+40*t':y=5:shortest=1[v0]";
        for (var i = 0; i < still; i++)
        {
            inputs += $" -loop 1 -i \"{tilePath}\"";
            filter += $";[v{i}][{i + 2}]overlay=x={width - ((i + 1) * (tile.Width + 10))}:y={height - tile.Height - 5}:shortest=1[v{i + 1}]";
        }

        Run("ffmpeg", $"-hide_banner -loglevel error -y {inputs} -filter_complex \"{filter}\" -map [v{still}] -c:v libx264 -pix_fmt yuv420p \"{output}\"");
        return output;
    }

    /// <summary>
    /// An MP4 (H.264) of <paramref name="seconds"/> (at most 5) at 25 fps, 640x360, with faces in motion: the requester
    /// standing at the bottom left, one face crossing along the top fast (320 pixels a second, entering from the left edge
    /// again each time it has left on the right) and one entering from the right edge at 1.6 s and walking left along the
    /// bottom (90 pixels a second). Made with ffmpeg's overlay filter; the tiles' places are known for every frame.
    /// </summary>
    public static MovingFaces MovingFacesVideo(string folder, double seconds)
    {
        using var tile = FaceTile();
        var tilePath = Path.Combine(folder, "tile.png");
        Cv2.ImWrite(tilePath, tile);
        var backgroundPath = Path.Combine(folder, "background.png");
        using (var background = Background(640, 360))
        {
            Cv2.ImWrite(backgroundPath, background);
        }

        var video = new MovingFaces(Path.Combine(folder, $"moving-{Guid.NewGuid():N}.mp4"), new Rect(10, 360 - tile.Height - 5, tile.Width, tile.Height));
        var length = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var filter = $"[0][1]overlay=x={video.Requester.X}:y={video.Requester.Y}:shortest=1[v0];"
            + $"[v0][2]overlay=x='mod(320*t,{640 + tile.Width})-{tile.Width}':y=5:shortest=1[v1];"
            + $"[v1][3]overlay=x='640-90*(t-1.6)':y={video.Requester.Y}:shortest=1[v2]";
        Run("ffmpeg", $"-hide_banner -loglevel error -y -loop 1 -framerate 25 -t {length} -i \"{backgroundPath}\" -loop 1 -i \"{tilePath}\" -loop 1 -i \"{tilePath}\" -loop 1 -i \"{tilePath}\" -filter_complex \"{filter}\" -map [v2] -c:v libx264 -pix_fmt yuv420p \"{video.Path}\"");
        return video;
    }

    /// <summary>The video of <see cref="MovingFacesVideo"/>: where the requester's tile is, and where the others' are.</summary>
    public sealed record MovingFaces(string Path, Rect Requester)
    {
        private const int Width = 640;
        private const int Height = 360;

        /// <summary>
        /// The tiles of the other two faces in frame <paramref name="frame"/>, or one frame before or after (so that a frame
        /// counted one off by a decoder is still judged right), clipped to the picture; empty when out of the picture.
        /// </summary>
        public IReadOnlyList<Rect> OthersAt(int frame)
        {
            var size = Requester.Size;
            var picture = new Rect(0, 0, Width, Height);
            return Enumerable.Range(frame - 1, 3)
                .Select(n => n / 25.0)
                .SelectMany(t => new[]
                {
                    new Rect((int)((320 * t) % (Width + size.Width)) - size.Width, 5, size.Width, size.Height),
                    new Rect((int)(Width - (90 * (t - 1.6))), Requester.Y, size.Width, size.Height),
                })
                .Select(tile => tile & picture)
                .Where(tile => tile.Width > 0 && tile.Height > 0)
                .ToList();
        }
    }

    /// <summary>Frames and duration of a video, counted by ffprobe (decoding every frame).</summary>
    public static (int Frames, double Seconds) Probe(string path)
    {
        var frames = Run("ffprobe", $"-v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 \"{path}\"");
        var duration = Run("ffprobe", $"-v error -show_entries format=duration -of csv=p=0 \"{path}\"");
        return (int.Parse(frames.Trim().TrimEnd(','), System.Globalization.CultureInfo.InvariantCulture),
            double.Parse(duration.Trim(), System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The faces either verifier (<see cref="FaceVerifiers"/>) finds in every frame of a video (decoded by OpenCV's own bundled FFmpeg).</summary>
    public static List<IReadOnlyList<FaceRectangle>> DetectPerFrame(string path)
    {
        var result = new List<IReadOnlyList<FaceRectangle>>();
        using var capture = new VideoCapture(path);
        using var frame = new Mat();
        while (capture.Read(frame) && !frame.Empty())
        {
            result.Add(Verifiers.Both(frame));
        }

        return result;
    }

    public static string Run(string program, string arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} failed: {stderr}");
        }

        return stdout.Result;
    }
}
