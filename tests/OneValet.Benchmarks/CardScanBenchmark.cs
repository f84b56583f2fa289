using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using OneValet.Pipeline.Api;

namespace OneValet.Benchmarks;

/// <summary>
/// The card-number scan (<see cref="CardNumbers"/>) over texts of 64 KiB to 1 MiB (the body limit): hostile text (digits in
/// 1-digit groups, the most windows per run; digits in every script with every separator and zero-width characters
/// between) and prose with numbers, against a raw baseline in the same run: parsing the same text as a JSON string with
/// System.Text.Json (what every body costs anyway). Nanoseconds per character stay flat as the size grows: the scan is
/// linear; the ratio says what the check adds to reading the body.
/// </summary>
internal static class CardScanBenchmark
{
    public static void Run(int repeats)
    {
        var texts = new (string Name, Func<int, string> Make)[]
        {
            ("1-digit groups", size => Repeat("1 ", size)),
            ("scripts and separators", size => Repeat("١\u200B١ ١-١.१/१_१\u00A0𝟏\u2009１\u2013１ ", size)),
            ("prose with numbers", size => Repeat("Unit 1203, call +1 (212) 555-0100 on 2026-11-26 15:04; ref 20261126150405123. ", size)),
        };
        Console.WriteLine("text                     size     scan ns/char   JSON parse ns/char   ratio");
        foreach (var (name, make) in texts)
        {
            foreach (var size in new[] { 64 * 1024, 256 * 1024, 1024 * 1024 })
            {
                var text = make(size);
                var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(text));
                if (CardNumbers.ContainsCardNumber(text))
                {
                    throw new InvalidOperationException("a benchmark text carries a card number");
                }

                var scan = Measure(repeats, () => CardNumbers.ContainsCardNumber(text));
                var parse = Measure(repeats, () =>
                {
                    using var document = JsonDocument.Parse(json);
                    return document.RootElement.GetString()!.Length > 0;
                });
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-24} {size / 1024,5} KiB {scan * 1e9 / text.Length,10:0.0} {parse * 1e9 / text.Length,18:0.0} {scan / parse,10:0.00}"));
            }
        }
    }

    private static string Repeat(string unit, int size)
    {
        var builder = new StringBuilder(size + unit.Length);
        while (builder.Length < size)
        {
            builder.Append(unit);
        }

        return builder.ToString();
    }

    /// <summary>The best of <paramref name="repeats"/> runs, in seconds (after one warm-up).</summary>
    private static double Measure(int repeats, Func<bool> action)
    {
        action();
        var best = double.MaxValue;
        for (var i = 0; i < repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            action();
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }

        return best;
    }
}
