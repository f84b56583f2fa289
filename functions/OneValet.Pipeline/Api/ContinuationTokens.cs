using System.Text;

namespace OneValet.Pipeline.Api;

/// <summary>Continuations as the API hands them out: the store's (or a listing's) own token, base64url-encoded, so a
/// client sees one opaque word and anything else it sends back is refused as a 400.</summary>
public static class ContinuationTokens
{
    public static string Encode(string continuation) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(continuation)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool TryDecode(string token, out string? continuation)
    {
        ArgumentNullException.ThrowIfNull(token);
        continuation = null;
        if (token.Length == 0 || token.Length > 8192)
        {
            return false;
        }

        var base64 = token.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        var bytes = new byte[base64.Length];
        if (!Convert.TryFromBase64String(base64, bytes, out var written))
        {
            return false;
        }

        try
        {
            continuation = new UTF8Encoding(false, true).GetString(bytes, 0, written);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
