using System.Globalization;
using System.Text;
using System.Text.Json;
using OneValet.Pipeline.Faces;
using OpenCvSharp;
using Xunit;
using Xunit.Abstractions;

namespace OneValet.Tests.Faces;

/// <summary>
/// The detector redaction uses (BlazeFace, O2, PIPEDA s.9(1)) against the labelled faces of every image of Debian's
/// opencv-doc examples (Fixtures/face-truth.json; images not listed there show no human face) and the test footage's
/// scene, beside the cascades the app used before (OpenCV's Haar and LBP frontal-face cascades on a copy at most 640
/// pixels wide, as the old JPEG and keyframe searches did). Prints found / missed / false boxes per image and in total.
/// </summary>
public sealed class FaceDetectorAccuracyTests(ITestOutputHelper output)
{
    private const string Folder = "/usr/share/doc/opencv-doc/examples/data";
    private const string LbpCascadePath = "/usr/share/opencv4/lbpcascades/lbpcascade_frontalface.xml";

    [Fact]
    public void BlazeFace_finds_every_labelled_face_and_the_table_compares_it_with_the_old_cascades()
    {
        var truth = Truth();
        using var haar = new CascadeClassifier(FaceVerifiers.HaarCascadePath);
        using var lbp = new CascadeClassifier(LbpCascadePath);
        var detectors = new (string Name, Func<Mat, byte[], IReadOnlyList<FaceRectangle>> Detect)[]
        {
            ("BlazeFace (new)", (_, bytes) => FaceSamples.Detector.Detect(bytes)),
            ("Haar cascade (old)", (image, _) => Cascade(haar, image)),
            ("LBP cascade (old)", (image, _) => Cascade(lbp, image)),
        };

        var totals = new Score[detectors.Length];
        var table = new StringBuilder("| image | faces | " + string.Join(" | ", detectors.Select(d => d.Name + " found / missed / false")) + " |\n");
        var missedByNew = new List<string>();
        var files = Directory.GetFiles(Folder).Where(f => f.EndsWith(".jpg", StringComparison.Ordinal) || f.EndsWith(".png", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
        var images = files.Select(path => (Name: Path.GetFileName(path), Bytes: File.ReadAllBytes(path)))
            .Append(("footage scene (FootageSamples, two tiles)", FootageSamples.Jpeg(FootageSamples.Left, FootageSamples.Right)));
        foreach (var (name, bytes) in images)
        {
            using var image = Cv2.ImDecode(bytes, ImreadModes.Color);
            if (image.Empty())
            {
                continue;
            }

            var labelled = truth.GetValueOrDefault(name) ?? (name.StartsWith("footage", StringComparison.Ordinal)
                ? new Labels([FromRect(FootageSamples.TileAt(FootageSamples.Left)), FromRect(FootageSamples.TileAt(FootageSamples.Right))], [])
                : new Labels([], []));
            var row = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"| {name} | {labelled.Faces.Count} |"));
            var anyBox = false;
            for (var d = 0; d < detectors.Length; d++)
            {
                var score = Judge(labelled, detectors[d].Detect(image, bytes));
                totals[d] += score;
                anyBox |= score.Found + score.False > 0;
                row.Append(CultureInfo.InvariantCulture, $" {score.Found} / {score.Missed} / {score.False} |");
                if (d == 0 && score.Missed > 0)
                {
                    missedByNew.Add(name);
                }
            }

            // Images with no face that no detector boxed are left out of the table (they count in the total).
            if (labelled.Faces.Count > 0 || anyBox)
            {
                table.Append(row).Append('\n');
            }
        }

        table.Append(CultureInfo.InvariantCulture, $"| total | {truth.Values.Sum(l => l.Faces.Count) + 2} |");
        foreach (var total in totals)
        {
            table.Append(CultureInfo.InvariantCulture, $" {total.Found} / {total.Missed} / {total.False} |");
        }

        output.WriteLine(table.ToString());
        Assert.True(missedByNew.Count == 0, "BlazeFace missed labelled faces in: " + string.Join(", ", missedByNew));
    }

    /// <summary>A cascade as the old app ran it: grey, on a copy at most 640 pixels wide, equalized, windows from 20 pixels.</summary>
    private static IReadOnlyList<FaceRectangle> Cascade(CascadeClassifier cascade, Mat image)
    {
        using var gray = new Mat();
        Cv2.CvtColor(image, gray, ColorConversionCodes.BGR2GRAY);
        var scale = image.Width > 640 ? 640.0 / image.Width : 1.0;
        using var small = new Mat();
        Cv2.Resize(gray, small, new Size(0, 0), scale, scale, InterpolationFlags.Area);
        Cv2.EqualizeHist(small, small);
        return [.. cascade.DetectMultiScale(small, 1.08, 3, HaarDetectionTypes.ScaleImage, new Size(20, 20))
            .Select(r => new FaceRectangle((int)(r.X / scale), (int)(r.Y / scale), (int)(r.Width / scale), (int)(r.Height / scale)))];
    }

    /// <summary>
    /// A labelled face is found when a box is on it (its centre inside the face, or the face's centre inside it) at a
    /// like size (a third to three times as wide); each box counts for one face. Boxes on no face are false, unless
    /// centred in an ignored area.
    /// </summary>
    private static Score Judge(Labels labels, IReadOnlyList<FaceRectangle> boxes)
    {
        var unused = boxes.ToList();
        var found = 0;
        foreach (var face in labels.Faces)
        {
            var match = unused.FindIndex(box => (Centred(face, box) || Centred(box, face)) && box.Width * 3 >= face.Width && box.Width <= face.Width * 3);
            if (match >= 0)
            {
                found++;
                unused.RemoveAt(match);
            }
        }

        var falseBoxes = unused.Count(box => !labels.Ignore.Exists(area => Centred(area, box)));
        return new Score(found, labels.Faces.Count - found, falseBoxes);
    }

    private static bool Centred(FaceRectangle outer, FaceRectangle inner) =>
        PixelRect.Of(outer).Contains(inner.Left + (inner.Width / 2), inner.Top + (inner.Height / 2));

    private static FaceRectangle FromRect(Rect rect) => new(rect.X, rect.Y, rect.Width, rect.Height);

    private static Dictionary<string, Labels> Truth()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Faces", "Fixtures", "face-truth.json")));
        static FaceRectangle Box(JsonElement e) => new(e.GetProperty("x").GetInt32(), e.GetProperty("y").GetInt32(), e.GetProperty("width").GetInt32(), e.GetProperty("height").GetInt32());
        return document.RootElement.GetProperty("images").EnumerateArray().ToDictionary(
            image => image.GetProperty("file").GetString()!,
            image => new Labels([.. image.GetProperty("faces").EnumerateArray().Select(Box)], [.. image.GetProperty("ignore").EnumerateArray().Select(Box)]),
            StringComparer.Ordinal);
    }

    private sealed record Labels(List<FaceRectangle> Faces, List<FaceRectangle> Ignore);

    private readonly record struct Score(int Found, int Missed, int False)
    {
        public static Score operator +(Score a, Score b) => new(a.Found + b.Found, a.Missed + b.Missed, a.False + b.False);
    }
}
