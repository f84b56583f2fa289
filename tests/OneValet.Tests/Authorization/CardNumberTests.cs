using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Disclosures;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using Xunit;

namespace OneValet.Tests.Authorization;

/// <summary>
/// Card data never enters the records, however it is spelled (README, "Who may do what"). The generated cases come from the
/// threat, not from the scanner's table: Luhn-valid numbers of real brands' prefixes and lengths, written in any decimal
/// digits, grouped any way with any separators an attacker would try, with invisible characters anywhere, as JSON
/// numbers in any notation, anywhere in a body. And what legitimate bodies carry (timestamps, date ranges, phone
/// numbers, ids) still passes. Seeds are fixed, so a failure is reproducible; each assertion names its case.
/// </summary>
public sealed class CardNumberTests
{
    /// <summary>Issuer prefixes (BIN starts) and the lengths each brand issues.</summary>
    private static readonly (string Prefix, int[] Lengths)[] Brands =
    [
        ("4", [13, 16, 19]), // Visa
        ("51", [16]), ("55", [16]), ("2221", [16]), ("2720", [16]), // Mastercard, 2-series too
        ("34", [15]), ("37", [15]), // American Express
        ("6011", [16, 19]), ("65", [16, 19]), ("644", [16]), // Discover
        ("3528", [16, 19]), ("3589", [16]), // JCB
        ("62", [16, 17, 18, 19]), ("81", [16]), // UnionPay
        ("36", [14]), ("38", [14]), ("300", [14]), // Diners Club
        ("5018", [13, 15, 19]), ("6304", [16, 18]), // Maestro
        ("2200", [16]), ("9792", [16]), ("60", [16]), ("1", [15]), // Mir, Troy, RuPay, UATP
    ];

    /// <summary>The zero of decimal digit sets (Unicode Nd): ASCII, Arabic-Indic, extended Arabic-Indic, NKo, Devanagari,
    /// Bengali, Gurmukhi, Gujarati, Oriya, Tamil, Telugu, Kannada, Malayalam, Thai, Lao, Tibetan, Myanmar, Khmer, Mongolian,
    /// full-width, Osmanya, Brahmi, Adlam, and the five mathematical digit sets (outside the BMP).</summary>
    private static readonly int[] Zeros =
    [
        0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xE50, 0xED0, 0xF20,
        0x1040, 0x17E0, 0x1810, 0xFF10, 0x104A0, 0x11066, 0x1E950, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6,
    ];

    private static readonly string[] Separators =
    [
        " ", "-", ".", "/", "_", "\\", "\u00A0" /* NBSP */, "\u2009" /* thin */, "\u202F" /* narrow NBSP */, "\u2007" /* figure */,
        "\u3000" /* ideographic */, "\u2002", "\u2003", "\n", "\r\n", "\t", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014",
        "\u2015", "\u2212" /* minus */, "\uFE63", "\uFF0D", "\u2E3A", "\u00B7", "\u2022", "\u2024", "\u2027", "\u30FB", "\u3002",
        "\uFF0E", "\u2044", "\u2215", "\uFF0F", "\uFF3C", "\u29F8", "\uFF3F" /* full-width low line */, "\u203F", "\u2043",
    ];

    /// <summary>Nothing to see, or drawn on the character before: zero-width characters, joiners, bidi controls, soft hyphen,
    /// word joiner, BOM, combining underline and strike-through, variation selector, combining grapheme joiner.</summary>
    private static readonly string[] Invisibles =
    [
        "\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF", "\u00AD", "\u202E", "\u202D", "\u2066", "\u2069", "\u180E",
        "\u0332", "\u0336", "\uFE0F", "\u034F", "\u20E3",
    ];

