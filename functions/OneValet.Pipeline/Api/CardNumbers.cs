using System.Buffers;
using System.Globalization;
using System.Text;

namespace OneValet.Pipeline.Api;

/// <summary>
/// Payment card data never enters the records (the policy: card details are held by the payment processor, never by us).
/// Finds a Luhn-valid number of 13 to 19 digits however it is spelled:
/// <list type="bullet">
/// <item>digits of any script (Unicode category Nd: ASCII, Arabic-Indic, Devanagari, full-width, mathematical digits
/// outside the BMP...), after NFKC normalization (circled, parenthesized and other compatibility digits);</item>
/// <item>grouped by up to <see cref="MaxSeparatorRun"/> separators between two digits, in any mix: whitespace of any kind
/// (NBSP, thin and ideographic spaces, line breaks), dashes (every Unicode dash, the minus sign), underscores and other
/// connector punctuation, dots (full stop, middle dot, bullets, ideographic full stop) and slashes (solidus, reverse
/// solidus, fraction and division slashes);</item>
/// <item>with invisible characters anywhere (format characters: zero-width, bidi controls, soft hyphen; combining marks:
/// an underline or strike drawn through the digits) seen through.</item>
/// </list>
/// A run of digits so grouped is a card number when the whole run is, or when a run of its leading or trailing groups is
/// (a card followed by its expiry or security code, a list number before it). Not refused, to leave legitimate text alone:
/// a single unbroken run of more than 19 digits (an id, not a card); a run that is only dates (<c>2026-11-01 - 2026-11-07</c>,
/// <c>26.11.2026 - 31.12.2026</c>) or timestamps (<c>20261126150405123</c>, <c>2026-11-26-15-04-05</c>); an unbroken 13-digit
/// run starting with 1 (milliseconds since 1970: no card brand issues 13 digits starting with 1); and a run of at most 15
/// digits right after a <c>+</c> (an E.164 phone number: <c>+86 138 0013 8000</c>). Linear in the
/// text's length: each character is looked at once, and each run's windows are at most 2 x 19 checks of at most 19 digits.
/// JSON numbers are checked by <see cref="IsCardNumber(ReadOnlySpan{byte})"/>.
/// </summary>
public static class CardNumbers
{
    public const int MinDigits = 13;
    public const int MaxDigits = 19;

    /// <summary>At most this many separator characters between two digits of one number ("4111 - 1111" has three).</summary>
    public const int MaxSeparatorRun = 3;

    /// <summary>E.164: a phone number has at most 15 digits.</summary>
    private const int MaxPhoneDigits = 15;

    public static bool ContainsCardNumber(string? text)
    {
        if (text is null || text.Length < MinDigits / 2)
        {
            return false; // a character spells at most two digits (a surrogate pair: one; NFKC of some: two)
        }

        var normalized = Normalize(text);
        if (normalized.Length < MinDigits)
        {
            return false;
        }

        // Every digit of the current run, and where each of its groups starts. A run is at most the text's length.
        var digits = ArrayPool<byte>.Shared.Rent(normalized.Length);
        var groups = ArrayPool<int>.Shared.Rent(normalized.Length);
        try
        {
            var run = new Run(digits, groups);
            var inRun = false;
            var separators = 0;
            var afterPlus = false;
            foreach (var rune in normalized.EnumerateRunes())
            {
                var category = Rune.GetUnicodeCategory(rune);
                if (category is UnicodeCategory.Format or UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark)
                {
                    continue; // invisible, or drawn on the character before it: as if not there
                }

                if (category == UnicodeCategory.DecimalDigitNumber)
                {
                    var value = (byte)Rune.GetNumericValue(rune);
                    if (!inRun)
                    {
                        run.Start(afterPlus);
                        inRun = true;
                    }
                    else if (separators > 0)
                    {
                        run.NewGroup();
                    }

                    run.Add(value);
                    separators = 0;
                }
                else if (IsSeparator(rune, category))
                {
                    if (inRun && ++separators > MaxSeparatorRun)
                    {
                        if (run.IsCardNumber())
                        {
                            return true;
                        }

                        inRun = false;
                    }
                }
                else if (inRun)
                {
                    if (run.IsCardNumber())
                    {
                        return true;
                    }

                    inRun = false;
                }

                afterPlus = rune.Value == '+';
            }

            return inRun && run.IsCardNumber();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(digits);
            ArrayPool<int>.Shared.Return(groups);
        }
    }

