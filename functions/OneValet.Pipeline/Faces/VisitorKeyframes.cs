using Azure;
using SkiaSharp;

namespace OneValet.Pipeline.Faces;

/// <summary>
/// A visitor's face found in each keyframe of one video (<see cref="RequesterFinder"/> for <see cref="FaceRedactor"/>): the
/// keyframe the search found faces in is encoded as a JPEG and compared with the photo's face by the Face API
/// (<see cref="VisitorFaces.MatchAsync"/>); the photo's face is detected once per video, its faceId kept by the Face API for
/// <see cref="PhotoFaceIdSeconds"/> (the longest a redaction may take). Runs on the redactor's search threads (two at a
/// time): the Face API is called synchronously there. A failure of the face service leaves that keyframe's faces all
/// blurred (fail closed) and is counted, so the answer can say so. Nothing is stored: no frame, no faceId beyond the video.
/// </summary>
public sealed class VisitorKeyframes(VisitorFaces faces, BinaryData photo, CancellationToken cancellationToken)
{
    /// <summary>How long the photo's faceId is kept by the Face API: the redaction's own time limit (FootageRedactionTimeout).</summary>
    public const int PhotoFaceIdSeconds = 600;

    private readonly Lock _gate = new();
    private Guid? _photoFace;
    private bool _photoDetected;
    private int _compared;
    private int _matched;
    private int _failed;

    /// <summary>Keyframes with faces compared with the photo.</summary>
    public int Compared => Volatile.Read(ref _compared);

    /// <summary>Keyframes where the visitor's face was matched.</summary>
    public int Matched => Volatile.Read(ref _matched);

    /// <summary>Keyframes the face service could not compare (every face blurred there).</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>A sentence for the answer: what the photo did in this video.</summary>
    public string Note =>
        Failed > 0 ? "The face service failed for part of this video: where it could not compare, every face was blurred, yours too" + (Matched > 0 ? "; elsewhere your face, matched with your photo, was kept." : ".")
        : Matched > 0 ? "Your face, matched with your photo by the face service where it was searched, was kept; every other face was blurred."
        : "No face in this video matched your photo closely enough: every face was blurred.";

    /// <summary>The <see cref="RequesterFinder"/>.</summary>
    public FaceRectangle? Find(FacePicture keyframe, IReadOnlyList<FaceRectangle> found)
    {
        ArgumentNullException.ThrowIfNull(keyframe);
        Interlocked.Increment(ref _compared);
        try
        {
            var photoFace = PhotoFace();
            if (photoFace is null)
            {
                return null;
            }

            var match = faces.MatchAsync(photoFace.Value, BinaryData.FromBytes(Jpeg(keyframe)), cancellationToken).GetAwaiter().GetResult();
            if (match is not null)
            {
                Interlocked.Increment(ref _matched);
            }

            return match;
        }
        catch (RequestFailedException)
        {
            Interlocked.Increment(ref _failed);
            return null;
        }
    }

    private Guid? PhotoFace()
    {
        lock (_gate)
        {
            if (!_photoDetected)
            {
                _photoFace = faces.PhotoFaceAsync(photo, PhotoFaceIdSeconds, cancellationToken).GetAwaiter().GetResult();
                _photoDetected = true;
            }

            return _photoFace;
        }
    }

    /// <summary>A keyframe (ffmpeg's yuv420p, BT.601 limited range, or RGBA) as a JPEG for the Face API.</summary>
    public static byte[] Jpeg(FacePicture picture)
    {
        ArgumentNullException.ThrowIfNull(picture);
        var (width, height) = (picture.Width, picture.Height);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = bitmap.GetPixelSpan();
        var data = picture.Data;
        if (picture.Layout == PictureLayout.Rgba)
        {
            data.AsSpan(0, width * height * 4).CopyTo(pixels);
        }
        else
        {
            var chromaWidth = (width + 1) / 2;
            var u = width * height;
            var v = u + (chromaWidth * ((height + 1) / 2));
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var c = 298 * (data[(y * width) + x] - 16);
                    var chroma = ((y / 2) * chromaWidth) + (x / 2);
                    var d = data[u + chroma] - 128;
                    var e = data[v + chroma] - 128;
                    var at = ((y * width) + x) * 4;
                    pixels[at] = Clip((c + (409 * e) + 128) >> 8);
                    pixels[at + 1] = Clip((c - (100 * d) - (208 * e) + 128) >> 8);
                    pixels[at + 2] = Clip((c + (516 * d) + 128) >> 8);
                    pixels[at + 3] = 255;
                }
            }
        }

        using var encoded = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        return encoded.ToArray();
    }

    private static byte Clip(int value) => (byte)Math.Clamp(value, 0, 255);
}
