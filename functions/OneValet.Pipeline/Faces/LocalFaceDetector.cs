using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace OneValet.Pipeline.Faces;

/// <summary>
/// Finds faces on this machine, with OpenCV's frontal-face Haar cascade (Debian package <c>opencv-data</c>), and, fast, for
/// video keyframes, with its LBP cascade confirmed by the Haar one. It only finds where faces are, for redaction; it never
/// tells who someone is (that is the Face API's job, in Azure only).
/// </summary>
public sealed class LocalFaceDetector : IDisposable
{
    /// <summary>Frames wider than this are searched on a downscaled copy (rectangles are given in full-size pixels).</summary>
    private const int SearchWidth = 640;

    /// <summary>The scale step of <see cref="DetectCandidates"/>: 1.1 finds the sample faces as well as 1.05 at half the cost.</summary>
    private const double CandidateScaleFactor = 1.1;

    /// <summary>The frame searched by <see cref="DetectCandidates"/> is widened by 1/this of its width on each side, mirrored.</summary>
    private const int MirroredShare = 8;

    private readonly Cascades _cascades;
    private readonly Cascades _videoCascades;

    public LocalFaceDetector(IOptions<FaceOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = options.Value.HaarCascadePath;
        if (!File.Exists(path))
        {
            throw new InvalidOperationException("The Haar cascade of OneValet:Faces:HaarCascadePath is missing: install the Debian package opencv-data (infra/install.sh).");
        }

        try
        {
            _cascades = new Cascades(path, "The Haar cascade of OneValet:Faces:HaarCascadePath could not be loaded.");
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or BadImageFormatException or EntryPointNotFoundException)
        {
            // OpenCvSharp's native library (package OpenCvSharp4.official.runtime.linux-x64) links GTK 3 and its
            // companions: where they are missing (Debian: libgtk-3-0), nothing can be redacted here. Said as unavailable,
            // not as a crash: the caller withholds or deletes, and never releases footage unredacted.
            throw new InvalidOperationException("OpenCV's native library could not be loaded: install libgtk-3-0 (infra/install.sh), or run where it is installed.", e);
        }

        _videoCascades = new Cascades(
            File.Exists(options.Value.VideoCascadePath)
                ? options.Value.VideoCascadePath
                : throw new InvalidOperationException("The LBP cascade of OneValet:Faces:VideoCascadePath is missing: install the Debian package opencv-data (infra/install.sh)."),
            "The LBP cascade of OneValet:Faces:VideoCascadePath could not be loaded.");
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
        using (var cascade = _cascades.Rent())
        {
            found = cascade.Classifier.DetectMultiScale(small, scaleFactor: 1.08, minNeighbors: 3, HaarDetectionTypes.ScaleImage, new Size(20, 20));
        }

        return found
            .Select(r => new FaceRectangle((int)(r.X / scale), (int)(r.Y / scale), (int)(r.Width / scale), (int)(r.Height / scale)))
            .OrderByDescending(r => r.Area)
            .ToArray();
    }

    /// <summary>
    /// The faces in a grayscale frame (a video's luma plane), found fast for video keyframes, in <paramref name="gray"/>'s
    /// pixels (a face cut by a side of the picture may stick out of it). Two steps:
    /// <list type="number">
    /// <item>the LBP cascade of <see cref="FaceOptions.VideoCascadePath"/> searches a copy <paramref name="searchWidth"/>
    /// pixels wide (about 7 ms at 320 on a quiet core, where the Haar search of <see cref="Detect(Mat)"/> takes 55 to 135),
    /// widened on each side by an eighth, mirrored, so that half a face entering or leaving shows whole. Every window it
    /// accepts is a candidate: no grouping, no minimum of neighbours, since on a small copy a face may give one window
    /// only;</item>
    /// <item>the Haar cascade of <see cref="Detect(Mat)"/> (the one the redaction is checked with, and with the neighbours
    /// it asks for) confirms each candidate where it is, on the frame as <see cref="Detect(Mat)"/> sees it (at most 640
    /// pixels wide, equalized), looking only around the candidate, at sizes from 0.6 to 1.5 times its own. That drops the
    /// LBP cascade's mistakes, some of them half as large as the picture, which would blur most of it. A candidate nearly
    /// where a face confirmed now is, or was in the previous keyframe (<paramref name="confirmedBefore"/>), at about its
    /// size, is taken without looking again: most of them are, and confirming costs about as much as the search.</item>
    /// </list>
    /// </summary>
    /// <param name="searchCopy">The frame as <see cref="SearchCopy"/> made it for <paramref name="searchWidth"/>.</param>
    public IReadOnlyList<FaceRectangle> DetectCandidates(Mat gray, int searchWidth, Mat searchCopy, IReadOnlyList<FaceRectangle>? confirmedBefore = null)
    {
        ArgumentNullException.ThrowIfNull(gray);
        ArgumentNullException.ThrowIfNull(searchCopy);
        var scale = SearchScale(gray, searchWidth);
        Rect[] found;
        using (var mirrored = new Mat())
        {
            // A face entering or leaving at a side shows half of itself; mirrored there, it shows a whole (faces are
            // nearly symmetric), which the cascade finds. The windows are then moved back and cut to the picture.
            var side = searchCopy.Width / MirroredShare;
            Cv2.CopyMakeBorder(searchCopy, mirrored, 0, 0, side, side, BorderTypes.Reflect);
            using var cascade = _videoCascades.Rent();
            found = cascade.Classifier.DetectMultiScale(mirrored, CandidateScaleFactor, minNeighbors: 0, HaarDetectionTypes.ScaleImage, new Size(20, 20));

            found = found
                .Select(r => new Rect(r.X - side, r.Y, r.Width, r.Height))
                .Where(r => r.X + (r.Width / 2) >= 0 && r.X + (r.Width / 2) < searchCopy.Width)
                .ToArray();
        }

        if (found.Length == 0)
        {
            return [];
        }

        var exact = gray.Width > SearchWidth ? (double)SearchWidth / gray.Width : 1.0;
        using var view = new Mat();
        Cv2.Resize(gray, view, new Size(0, 0), exact, exact, InterpolationFlags.Area);
        Cv2.EqualizeHist(view, view);
        var toView = exact / scale;
        var before = (confirmedBefore ?? []).Select(f => new Rect((int)(f.Left * exact), (int)(f.Top * exact), (int)Math.Ceiling(f.Width * exact), (int)Math.Ceiling(f.Height * exact))).ToList();
        var confirmed = new List<Rect>(found.Length);
        using var haar = _cascades.Rent();
        foreach (var candidate in found.OrderByDescending(c => c.Width).ThenBy(c => c.Y).ThenBy(c => c.X))
        {
            var box = new Rect((int)(candidate.X * toView), (int)(candidate.Y * toView), (int)Math.Ceiling(candidate.Width * toView), (int)Math.Ceiling(candidate.Height * toView));
            if (confirmed.Exists(face => Within(box, face)) || before.Exists(face => Within(box, face)) || Confirm(haar.Classifier, view, box))
            {
                confirmed.Add(box);
            }
        }

        var toGray = 1 / exact;
        var faces = confirmed.Select(r => new FaceRectangle((int)(r.X * toGray), (int)(r.Y * toGray), (int)Math.Ceiling(r.Width * toGray), (int)Math.Ceiling(r.Height * toGray)));

        // OpenCV's threads return windows in any order; the redaction's regions should not depend on it.
        return faces.OrderBy(face => face.Top).ThenBy(face => face.Left).ThenBy(face => face.Width).ToArray();
    }

