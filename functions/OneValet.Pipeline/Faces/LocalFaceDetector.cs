using Microsoft.Extensions.Options;
using SkiaSharp;

namespace OneValet.Pipeline.Faces;

/// <summary>
/// Finds faces on this machine, for redaction and anonymization (O2, PIPEDA s.9(1)), with one detector on both hosts:
/// BlazeFace (<see cref="BlazeFace"/>, ONNX Runtime, no OpenCV, no GTK). It only finds where faces are; it never tells who
/// someone is (that is the Face API's job, in Azure only).
/// <para>The model reads a 256x256 square. A picture is read through several <see cref="View"/>s: the whole picture
/// (its square widened by an eighth on each side, the picture mirrored there, so that a face cut by a side shows whole)
/// for large faces, and square tiles of <see cref="TileSide"/> picture pixels, overlapping by a quarter, for small ones (at
/// 1080p the whole view shrinks a face 9 times; the model finds heads down to about 16 of its pixels wide: in the whole
/// view, heads from a sixteenth of the view's side, 50 pixels at 640x360, 150 at 1080p; in a tile, from
/// <see cref="SmallestFace"/> pixels). A
/// face's box is grown from the model's (eyebrows to mouth) to the head, and boxes of one face found in several views
/// become one.</para>
/// </summary>
public sealed class LocalFaceDetector : IDisposable
{
    /// <summary>The narrowest head, in picture pixels, that redaction finds wherever it is: the model finds heads from
    /// about a sixteenth of a view's side (a box 11 of its 256 pixels wide, grown to the head), so tiles are 16 times
    /// this. Narrower heads are found only where a view happens to show them large enough; at 24 pixels a face is
    /// hardly recognisable.</summary>
    public const int SmallestFace = 24;

    /// <summary>The side, in picture pixels, of the tiles small faces are searched in (16 x <see cref="SmallestFace"/>); a
    /// tile finds heads up to about half its side; the tiles overlap by a quarter (96 pixels), so every face up to that is
    /// whole in one of them, and larger ones mostly are. Pictures whose whole view is no coarser than one and a half tiles
    /// are not tiled.</summary>
    public const int TileSide = 16 * SmallestFace;

    private readonly BlazeFace _model;
    private readonly float _minimumScore;
    private readonly ThreadLocal<float[]> _inputs = new(() => new float[BlazeFace.InputSize * BlazeFace.InputSize * 3]);

    public LocalFaceDetector(IOptions<FaceOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = options.Value.ModelPath;
        if (!File.Exists(path))
        {
            throw new InvalidOperationException("The face model of OneValet:Faces:ModelPath is missing: it ships with the app (Faces/Model, from infra/install.sh at build).");
        }

        _minimumScore = (float)options.Value.MinimumFaceScore;
        try
        {
            _model = new BlazeFace(path);
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or BadImageFormatException or EntryPointNotFoundException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            // Said as unavailable, not as a crash: the caller withholds or deletes, and never releases footage unredacted.
            throw new InvalidOperationException("The face model could not be loaded by ONNX Runtime.", e);
        }
    }

    /// <summary>The faces in an encoded image (JPEG, PNG), largest first.</summary>
    public IReadOnlyList<FaceRectangle> Detect(byte[] encodedImage)
    {
        var picture = Decode(encodedImage, out var bitmap);
        bitmap.Dispose();
        return Detect(picture);
    }

    /// <summary>The faces in a picture, searched in every view (the whole and every tile), largest first.</summary>
    public IReadOnlyList<FaceRectangle> Detect(FacePicture picture)
    {
        ArgumentNullException.ThrowIfNull(picture);
        var found = new List<FaceRectangle>();
        foreach (var view in Views(picture.Width, picture.Height))
        {
            found.AddRange(DetectIn(picture, view));
        }

        return [.. Combine(found).OrderByDescending(face => face.Area)];
    }

    /// <summary>
    /// The faces of one view of the picture (one run of the model), in picture pixels, grown to the head, those whose centre
    /// is outside the picture (a mirrored copy) dropped. A face cut by a side may stick out of the picture.
    /// </summary>
    public IReadOnlyList<FaceRectangle> DetectIn(FacePicture picture, View view)
    {
        ArgumentNullException.ThrowIfNull(picture);
        var input = _inputs.Value!;
        picture.FillInput(input, BlazeFace.InputSize, view.Left, view.Top, view.Side);
        var scale = view.Side / BlazeFace.InputSize;
        var faces = new List<FaceRectangle>();
        foreach (var box in _model.Run(input, _minimumScore))
        {
            // A tile is for small faces; a box over 0.4 of it there was always something else (larger faces are the
            // whole view's: from a sixteenth of its side, below 0.4 of a tile at every size up to 1080p).
            if (!view.Whole && box.Width > BlazeFace.InputSize * 0.4)
            {
                continue;
            }

            var centerX = view.Left + ((box.Left + (box.Width / 2)) * scale);
            var centerY = view.Top + ((box.Top + (box.Height / 2)) * scale);
            if (centerX < 0 || centerX >= picture.Width || centerY < 0 || centerY >= picture.Height)
            {
                continue;
            }

            // Eyebrows to mouth, grown to the head: a fifth wider on each side, up to the hairline, down past the chin.
            var width = box.Width * scale * 1.4;
            var height = box.Height * scale * 1.9;
            var top = centerY - (height * 0.55);
            faces.Add(new FaceRectangle((int)Math.Floor(centerX - (width / 2)), (int)Math.Floor(top), (int)Math.Ceiling(width), (int)Math.Ceiling(height)));
        }

        return faces;
    }