    [Theory]
    [InlineData("4111111111111111", true)]
    [InlineData("4111111111111112", false)]
    [InlineData("79927398713", true)]
    [InlineData("79927398710", false)]
    [InlineData("0", true)]
    [InlineData("", false)]
    [InlineData("12a4", false)]
    public void Luhn(string digits, bool valid) => Assert.Equal(valid, CardNumbers.IsLuhnValid(digits));

    [Theory]
    [InlineData("4111 1111 1111 1111")]
    [InlineData("pay with 4111-1111-1111-1111 please")]
    [InlineData("5500000000000004")]
    [InlineData("378282246310005")] // Amex, 15 digits
    [InlineData("6011000990139424")]
    [InlineData("4222222222222")] // 13 digits
    [InlineData("６０１１０００９９０１３９４２４")] // full-width digits
    [InlineData("4111\u200B1111\u200B1111\u200B1111")] // zero-width spaces
    [InlineData("\u202E4111111111111111")] // right-to-left override
    [InlineData("4111  1111 1111 1111")] // two spaces
    [InlineData("4111.1111.1111.1111")]
    [InlineData("4111/1111/1111/1111")]
    [InlineData("4111_1111_1111_1111")]
    [InlineData("4111 - 1111 - 1111 - 1111")]
    [InlineData("4111._/1111\\-_1111 .1111")] // any mix
    [InlineData("4\u00A0111\u20091111\u202F1111\u30001111")] // NBSP, thin, narrow, ideographic spaces
    [InlineData("4111\u20131111\u20141111\u22121111")] // en dash, em dash, minus sign
    [InlineData("4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1")]
    [InlineData("4111\n1111\n1111\n1111")]
    [InlineData("٤١١١١١١١١١١١١١١١")] // Arabic-Indic
    [InlineData("४१११ ११११ ११११ ११११")] // Devanagari
    [InlineData("𝟒𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏")] // mathematical bold, outside the BMP
    [InlineData("𞥔𞥑𞥑𞥑𞥑𞥑𞥑𞥑𞥑𞥑𞥑𞥑𞥑𞥑𞥑𞥑")] // Adlam, outside the BMP, not changed by NFKC
    [InlineData("4١11 1१11 ११1१ 𝟏111")] // scripts mixed
    [InlineData("④①①①①①①①①①①①①①①①")] // circled digits (NFKC)
    [InlineData("4̲1̲1̲1̲1̲1̲1̲1̲1̲1̲1̲1̲1̲1̲1̲1̲")] // combining underline
    [InlineData("card 4111 1111 1111 1111 12/27")] // followed by its expiry date
    [InlineData("4111 1111 1111 1111 12/27 123")] // and its code
    [InlineData("1. 4111 1111 1111 1111")] // a list number before it
    [InlineData("+4111111111111111")] // 16 digits is no E.164 phone number
    [InlineData("x\uD8004111111111111111")] // a lone surrogate before it
    public void Finds_card_numbers_in_text(string text) => Assert.True(CardNumbers.ContainsCardNumber(text), Show(text));

    [Theory]
    [InlineData(null)]
    [InlineData("4111 1111 1111 1112")] // fails Luhn
    [InlineData("411111111111")] // 12 digits
    [InlineData("41111111111111111111")] // 20 digits, one unbroken run: an id
    [InlineData("2026-11-26T15:04:05Z")]
    [InlineData("2026-11-26 15:04:05.120")]
    [InlineData("+1 (212) 555-0100")]
    [InlineData("+86 138 0013 8000")] // 13 digits: an E.164 phone number (Luhn-valid)
    [InlineData("+86\u00A0138\u00A00013\u00A08000")]
    [InlineData("4111    1111 1111 1111")] // four spaces end a number
    [InlineData("r-4111-a-1111")]
    [InlineData("4111,1111,1111,1111")] // commas are not a separator (lists, thousands)
    [InlineData("4111:1111:1111:1111")] // nor colons (times)
    [InlineData("20261126150405123")] // a compact timestamp
    [InlineData("1764169445120")] // milliseconds since 1970
    public void Leaves_other_text_alone(string? text) => Assert.False(CardNumbers.ContainsCardNumber(text), Show(text));

