using System.Globalization;
using System.Text;

namespace OneValet.Pipeline.Api;

/// <summary>
/// Payment card data never enters the records (the policy: card details are held by the payment processor, never by us).
/// Finds a Luhn-valid run of 13 to 19 digits in free text, digits optionally grouped by single spaces or dashes, after
/// NFKC normalization (full-width digits) and with invisible format characters (zero-width, bidi overrides) removed.
/// </summary>
public static class CardNumbers
{
    public const int MinDigits = 13;
    public const int MaxDigits = 19;

    public static bool ContainsCardNumber(string? text)
    {
        if (text is null || text.Length < MinDigits)
        {
            return false;
        }

        var normalized = Normalize(text);
        Span<char> digits = stackalloc char[MaxDigits + 1];
        var i = 0;
        while (i < normalized.Length)
        {
            if (!char.IsAsciiDigit(normalized[i]))
            {
                i++;
                continue;
            }

            // One run: digits, with a single space or dash allowed between two digits.
            var count = 0;
            while (i < normalized.Length)
            {
                var c = normalized[i];
                if (char.IsAsciiDigit(c))
                {
                    if (count <= MaxDigits)
                    {
                        digits[Math.Min(count, MaxDigits)] = c;
                    }

                    count++;
                    i++;
                }
                else if ((c is ' ' or '-') && i + 1 < normalized.Length && char.IsAsciiDigit(normalized[i + 1]))
                {
                    i++;
                }
                else
                {
                    break;
                }
            }

            if (count is >= MinDigits and <= MaxDigits && IsLuhnValid(digits[..count]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The Luhn (mod 10) check of a string of ASCII digits.</summary>
    public static bool IsLuhnValid(ReadOnlySpan<char> digits)
    {
        if (digits.IsEmpty)
        {
            return false;
        }

        var sum = 0;
        var doubled = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            if (!char.IsAsciiDigit(digits[i]))
            {
                return false;
            }

            var d = digits[i] - '0';
            if (doubled)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            doubled = !doubled;
        }

        return sum % 10 == 0;
    }

    private static string Normalize(string text)
    {
        string normalized;
        try
        {
            normalized = text.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            normalized = text; // lone surrogates: check the text as it is
        }

        var builder = new StringBuilder(normalized.Length);
        foreach (var c in normalized)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.Format)
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