    /// <summary>
    /// Whether a JSON number (its raw text, e.g. <c>4111111111111111</c>, <c>4.111111111111111E15</c>,
    /// <c>41111111111111110e-1</c>, <c>4111111111111111.25</c>, <c>0.4111111111111111</c>) spells a card number: its
    /// value when it is a whole number, its whole part when it is not, or its significant digits as written (with and
    /// without trailing zeros). No API input holds a number of 13 digits or more, so nothing legitimate is refused.
    /// </summary>
    public static bool IsCardNumber(ReadOnlySpan<byte> jsonNumber)
    {
        var i = 0;
        if (i < jsonNumber.Length && jsonNumber[i] == '-')
        {
            i++;
        }

        var intStart = i;
        while (i < jsonNumber.Length && char.IsAsciiDigit((char)jsonNumber[i]))
        {
            i++;
        }

        var intPart = jsonNumber[intStart..i];
        var fraction = ReadOnlySpan<byte>.Empty;
        if (i < jsonNumber.Length && jsonNumber[i] == '.')
        {
            var fractionStart = ++i;
            while (i < jsonNumber.Length && char.IsAsciiDigit((char)jsonNumber[i]))
            {
                i++;
            }

            fraction = jsonNumber[fractionStart..i];
        }

        long exponent = 0;
        if (i < jsonNumber.Length && jsonNumber[i] is (byte)'e' or (byte)'E')
        {
            i++;
            var negative = i < jsonNumber.Length && jsonNumber[i] == '-';
            if (i < jsonNumber.Length && jsonNumber[i] is (byte)'-' or (byte)'+')
            {
                i++;
            }

            for (; i < jsonNumber.Length && char.IsAsciiDigit((char)jsonNumber[i]); i++)
            {
                exponent = Math.Min((exponent * 10) + (jsonNumber[i] - '0'), int.MaxValue); // saturates: 1e999999999999 is no card
            }

            exponent = negative ? -exponent : exponent;
        }

        // The significant digits (whole and fraction digits together, leading zeros dropped): the value is
        // significant x 10^shift. Only the first 20 are kept: no reading below uses more than 19.
        Span<byte> significant = stackalloc byte[MaxDigits + 1];
        var length = 0L;
        var trailingZeros = 0L;
        Collect(intPart, significant, ref length, ref trailingZeros);
        Collect(fraction, significant, ref length, ref trailingZeros);
        if (length == 0)
        {
            return false; // zero
        }

        var shift = exponent - fraction.Length;
        var digits = significant[..(int)Math.Min(length, significant.Length)];

        // The significant digits as written, and without their trailing zeros.
        if (IsCardLength(length) && Luhn(digits))
        {
            return true;
        }

        if (IsCardLength(length - trailingZeros) && Luhn(digits[..(int)(length - trailingZeros)]))
        {
            return true;
        }

        // The value's whole part (the value itself when it is whole): the significant digits with shift zeros appended,
        // or with the last -shift digits dropped.
        var whole = length + shift;
        if (!IsCardLength(whole))
        {
            return false;
        }

        Span<byte> wholeDigits = stackalloc byte[MaxDigits];
        for (var k = 0; k < whole; k++)
        {
            wholeDigits[k] = k < length ? significant[k] : (byte)0;
        }

        return Luhn(wholeDigits[..(int)whole]);
    }

    /// <summary>The Luhn (mod 10) check of a string of ASCII digits.</summary>
    public static bool IsLuhnValid(ReadOnlySpan<char> digits)
    {
        if (digits.IsEmpty)
        {
            return false;
        }

        Span<byte> values = digits.Length <= 64 ? stackalloc byte[digits.Length] : new byte[digits.Length];
        for (var i = 0; i < digits.Length; i++)
        {
            if (!char.IsAsciiDigit(digits[i]))
            {
                return false;
            }

            values[i] = (byte)(digits[i] - '0');
        }

        return Luhn(values);
    }

    private static void Collect(ReadOnlySpan<byte> part, Span<byte> significant, ref long length, ref long trailingZeros)
    {
        foreach (var c in part)
        {
            var d = (byte)(c - '0');
            if (length == 0 && d == 0)
            {
                continue; // a leading zero
            }

            if (length < significant.Length)
            {
                significant[(int)length] = d;
            }

            length++;
            trailingZeros = d == 0 ? trailingZeros + 1 : 0;
        }
    }

    private static bool IsCardLength(long digits) => digits is >= MinDigits and <= MaxDigits;

    private static bool Luhn(ReadOnlySpan<byte> digits)
    {
        var sum = 0;
        var doubled = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i];
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