    [Fact]
    public void Generated_card_numbers_are_found_in_every_spelling()
    {
        var random = new Random(20261206);
        foreach (var zero in Zeros)
        {
            Assert.Equal(UnicodeCategory.DecimalDigitNumber, Rune.GetUnicodeCategory(new Rune(zero + 7)));
        }

        for (var i = 0; i < 20_000; i++)
        {
            var card = NewCard(random);
            var text = Spell(card, random);
            Assert.True(CardNumbers.ContainsCardNumber(text), $"case {i}: {card} spelled {Show(text)}");
        }
    }

    [Fact]
    public void Generated_numbers_that_fail_Luhn_are_left_alone()
    {
        // The same spellings of the same numbers with the check digit off by one to nine: nothing in the spelling itself
        // (separators, scripts, invisible characters) makes text refused. Unbroken or grouped as printed, up to 16
        // digits: then no run of leading or trailing groups is 13 digits long, and only the whole number is a candidate.
        var random = new Random(7);
        for (var i = 0; i < 5_000; i++)
        {
            var card = NewCard(random);
            if (card.Length > 16)
            {
                continue;
            }

            var wrong = card[..^1] + (char)('0' + (((card[^1] - '0') + random.Next(1, 10)) % 10));
            var text = Spell(wrong, random, withContext: false, grouping: random.Next(2) == 0 ? 0 : 2);
            Assert.False(CardNumbers.ContainsCardNumber(text), $"case {i}: {wrong} spelled {Show(text)}");
        }
    }