    /// <summary>
    /// The views a <paramref name="width"/> x <paramref name="height"/> picture is read through: first the whole (a square
    /// as wide as the picture and an eighth more on each side, centred), then, when that is coarser than
    /// <see cref="TileSide"/>, tiles of that side overlapping by a quarter, covering the picture and a quarter tile beyond
    /// its left and right sides (mirrored there: a face cut by a side shows whole), from its top to its bottom (rows
    /// repeated above or below made the model see large faces that were not there).
    /// </summary>
    public static IReadOnlyList<View> Views(int width, int height)
    {
        var side = Math.Max(width + (2.0 * (width / 8)), height);
        var views = new List<View> { new((width - side) / 2, (height - side) / 2, side, Whole: true) };
        if (side > TileSide * 1.5)
        {
            foreach (var top in Starts(height, 0))
            {
                foreach (var left in Starts(width, TileSide / 4.0))
                {
                    views.Add(new View(left, top, TileSide));
                }
            }
        }

        return views;
    }

    private static IEnumerable<double> Starts(int length, double margin)
    {
        var span = length + (2 * margin) - TileSide;
        if (span <= 0)
        {
            yield return (length - TileSide) / 2.0;
            yield break;
        }

        var count = (int)Math.Ceiling(span / (TileSide * 0.75)) + 1;
        for (var i = 0; i < count; i++)
        {
            yield return -margin + (span * i / (count - 1));
        }
    }

    /// <summary>
    /// Boxes of the same face from several views (or keyframes) become one, their union: two boxes are the same face when
    /// either's centre is inside the other and neither is more than twice as wide (a large box around a small one is
    /// another face, or a mistake, and unions of those grew over whole crowds).
    /// </summary>
    public static List<FaceRectangle> Combine(IEnumerable<FaceRectangle> faces)
    {
        var combined = new List<FaceRectangle>();
        foreach (var face in faces.OrderByDescending(f => f.Area))
        {
            var same = combined.FindIndex(other => (Inside(other, face) || Inside(face, other)) && other.Width <= 2 * face.Width && face.Width <= 2 * other.Width);
            if (same < 0)
            {
                combined.Add(face);
                continue;
            }

            var union = PixelRect.Of(combined[same]).Union(PixelRect.Of(face));
            combined[same] = new FaceRectangle(union.X, union.Y, union.Width, union.Height);
        }

        return combined;
    }

    private static bool Inside(FaceRectangle outer, FaceRectangle inner) =>
        PixelRect.Of(outer).Contains(inner.Left + (inner.Width / 2), inner.Top + (inner.Height / 2));

    /// <summary>Decodes an image (JPEG, PNG) into an RGBA picture; <paramref name="bitmap"/> is Skia's copy, to encode from.</summary>
    public static FacePicture Decode(byte[] encodedImage, out SKBitmap bitmap)
    {
        ArgumentNullException.ThrowIfNull(encodedImage);
        using var data = SKData.CreateCopy(encodedImage);
        using var codec = SKCodec.Create(data) ?? throw new InvalidDataException("The image could not be decoded.");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        bitmap = SKBitmap.Decode(codec, info) ?? throw new InvalidDataException("The image could not be decoded.");
        return new FacePicture(bitmap.GetPixelSpan().ToArray(), info.Width, info.Height, PictureLayout.Rgba);
    }

    public void Dispose()
    {
        _model.Dispose();
        _inputs.Dispose();
    }

    /// <summary>A square of a picture the model reads (top-left corner and side, in picture pixels; it may reach beyond the
    /// picture, which is mirrored there); <paramref name="Whole"/>: the view of the whole picture, else a tile.</summary>
    public readonly record struct View(double Left, double Top, double Side, bool Whole = false)
    {
        public PixelRect Rect => new((int)Math.Floor(Left), (int)Math.Floor(Top), (int)Math.Ceiling(Side), (int)Math.Ceiling(Side));
    }
}
