using OneValet.Pipeline.Faces;
using OpenCvSharp;

namespace OneValet.Tests.Faces;

/// <summary>
/// Small footage for the pipeline's redaction paths (access answers, anonymization): 320x240 scenes on a plain gray
/// background with the face tile of <see cref="FaceSamples"/> (scaled down) pasted where the test says, as a JPEG or as a
/// short MP4 of a few frames (H.264, 5 fps). Small and few frames, because redaction is CPU-heavy. The plain background
/// leaves the cascade nothing to find but the faces, so "no face detected in any frame" is a strict check.
/// </summary>
internal static class FootageSamples
{
    public const int Width = 320;
    public const int Height = 240;

    private static readonly Size Tile = TileSizeOf();

    /// <summary>The scaled tile's width, in pixels.</summary>
    public static int TileSize => Tile.Width;

    /// <summary>Top-left corners of two tiles side by side: the requester on the left, someone else on the right.</summary>
    public static Point Left { get; } = new(10, 40);

    public static Point Right { get; } = new(Width - TileSize - 10, 40);

    public static Rect TileAt(Point corner) => new(corner.X, corner.Y, Tile.Width, Tile.Height);

    public static Mat Scene(params Point[] corners)
    {
        using var tile = MakeTile();
        var canvas = new Mat(Height, Width, MatType.CV_8UC3, new Scalar(120, 120, 120));
        foreach (var corner in corners)
        {
            using var target = new Mat(canvas, new Rect(corner.X, corner.Y, tile.Width, tile.Height));
            tile.CopyTo(target);
        }

        return canvas;
    }

    public static byte[] Jpeg(params Point[] corners)
    {
        using var scene = Scene(corners);
        return FaceSamples.Jpeg(scene);
    }

    /// <summary>An MP4 of <paramref name="frames"/> frames at 5 fps showing the scene.</summary>
    public static byte[] Mp4(int frames, params Point[] corners)
    {
        var folder = Directory.CreateTempSubdirectory("onevalet-footage-").FullName;
        try
        {
            var still = Path.Combine(folder, "scene.png");
            using (var scene = Scene(corners))
            {
                Cv2.ImWrite(still, scene);
            }

            var output = Path.Combine(folder, "clip.mp4");
            FaceSamples.Run("ffmpeg", $"-hide_banner -loglevel error -y -loop 1 -framerate 5 -i \"{still}\" -frames:v {frames} -c:v libx264 -pix_fmt yuv420p \"{output}\"");
            return File.ReadAllBytes(output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The faces either verifier finds in every frame of an MP4 (decoded by OpenCV's own FFmpeg).</summary>
    public static List<IReadOnlyList<FaceRectangle>> FacesPerFrame(byte[] mp4)
    {
        var path = Path.Combine(Path.GetTempPath(), $"onevalet-frames-{Guid.NewGuid():N}.mp4");
        File.WriteAllBytes(path, mp4);
        try
        {
            return FaceSamples.DetectPerFrame(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The faces either verifier finds in a JPEG.</summary>
    public static IReadOnlyList<FaceRectangle> Faces(byte[] jpeg) => FaceSamples.Verify(jpeg);

    public static bool Inside(Rect tile, FaceRectangle face) => tile.Contains(face.Left + (face.Width / 2), face.Top + (face.Height / 2));

    private static Size TileSizeOf()
    {
        using var tile = MakeTile();
        return tile.Size();
    }

    private static Mat MakeTile()
    {
        using var tile = FaceSamples.FaceTile();
        var scaled = new Mat();
        Cv2.Resize(tile, scaled, new Size(140, 140 * tile.Height / tile.Width), 0, 0, InterpolationFlags.Area);
        return scaled;
    }
}
