using System.Text;

namespace OneValet.Pipeline.Api.Auth;

/// <summary>
/// Whether a request's path is under <c>/api</c>, however it is spelled: any case, percent-encoded (once or several times,
/// slashes included), backslashes, doubled slashes, dot segments, a trailing slash. The gate refuses such a request when
/// it reaches no route of the table, so that no spelling can find an ungated way in.
/// </summary>
public static class ApiPaths
{
    private const int MaxDecodings = 4;

    public static bool IsUnderApi(string? rawPath)
    {
        var path = Canonical(rawPath);
        return path == "/api" || path.StartsWith("/api/", StringComparison.Ordinal);
    }

    /// <summary>The path decoded until stable, lower case, '\' as '/', without empty or dot segments.</summary>
    public static string Canonical(string? rawPath)
    {
        var path = rawPath ?? "";
        var query = path.IndexOfAny(['?', '#']);
        if (query >= 0)
        {
            path = path[..query];
        }

        for (var i = 0; i < MaxDecodings && path.Contains('%', StringComparison.Ordinal); i++)
        {
            var decoded = Uri.UnescapeDataString(path);
            if (decoded == path)
            {
                break;
            }

            path = decoded;
        }

        var segments = new List<string>();
        foreach (var segment in path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            // "api;x" (a path parameter) and "api." name the same resource on some servers.
            var s = segment.Split(';')[0].Trim();
            if (s.Length == 0 || s == ".")
            {
                continue;
            }

            if (s != ".." && s.TrimEnd('.') is { Length: > 0 } trimmed)
            {
                s = trimmed;
            }

            if (s == "..")
            {
                if (segments.Count > 0)
                {
                    segments.RemoveAt(segments.Count - 1);
                }

                continue;
            }

            segments.Add(s.ToLowerInvariant().Normalize(NormalizationForm.FormKC));
        }

        return "/" + string.Join('/', segments);
    }
}
