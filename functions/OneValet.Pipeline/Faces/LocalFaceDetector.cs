using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace OneValet.Pipeline.Faces;

/// <summary>
/// Finds faces on this machine, with OpenCV's frontal-face Haar cascade (Debian package <c>opencv-data</c>). It only finds
/// where faces are, for redaction; it never tells who someone is (that is the Face API's job, in Azure only).
/// </summary>
public sealed class LocalFaceDetector : IDisposable
{
    /// <summary>Frames wider than this are searched on a downscaled copy (rectangles are given in full-size pixels).</summary>
    private const int SearchWidth = 640;

    private readonly CascadeClassifier _cascade;
    private readonly Lock _gate = new();

    public LocalFaceDetector(IOptions<FaceOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = options.Value.HaarCascadePath;
        if (!File.Exists(path))
        {
            throw new InvalidOperationException("The Haar cascade of OneValet:Faces:HaarCascadePath is missing: install the Debian package opencv-data (infra/install.sh).");
        }

        _cascade = new CascadeClassifier(path);
        if (_cascade.Empty())
        {
            throw new InvalidOperationException("The Haar cascade of OneValet:Faces:HaarCascadePath could not be loaded.");
        }
    }

    /// <summary>The faces in a BGR image, largest first.</summary>
    public IReadOnlyList<FaceRectangle> Detect(Mat image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var gray = new Mat();
        if (image.Channels() == 1)
        {
            image.CopyTo(gray);
        }
        else
        {
            Cv2.CvtColor(image, gray, ColorConversionCodes.BGR2GRAY);
        }

        var scale = image.Width > SearchWidth ? (double)SearchWidth / image.Width : 1.0;
        using var small = new Mat();
        if (scale < 1.0)
        {
            Cv2.Resize(gray, small, new Size(0, 0), scale, scale, InterpolationFlags.Area);
        }
        else
        {
            gray.CopyTo(small);
        }

        Cv2.EqualizeHist(small, small);
        Rect[] found;
        lock (_gate)
        {
            found = _cascade.DetectMultiScale(small, scaleFactor: 1.08, minNeighbors: 3, HaarDetectionTypes.ScaleImage, new Size(20, 20));
        }

        return found
            .Select(r => new FaceRectangle((int)(r.X / scale), (int)(r.Y / scale), (int)(r.Width / scale), (int)(r.Height / scale)))
            .OrderByDescending(r => r.Area)
            .ToArray();
    }

    /// <summary>The faces in an encoded image (JPEG, PNG), largest first.</summary>
    public IReadOnlyList<FaceRectangle> Detect(byte[] encodedImage)
    {
        using var image = Cv2.ImDecode(encodedImage, ImreadModes.Color);
        if (image.Empty())
        {
            throw new InvalidDataException("The image could not be decoded.");
        }

        return Detect(image);
    }

    public void Dispose() => _cascade.Dispose();
}