    [Fact]
    public void Generated_card_numbers_are_found_as_JSON_numbers_in_any_notation()
    {
        var random = new Random(42);
        for (var i = 0; i < 5_000; i++)
        {
            var card = NewCard(random);
            foreach (var number in JsonNumbers(card, random))
            {
                Assert.True(CardNumbers.IsCardNumber(Encoding.ASCII.GetBytes(number)), $"case {i}: {number}");
                using var document = JsonDocument.Parse($"{{\"a\":[1,{{\"b\":{number}}}]}}");
                Assert.Equal("$.a[1].b", RequestBody.FindCardNumber(document.RootElement, "$"));
            }
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("21")]
    [InlineData("4111111111111112")]
    [InlineData("411111111111")] // 12 digits
    [InlineData("4111111111111111111111")] // 22 digits
    [InlineData("4.111111111111112E15")]
    [InlineData("1e400")]
    [InlineData("0.000000000000000000001")]
    [InlineData("1.5")]
    [InlineData("12345678901234567890123456789012345678901234567890")]
    public void Other_JSON_numbers_are_left_alone(string number) =>
        Assert.False(CardNumbers.IsCardNumber(Encoding.ASCII.GetBytes(number)), number);

    [Fact]
    public void Generated_legitimate_values_are_left_alone()
    {
        var random = new Random(1999);
        for (var i = 0; i < 20_000; i++)
        {
            var value = Legitimate(random);
            Assert.False(CardNumbers.ContainsCardNumber(value), $"case {i}: {Show(value)}");
        }
    }

    [Theory]
    [InlineData("""{"note":"4111 1111 1111 1111"}""", "$.note")]
    [InlineData("""{"a":{"b":[{"c":[["x","4111.1111.1111.1111"]]}]}}""", "$.a.b[0].c[0][1]")]
    [InlineData("""{"a":{"4111-1111-1111-1111":"x"}}""", "$.a")] // in a property name
    [InlineData("""{"a":{"card\u00A04111\u00A01111\u00A01111\u00A01111":1}}""", "$.a")]
    [InlineData("""{"note":"\u0034\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031"}""", "$.note")] // JSON escapes
    [InlineData("""{"amount":4111111111111111}""", "$.amount")]
    [InlineData("""{"amount":4.111111111111111E15}""", "$.amount")]
    [InlineData("""[0,[4111111111111111.0]]""", "$[1][0]")]
    public async Task A_body_carrying_a_card_number_anywhere_is_refused(string body, string path)
    {
        var (value, problem) = await ReadAsync<SettingChangeInput>(body);
        Assert.Null(value);
        var (status, json) = await ExecuteAsync(problem!);
        Assert.Equal(StatusCodes.Status400BadRequest, status);
        Assert.Equal("card-number-refused", json.GetProperty("code").GetString());
        Assert.Equal(path, json.GetProperty("path").GetString());
        Assert.DoesNotContain("4111", json.GetRawText(), StringComparison.Ordinal);
    }

    /// <summary>The bodies of the README and of the end-to-end tests, with the values that come closest: phone numbers
    /// (E.164, 13 to 15 digits), timestamps, date ranges in free text, ids with digits.</summary>
    [Fact]
    public async Task Typical_bodies_pass()
    {
        await AssertPassesAsync<ResidentInput>("""{"buildingId":"tower-1","unitId":"u-1203","movedInAt":"2026-01-31T09:00:00Z","email":"ana@example.com","name":"Ana Lima","phone":"+86 138 0013 8000","jurisdiction":"canada-on"}""");
        await AssertPassesAsync<ResidentInput>("""{"buildingId":"tower-1","unitId":"u-1","movedInAt":"2026-01-31T09:00:00.1234567+05:30","email":"b@example.com","phone":"+44 20 7946 0958"}""");
        await AssertPassesAsync<SettingChangeInput>("""{"setting":"thermostat-setpoint","value":"21","changedBy":"r-42"}""");
        await AssertPassesAsync<DisclosureInput>("""
            {"subjectId":"r-42","dataCategories":["identifiers"],"recipientCategory":"property-management","recipientName":"Acme Property Management",
             "purpose":"property-management","legalBasis":"lease 2026-01-01 - 2026-12-31, signed 26.11.2026","authorization":"ticket 20261126150405123, call +86 138 0013 8000"}
            """);
        await AssertPassesAsync<PrivacyRequestInput>("""
            {"type":"access","jurisdiction":"california","subject":{"residentId":"r-42"},"channel":"app",
             "agent":{"name":"Counsel LLP","email":"c@example.com","permissionReference":"POA 2026/11/26 - 2026/12/26","signedPermission":true,"permissionDocument":"JVBERi0xLjQKJSBzaWduZWQgcGVybWlzc2lvbgo="}}
            """);
    }

    [Fact]
    public async Task A_hostile_body_of_digits_and_separators_is_scanned_and_passes()
    {
        // The shapes that make the most work (runs of 1-digit groups, each run just failing Luhn, and leading and trailing
        // group windows to try) in a body near the 1 MiB limit. How fast: the benchmark project (`cards`), not a timing here.
        var run = "1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1"; // no run of 13 to 19 ones passes Luhn
        var body = "{\"setting\":\"" + string.Join(" x ", Enumerable.Repeat(run, 20_000)) + "\",\"value\":\"" + string.Concat(Enumerable.Repeat("1 ", 100_000)) + "\"}";
        await AssertPassesAsync<SettingChangeInput>(body);
    }

    private static string NewCard(Random random)
    {
        var (prefix, lengths) = Brands[random.Next(Brands.Length)];
        var length = lengths[random.Next(lengths.Length)];
        var digits = new StringBuilder(prefix);
        while (digits.Length < length - 1)
        {
            digits.Append((char)('0' + random.Next(10)));
        }

        for (var check = 0; check < 10; check++)
        {
            var candidate = digits.ToString() + (char)('0' + check);
            if (CardNumbers.IsLuhnValid(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("unreachable: one check digit of ten is right");
    }

    /// <summary>A card number in a random spelling: digits of one script or of several, grouped as printed on cards, one
    /// digit at a time, or at random (3 to 6 digits), 1 to 3 separators between groups, invisible characters anywhere,
    /// and text around it.</summary>
    private static string Spell(string card, Random random, bool withContext = true, int? grouping = null)
    {
        var zero = Zeros[random.Next(Zeros.Length)];
        var mixed = random.Next(4) == 0;
        var groups = (grouping ?? random.Next(4)) switch
        {
            0 => [card.Length],
            1 => Enumerable.Repeat(1, card.Length).ToArray(),
            2 => Printed(card.Length),
            _ => RandomGroups(card.Length, random),
        };
        var text = new StringBuilder();
        var prefix = withContext ? new[] { string.Empty, "card ", "pay with: ", "n° ", "Ref (", "« ", "1. ", "note\n" }[random.Next(8)] : string.Empty;
        text.Append(prefix);

        var position = 0;
        foreach (var size in groups)
        {
            if (position > 0)
            {
                // 1 to 3 characters, e.g. "-", " / ", "._\\".
                for (var budget = random.Next(1, CardNumbers.MaxSeparatorRun + 1); budget > 0;)
                {
                    var separator = Separators[random.Next(Separators.Length)];
                    if (separator.Length <= budget)
                    {
                        text.Append(separator);
                        budget -= separator.Length;
                    }
                }
            }

            for (var d = 0; d < size; d++)
            {
                var script = mixed ? Zeros[random.Next(Zeros.Length)] : zero;
                text.Append(char.ConvertFromUtf32(script + (card[position++] - '0')));
                while (random.Next(6) == 0)
                {
                    text.Append(Invisibles[random.Next(Invisibles.Length)]);
                }
            }
        }

        if (withContext)
        {
            // Digits after it (its expiry date and code) or before it (a list number), not both: a card in the middle of
            // a longer run is not looked for (see CardNumbers: that would refuse long lists of numbers).
            var suffixes = prefix == "1. " ? new[] { string.Empty, " thanks", ")", "." } : [string.Empty, " thanks", " exp 12/27", " 12/27", " 12/27 123", ")", " »", " cvv 123", "."];
            text.Append(suffixes[random.Next(suffixes.Length)]);
        }

        return text.ToString();
    }

    private static int[] Printed(int length) => length switch
    {
        13 => [4, 4, 4, 1],
        14 => [4, 6, 4],
        15 => [4, 6, 5],
        16 => [4, 4, 4, 4],
        17 => [4, 4, 4, 5],
        18 => [6, 12],
        _ => [4, 4, 4, 4, 3],
    };

    /// <summary>Groups of 3 to 6 digits (the last whatever is left): never shaped like a date (a 4-digit group followed by
    /// two of at most 2 digits, or the other way round), which the scanner rightly leaves alone.</summary>
    private static int[] RandomGroups(int length, Random random)
    {
        var groups = new List<int>();
        var left = length;
        while (left > 6)
        {
            var size = random.Next(3, 7);
            groups.Add(size);
            left -= size;
        }

        if (left > 0 && left < 3 && groups.Count > 0)
        {
            groups[^1] += left;
        }
        else if (left > 0)
        {
            groups.Add(left);
        }

        return [.. groups];
    }

    /// <summary>What a JSON number can spell of a card: the integer, with a zero fraction, with a fraction, in
    /// scientific notation (upper and lower case, signed exponents, trailing zeros moved into the exponent), negative,
    /// and the digits after "0.".</summary>
    private static IEnumerable<string> JsonNumbers(string card, Random random)
    {
        var exponent = card.Length - 1;
        yield return card;
        yield return "-" + card;
        yield return card + ".0";
        yield return card + ".000";
        yield return card + "." + random.Next(1, 100).ToString(CultureInfo.InvariantCulture);
        yield return $"{card[0]}.{card[1..]}E{exponent}";
        yield return $"{card[0]}.{card[1..]}e+{exponent}";
        yield return $"{card[..3]}.{card[3..]}e{exponent - 2}";
        yield return $"{card}0e-1";
        yield return $"{card}00E-2";
        yield return $"0.{card}e{card.Length}";
        yield return $"0.{card}";
        yield return $"{card}e0";
    }

    /// <summary>Values legitimate bodies carry that come closest to a card number.</summary>
    private static string Legitimate(Random random)
    {
        var at = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(random.NextDouble() * 400_000_000).AddTicks(random.Next(10_000_000));
        var until = at.AddDays(random.Next(1, 400));
        string Digits(int count) => string.Concat(Enumerable.Range(0, count).Select(_ => (char)('0' + random.Next(10))));
        var c = CultureInfo.InvariantCulture;
        return random.Next(16) switch
        {
            0 => at.ToString("O", c),
            1 => at.ToString("yyyy-MM-dd HH:mm:ss.fff", c),
            2 => at.ToString("yyyyMMddHHmmss", c),
            3 => at.ToString("yyyyMMddHHmmssfff", c),
            4 => at.ToString("yyyy-MM-dd-HH-mm-ss", c),
            5 => $"from {at.ToString("yyyy-MM-dd", c)} - {until.ToString("yyyy-MM-dd", c)}",
            6 => $"{at.ToString("dd/MM/yyyy", c)} \u2013 {until.ToString("dd/MM/yyyy", c)}",
            7 => $"{at.ToString("dd.MM.yyyy", c)} - {until.ToString("dd.MM.yyyy", c)}",
            8 => $"{at.ToString("MM/dd/yyyy", c)}/{until.ToString("MM/dd/yyyy", c)}",
            9 => $"+{random.Next(1, 999)} {Digits(3)} {Digits(4)} {Digits(4)}", // E.164: at most 15 digits
            10 => $"+{random.Next(1, 99)}\u00A0{Digits(2)}\u00A0{Digits(4)}\u00A0{Digits(4)}",
            11 => $"({Digits(3)}) {Digits(3)}-{Digits(4)} ext. {Digits(4)}",
            12 => $"r-{Digits(random.Next(1, 12))}",
            13 => $"u-{Digits(4)}-{Digits(4)}", // ids with digits: at most 12 in a run
            14 => (1_600_000_000_000 + random.NextInt64(200_000_000_000)).ToString(c), // milliseconds since 1970
            _ => $"{Digits(20 + random.Next(20))}", // long numeric ids: one unbroken run of more than 19 digits
        };
    }

    private static async Task AssertPassesAsync<T>(string body)
        where T : class
    {
        var (value, problem) = await ReadAsync<T>(body);
        if (problem is not null)
        {
            var (status, json) = await ExecuteAsync(problem);
            Assert.Fail($"{typeof(T).Name} refused ({status}): {json}");
        }

        Assert.NotNull(value);
    }

    private static Task<(T? Value, IResult? Problem)> ReadAsync<T>(string body)
        where T : class
    {
        var context = new DefaultHttpContext();
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Request.Body = new MemoryStream(bytes);
        context.Request.ContentLength = bytes.Length;
        context.Request.ContentType = "application/json";
        return RequestBody.ReadAsync<T>(context.Request, CancellationToken.None);
    }

    private static async Task<(int Status, JsonElement Json)> ExecuteAsync(IResult result)
    {
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        context.Response.Body = new MemoryStream();
        await result.ExecuteAsync(context);
        context.Response.Body.Position = 0;
        using var document = await JsonDocument.ParseAsync(context.Response.Body);
        return (context.Response.StatusCode, document.RootElement.Clone());
    }

    private static string Show(string? text) =>
        text is null ? "null" : string.Concat(text.EnumerateRunes().Select(r => r.Value is >= 0x20 and < 0x7F ? r.ToString() : $"\\u{r.Value:X4}"));
}
