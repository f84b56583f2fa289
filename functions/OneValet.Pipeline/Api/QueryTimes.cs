using System.Globalization;
using System.Text.RegularExpressions;

namespace OneValet.Pipeline.Api;

/// <summary>
/// The one reading of a time in a query (<c>from</c>, <c>to</c>), as the contract spells it: an RFC 3339 date-time
/// (<c>2026-11-26T00:00:00Z</c>, <c>2026-11-26T00:00:00.5+01:00</c>; seconds and an offset required). Other spellings that
/// .NET's lenient parser also reads are refused: <c>11/26/2026 00:00:00Z</c> (which day is <c>01/02</c>?), <c>26 Nov 2026
/// 00:00:00Z</c>, a space for the <c>T</c>, leading spaces, no seconds. Ingestion reads an upload's <c>capturedat</c> the
/// same way.
/// </summary>
public static partial class QueryTimes
{
    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        if (text is null || !Rfc3339().IsMatch(text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed))
        {
            return false;
        }

        value = parsed.ToUniversalTime();
        return true;
    }

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Rfc3339();
}
