using System.Globalization;
using System.Text.Json;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Evidence;

namespace OneValet.Local;

/// <summary>
/// <c>report --from ISO-8601 --to ISO-8601 [--out FILE.json|FILE.html]</c>: writes the compliance report of [from, to) from
/// the local store, the same report <c>GET /api/compliance-report</c> serves (JSON, or the printable HTML when the file
/// ends in .html). Builds the local host's services without starting it: nothing listens, no timer runs.
/// </summary>
internal static class ReportCommand
{
    public static async Task<int> RunAsync(string[] args, WebApplicationBuilder builder)
    {
        var fromText = Option(args, "--from");
        var toText = Option(args, "--to");
        if (fromText is null || toText is null
            || !DateTimeOffset.TryParse(fromText, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var from)
            || !DateTimeOffset.TryParse(toText, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var to)
            || from >= to)
        {
            await Console.Error.WriteLineAsync("usage: report --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z [--out report.json|report.html]").ConfigureAwait(false);
            return 2;
        }

        var output = Option(args, "--out") ?? $"compliance-report-{from:yyyyMMdd}-{to:yyyyMMdd}.json";
        builder.AddLocalHost();
        await using var app = builder.Build();
        var report = await app.Services.GetRequiredService<ComplianceReportLoader>().BuildAsync(from, to, CancellationToken.None).ConfigureAwait(false);
        var text = output.EndsWith(".html", StringComparison.OrdinalIgnoreCase)
            ? ComplianceReportHtml.Render(report)
            : JsonSerializer.Serialize(report, ApiJson.Options);
        await File.WriteAllTextAsync(output, text).ConfigureAwait(false);
        Console.WriteLine($"wrote {output}: {report.Lines.Count} lines, {report.Lines.Count(l => l.Status is LineStatus.Missed or LineStatus.ProofMissing or LineStatus.Late)} with exceptions");
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