        return !digits.IsEmpty && sum % 10 == 0;
    }

    /// <summary>What may stand between two digits of one card number.</summary>
    private static bool IsSeparator(Rune rune, UnicodeCategory category)
    {
        if (Rune.IsWhiteSpace(rune) || category is UnicodeCategory.DashPunctuation or UnicodeCategory.ConnectorPunctuation)
        {
            return true;
        }

        return rune.Value is
            '.' or '/' or '\\'
            or 0x00B7 // middle dot
            or 0x2022 or 0x2023 or 0x2043 // bullets, hyphen bullet
            or 0x2024 or 0x2027 // one dot leader, hyphenation point
            or 0x2044 // fraction slash
            or 0x2212 // minus sign
            or 0x2215 or 0x2216 or 0x2219 or 0x22C5 // division slash, set minus, bullet and dot operators
            or 0x29F5 or 0x29F8 or 0x29F9 // reverse solidus operator, big solidus, big reverse solidus
            or 0x3002 or 0x30FB or 0xFF61 or 0xFF65; // ideographic full stop, katakana and half-width middle dots
    }

    private static string Normalize(string text)
    {
        try
        {
            return text.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            return text; // lone surrogates: check the text as it is (they read as U+FFFD, which ends a run)
        }
    }

    /// <summary>The digits of one run and where its groups start; reused from run to run.</summary>
    private ref struct Run(byte[] digits, int[] groupStarts)
    {
        private int _count;
        private int _groups;
        private bool _afterPlus;

        public void Start(bool afterPlus)
        {
            _count = 0;
            _groups = 1;
            groupStarts[0] = 0;
            _afterPlus = afterPlus;
        }

        public void NewGroup() => groupStarts[_groups++] = _count;

        public void Add(byte digit) => digits[_count++] = digit;

        public readonly bool IsCardNumber()
        {
            if (_count < MinDigits || (_afterPlus && _count <= MaxPhoneDigits) || IsOnlyDates() || IsTimestamps(digits.AsSpan(0, _count), 2)
                || (_groups == 1 && _count == MinDigits && digits[0] == 1))
            {
                return false;
            }

            var all = digits.AsSpan(0, _count);
            if (_count <= MaxDigits && Luhn(all))
            {
                return true;
            }

            // Leading groups (a card, then its expiry date or code), then trailing groups (a list number, then a card).
            for (var g = 1; g < _groups && groupStarts[g] <= MaxDigits; g++)
            {
                if (groupStarts[g] >= MinDigits && Luhn(all[..groupStarts[g]]))
                {
                    return true;
                }
            }

            for (var g = _groups - 1; g > 0 && _count - groupStarts[g] <= MaxDigits; g--)
            {
                if (_count - groupStarts[g] >= MinDigits && Luhn(all[groupStarts[g]..]))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Groups that read as dates only, three at a time: year-month-day, or day-month-year / month-day-year.</summary>
        private readonly bool IsOnlyDates()
        {
            if (_groups % 3 != 0)
            {
                return false;
            }

            for (var g = 0; g < _groups; g += 3)
            {
                var a = Group(g);
                var b = Group(g + 1);
                var c = Group(g + 2);
                var ymd = a.Length == 4 && IsYear(a) && b.Length <= 2 && IsMonth(Value(b)) && c.Length <= 2 && IsDay(Value(c));
                var dmy = c.Length == 4 && IsYear(c) && a.Length <= 2 && b.Length <= 2
                    && ((IsDay(Value(a)) && IsMonth(Value(b))) || (IsMonth(Value(a)) && IsDay(Value(b))));
                if (!ymd && !dmy)
                {
                    return false;
                }
            }

            return true;

            static bool IsYear(ReadOnlySpan<byte> group) => Value(group) is >= 1900 and <= 2199;

            static bool IsMonth(int value) => value is >= 1 and <= 12;

            static bool IsDay(int value) => value is >= 1 and <= 31;
        }

        /// <summary>
        /// One or <paramref name="most"/> timestamps, the grouping aside: <c>yyyyMMdd</c>, then optionally <c>HHmm</c>,
        /// <c>ss</c> and 1 to 7 digits of a fraction (<c>20261126150405123</c>, <c>2026-11-26-15-04-05</c>, two dates).
        /// No payment card starts with 19, 20 or 21 (2-series Mastercard starts at 2221), so none reads as one.
        /// </summary>
        private static bool IsTimestamps(ReadOnlySpan<byte> rest, int most)
        {
            if (most == 0 || rest.Length < 8 || Value(rest[..4]) is < 1900 or > 2199 || Value(rest[4..6]) is < 1 or > 12 || Value(rest[6..8]) is < 1 or > 31)
            {
                return false;
            }

            var time = rest[8..];
            if (time.IsEmpty || IsTimestamps(time, most - 1))
            {
                return true;
            }

            if (time.Length < 4 || Value(time[..2]) > 23 || Value(time[2..4]) > 59)
            {
                return false;
            }

            if (time.Length == 4 || IsTimestamps(time[4..], most - 1))
            {
                return true;
            }

            if (time.Length < 6 || Value(time[4..6]) > 60)
            {
                return false;
            }

            for (var fraction = 0; fraction <= 7 && 6 + fraction <= time.Length; fraction++)
            {
                if (6 + fraction == time.Length || IsTimestamps(time[(6 + fraction)..], most - 1))
                {
                    return true;
                }
            }

            return false;
        }

        private readonly ReadOnlySpan<byte> Group(int g) =>
            digits.AsSpan(groupStarts[g], (g + 1 < _groups ? groupStarts[g + 1] : _count) - groupStarts[g]);

        private static int Value(ReadOnlySpan<byte> group)
        {
            var value = 0;
            foreach (var d in group)
            {
                value = (value * 10) + d;
            }

            return value;
        }
    }
}