    /// <summary>The grayscale frame downscaled (area means) to about <paramref name="searchWidth"/> pixels wide, as
    /// <see cref="DetectCandidates"/> searches it; the caller may also compare it with other frames (still scenes).</summary>
    public static Mat SearchCopy(Mat gray, int searchWidth)
    {
        ArgumentNullException.ThrowIfNull(gray);
        var scale = SearchScale(gray, searchWidth);
        var small = new Mat();
        Cv2.Resize(gray, small, new Size(0, 0), scale, scale, InterpolationFlags.Area);
        return small;
    }

    private static double SearchScale(Mat gray, int searchWidth) => gray.Width > searchWidth ? (double)searchWidth / gray.Width : 1.0;

    /// <summary>
    /// Whether the Haar cascade finds a face around <paramref name="box"/> of the equalized <paramref name="view"/>, at
    /// 0.6 to 1.5 times its size (0.3 for a window partly outside the picture: of a face cut by a side, the cascade finds
    /// a smaller part), with the neighbours <see cref="Detect(Mat)"/> asks for.
    /// </summary>
    private static bool Confirm(CascadeClassifier cascade, Mat view, Rect box)
    {
        var pad = box.Width / 4;
        var around = new Rect(box.X - pad, box.Y - pad, box.Width + (2 * pad), box.Height + (2 * pad)) & new Rect(0, 0, view.Width, view.Height);
        var cut = box.X < 0 || box.X + box.Width > view.Width;
        var smallest = Math.Max(20, box.Width * (cut ? 3 : 6) / 10);
        var largest = Math.Min(Math.Min(around.Width, around.Height), box.Width * 3 / 2);
        if (largest < smallest)
        {
            return false;
        }

        using var part = new Mat(view, around);
        return cascade.DetectMultiScale(part, scaleFactor: 1.08, minNeighbors: 3, HaarDetectionTypes.ScaleImage, new Size(smallest, smallest), new Size(largest, largest)).Length > 0;
    }

    /// <summary>
    /// A window nearly all inside a confirmed one of about its size (0.8 to 1.25 times): the same face, a few pixels off
    /// (or moved a little since the previous keyframe); it needs no confirmation of its own (a face gives several such
    /// windows; confirming each cost most of the time).
    /// </summary>
    private static bool Within(Rect window, Rect confirmed)
    {
        var both = window & confirmed;
        var ratio = (double)window.Width / confirmed.Width;
        return ratio is >= 0.8 and <= 1.25 && both.Width * both.Height >= 0.8 * window.Width * window.Height;
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

    public void Dispose()
    {
        _cascades.Dispose();
        _videoCascades.Dispose();
    }

    /// <summary>
    /// Loaded copies of one cascade, one per thread using it at a time (a <see cref="CascadeClassifier"/> is not
    /// thread-safe; video keyframes are searched on two threads at once). A copy is loaded when none is free.
    /// </summary>
    private sealed class Cascades : IDisposable
    {
        private readonly string _path;
        private readonly ConcurrentBag<CascadeClassifier> _free = [];

        public Cascades(string path, string unloadable)
        {
            _path = path;
            var first = new CascadeClassifier(path);
            if (first.Empty())
            {
                first.Dispose();
                throw new InvalidOperationException(unloadable);
            }

            _free.Add(first);
        }

        public Lease Rent() => new(this, _free.TryTake(out var cascade) ? cascade : new CascadeClassifier(_path));

        public void Dispose()
        {
            while (_free.TryTake(out var cascade))
            {
                cascade.Dispose();
            }
        }

        public readonly struct Lease(Cascades owner, CascadeClassifier classifier) : IDisposable
        {
            public CascadeClassifier Classifier => classifier;

            public void Dispose() => owner._free.Add(classifier);
        }
    }
}
