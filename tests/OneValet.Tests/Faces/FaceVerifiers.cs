using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Faces;
using OpenCvSharp;

namespace OneValet.Tests.Faces;

/// <summary>
/// The judges of redaction (PIPEDA s.9(1), O2), test and benchmark code only, so that a redaction is never judged only by
/// the detector that made it:
/// <list type="bullet">
/// <item><see cref="Haar"/>: OpenCV's frontal-face Haar cascade (Debian's <c>opencv-data</c>) at full resolution, the
/// detector the app used before BlazeFace; a different method altogether (grey, hand-made features, no colour);</item>
/// <item><see cref="Tiles"/>: the app's BlazeFace model read another way than the app reads it: on full-resolution tiles
/// (256 picture pixels, one to one, overlapping by a quarter), then tiles twice and four times as large for larger faces,
/// up to one view of the whole picture; every frame; boxes scored 0.75 or more (the app blurs from 0.5).</item>
/// </list>
/// Both look for heads at least <see cref="LocalFaceDetector.SmallestFace"/> pixels wide, the least redaction promises to
/// find; both return boxes in picture pixels; faces left are what either finds where a person is.
/// </summary>
internal sealed class FaceVerifiers : IDisposable
{
    public const string HaarCascadePath = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";

    private readonly Lock _haarLock = new();
    private readonly CascadeClassifier _haar;
    private const double JudgeScore = 0.75;

    private readonly LocalFaceDetector _model;
    private readonly LocalFaceDetector _judge;

    public FaceVerifiers()
    {
        _haar = new CascadeClassifier(HaarCascadePath);
        if (_haar.Empty())
        {
            throw new InvalidOperationException("The Haar cascade is missing: install the Debian package opencv-data (infra/install.sh).");
        }

        _model = new LocalFaceDetector(Options.Create(new FaceOptions()));

        // The judge counts faces the model is sure of (0.75, MediaPipe's demos' threshold); the app blurs doubtful ones too.
        _judge = new LocalFaceDetector(Options.Create(new FaceOptions { MinimumFaceScore = JudgeScore }));
    }

    /// <summary>The app's detector (the same model file), for tests that need where it finds a face (the requester's).</summary>
    public LocalFaceDetector Detector => _model;

    /// <summary>OpenCV's Haar cascade on the whole picture at full resolution (equalized grey; windows from
    /// <see cref="LocalFaceDetector.SmallestFace"/> pixels).</summary>
    public IReadOnlyList<FaceRectangle> Haar(Mat bgr)
    {
        ArgumentNullException.ThrowIfNull(bgr);
        using var gray = new Mat();
        Cv2.CvtColor(bgr, gray, ColorConversionCodes.BGR2GRAY);
        Cv2.EqualizeHist(gray, gray);
        Rect[] found;
        lock (_haarLock)
        {
            found = _haar.DetectMultiScale(gray, scaleFactor: 1.08, minNeighbors: 3, HaarDetectionTypes.ScaleImage, new Size(LocalFaceDetector.SmallestFace, LocalFaceDetector.SmallestFace));
        }

        return [.. found.Select(r => new FaceRectangle(r.X, r.Y, r.Width, r.Height))];
    }

    /// <summary>BlazeFace on full-resolution tiles, then coarser ones (see the class).</summary>
    public IReadOnlyList<FaceRectangle> Tiles(Mat bgr)
    {
        var picture = Picture(bgr);
        var found = new List<FaceRectangle>();
        var whole = Math.Max(picture.Width, picture.Height) * 1.25;
        for (double side = 256; ; side *= 2)
        {
            if (side >= whole)
            {
                found.AddRange(_judge.DetectIn(picture, new LocalFaceDetector.View((picture.Width - whole) / 2, (picture.Height - whole) / 2, whole, Whole: true)));
                break;
            }

            foreach (var top in Starts(picture.Height, side))
            {
                foreach (var left in Starts(picture.Width, side))
                {
                    found.AddRange(_judge.DetectIn(picture, new LocalFaceDetector.View(left, top, side)));
                }
            }
        }

        return LocalFaceDetector.Combine(found.Where(face => face.Width >= LocalFaceDetector.SmallestFace));
    }

    /// <summary>What either verifier finds.</summary>
    public IReadOnlyList<FaceRectangle> Both(Mat bgr) => [.. Haar(bgr), .. Tiles(bgr)];

    /// <summary>A BGR image (OpenCV's) as the app's detector reads a decoded image.</summary>
    public static FacePicture Picture(Mat bgr)
    {
        ArgumentNullException.ThrowIfNull(bgr);
        using var rgba = new Mat();
        Cv2.CvtColor(bgr, rgba, ColorConversionCodes.BGR2RGBA);
        var bytes = new byte[rgba.Width * rgba.Height * 4];
        if (!rgba.IsContinuous())
        {
            throw new InvalidOperationException("Expected a continuous image.");
        }

        Marshal.Copy(rgba.Data, bytes, 0, bytes.Length);
        return new FacePicture(bytes, rgba.Width, rgba.Height, PictureLayout.Rgba);
    }

    /// <summary>Tile corners along one side: from an eighth of a tile before it to an eighth after, overlapping by a quarter.</summary>
    private static IEnumerable<double> Starts(int length, double side)
    {
        var margin = side / 8;
        var span = length + (2 * margin) - side;
        if (span <= 0)
        {
            yield return (length - side) / 2;
            yield break;
        }

        var count = (int)Math.Ceiling(span / (side * 0.75)) + 1;
        for (var i = 0; i < count; i++)
        {
            yield return -margin + (span * i / (count - 1));
        }
    }

    public void Dispose()
    {
        _haar.Dispose();
        _model.Dispose();
        _judge.Dispose();
    }
}
