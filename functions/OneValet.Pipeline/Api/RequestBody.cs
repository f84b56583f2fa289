using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace OneValet.Pipeline.Api;

/// <summary>Reads a JSON request body into a type, or says what is wrong with it as problem details (never a 500).</summary>
public static class RequestBody
{
    /// <summary>Largest body any route accepts.</summary>
    public const long MaxBytes = 1024 * 1024;

    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength is > MaxBytes)
        {
            return (null, TooLarge());
        }

        if (!IsJson(request.ContentType))
        {
            return (null, Problems.UnsupportedMediaType("Send the body as application/json (UTF-8)."));
        }

        byte[] bytes;
        try
        {
            using var limited = new LimitedStream(request.Body, MaxBytes);
            using var buffer = new MemoryStream();
            await limited.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            bytes = buffer.ToArray();
        }
        catch (LimitedStream.TooLargeException)
        {
            return (null, TooLarge());
        }

        try
        {
            // Parsed once as a document (depth limit 16, as the binder), walked for card numbers, then bound: every
            // string of every input of every route gets the check.
            using var document = JsonDocument.Parse(bytes, DocumentOptions);
            if (FindCardNumber(document.RootElement, "$") is { } path)
            {
                return (null, Problems.BadRequest(
                    $"A text field carries what looks like a payment card number (at {path}). Card data is never stored here: remove it and send again.",
                    new Dictionary<string, object?> { ["code"] = "card-number-refused", ["path"] = path }));
            }

            var value = document.Deserialize<T>(ApiJson.InputOptions);
            return value is null ? (null, Problems.BadRequest("The body is empty.")) : (value, null);
        }
        catch (JsonException e)
        {
            // The path and position help the caller; the message never echoes the body's values.
            return (null, Problems.BadRequest($"The body is not valid JSON for this route (at {e.Path ?? "$"}, line {e.LineNumber})."));
        }
    }

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = ApiJson.InputOptions.MaxDepth,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowDuplicateProperties = false,
    };

    /// <summary>
    /// Whether a Content-Type names JSON as the body is read: the media type <c>application/json</c> (any case), with no
    /// charset or UTF-8. Not a prefix: <c>application/jsonp</c> or <c>application/json-seq</c> is another type, and a body
    /// declared UTF-16 is refused as such (415), not half-read as UTF-8.
    /// </summary>
    internal static bool IsJson(string? contentType) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var type)
        && type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        && (type.Charset.Length == 0 || type.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The JSON path of the first value carrying a card number (<see cref="CardNumbers"/>), or null: a string value or a
    /// property name at any depth (the path is then the object's), or a number (<see cref="CardNumbers.IsCardNumber"/>).
    /// The path is built only for what is found: the walk is linear in the body's size.
    /// </summary>
    internal static string? FindCardNumber(JsonElement element, string path) => Find(element) is { } rest ? path + rest : null;

    private static string? Find(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return CardNumbers.ContainsCardNumber(element.GetString()) ? string.Empty : null;
            case JsonValueKind.Number:
                return CardNumbers.IsCardNumber(JsonMarshal.GetRawUtf8Value(element)) ? string.Empty : null;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (Find(item) is { } found)
                    {
                        return string.Create(CultureInfo.InvariantCulture, $"[{i}]{found}");
                    }

                    i++;
                }

                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (CardNumbers.ContainsCardNumber(property.Name))
                    {
                        return string.Empty;
                    }

                    if (Find(property.Value) is { } found)
                    {
                        return "." + property.Name + found;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult TooLarge() =>
        Problems.TooLarge($"The body is larger than {MaxBytes} bytes.", "Body too large.");

    /// <summary>Stops reading past a limit (a chunked body has no Content-Length to check up front).</summary>
    private sealed class LimitedStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int read)
        {
            _read += read;
            return _read > limit ? throw new TooLargeException() : read;
        }

        internal sealed class TooLargeException : Exception
        {
        }
    }
}
