using System.Globalization;
using Microsoft.AspNetCore.Http;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Ingestion;

namespace OneValet.Pipeline.Media;

/// <summary>
/// A JPEG sent as a request's body (a Facial Entry reference, a visitor's photo): content type image/jpeg, at most
/// <see cref="MaxBytes"/> (the Face API's limit, read in chunks and stopped past it), starting as a JPEG does, and its frame
/// header's size within <see cref="MediaOptions"/> before anything decodes it or sends it to the face service. Each refusal
/// is problem details with a code: 415, 413, 400 <c>empty</c> / <c>not-a-jpeg</c> / <c>unreadable-image</c>, 422
/// <c>dimensions-too-large</c>.
/// </summary>
public static class JpegBody
{
    /// <summary>The largest image the Face API accepts (6 MB).</summary>
    public const int MaxBytes = Faces.FaceVerifier.MaxImageBytes;

    /// <summary>The JPEG of the body, or the problem to answer; <paramref name="what"/> names it in the 415's sentence.</summary>
    public static async Task<(BinaryData? Image, IResult? Problem)> ReadAsync(HttpRequest request, MediaProbe media, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(media);
        var mediaType = request.ContentType?.Split(';')[0].Trim();
        if (!string.Equals(mediaType, "image/jpeg", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problems.UnsupportedMediaType($"Send the {what} as the body, with content type image/jpeg."));
        }

        if (request.ContentLength is > MaxBytes)
        {
            return (null, TooLarge());
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
            {
                return (null, TooLarge());
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            return (null, Problems.BadRequest("The body is empty: send the JPEG image.", "empty"));
        }

        var bytes = buffer.ToArray();
        if (!MagicBytes.Match("jpg", bytes.AsSpan(0, Math.Min(bytes.Length, 12))))
        {
            return (null, Problems.BadRequest("The body is not a JPEG image (it must start with FF D8 FF).", "not-a-jpeg"));
        }

        // Decoder bombs: the frame header's size, before the image goes to the face service or to storage.
        using var header = new MemoryStream(bytes, writable: false);
        var check = await media.CheckJpegAsync(header, cancellationToken).ConfigureAwait(false);
        if (check.ReasonCode == Media.MediaProbe.UnreadableHeader)
        {
            return (null, Problems.BadRequest("The JPEG's frame header (its size) could not be read.", "unreadable-image"));
        }

        if (!check.Passed)
        {
            var limits = media.Limits;
            return (null, Problems.Unprocessable(
                string.Create(CultureInfo.InvariantCulture, $"The image is {check.Facts!.Width}x{check.Facts.Height} pixels; at most {limits.MaxImageWidth}x{limits.MaxImageHeight} is accepted."),
                check.ReasonCode!,
                "Image too large to process."));
        }

        return (BinaryData.FromBytes(bytes), null);
    }

    private static IResult TooLarge() => Problems.TooLarge(
        string.Create(CultureInfo.InvariantCulture, $"The image is larger than {MaxBytes} bytes (the face service's limit)."),
        "Image too large.");
}
