using System.Globalization;
using System.Net;
using System.Text;

namespace OneValet.Pipeline.Evidence;

/// <summary>
/// The report as one printable, self-contained HTML page (no scripts, no external fonts or styles): a summary table of every
/// line, an inline SVG chart of deletion lag and request margin (p50, p95 and the worst case per line), then each line's
/// exceptions with the audit entry ids that prove or fail to prove them. The same data as the JSON, nothing more.
/// </summary>
public static class ComplianceReportHtml
{
    /// <summary>Items listed per line in full (exceptions first); the JSON has them all.</summary>
    public const int ItemsPerLine = 50;

    public static string Render(ComplianceReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Compliance report ")
            .Append(E(Day(report.From))).Append(" to ").Append(E(Day(report.To))).Append("</title><style>")
            .Append("body{font:12px/1.4 sans-serif;margin:24px;color:#111}table{border-collapse:collapse;width:100%;margin:8px 0 16px}")
            .Append("th,td{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}th{background:#eee}")
            .Append(".met{color:#060}.late,.proof-missing{color:#a50}.missed{color:#b00;font-weight:bold}.no-evidence-kept,.nothing-due{color:#555}")
            .Append("code{font-size:11px}h2{page-break-before:auto}@media print{tr{page-break-inside:avoid}}</style></head><body>");
        html.Append("<h1>Compliance report</h1><p>Period [").Append(E(Stamp(report.From))).Append(", ").Append(E(Stamp(report.To)))
            .Append("), judged at ").Append(E(Stamp(report.GeneratedAt)))
            .Append(". An item counts as done only with the audit entry that proves it; a missing entry is reported as missing.</p>");
        html.Append("<table><tr><th>Line</th><th>What</th><th>Status</th><th>Due</th><th>On time</th><th>Late</th><th>Missed</th><th>Proof missing</th><th>Held</th><th>p50</th><th>p95</th><th>Worst</th></tr>");
        foreach (var line in report.Lines)
        {
            var status = Kebab(line.Status.ToString());
            html.Append("<tr><td><code>").Append(E(line.Id)).Append("</code></td><td>").Append(E(line.Title));
            if (line.Why is not null)
            {
                html.Append("<br><em>").Append(E(line.Why)).Append("</em>");
            }

            html.Append("</td><td class=\"").Append(status).Append("\">").Append(status).Append("</td>");
            if (line.Status == LineStatus.NoEvidenceKept)
            {
                html.Append("<td colspan=\"9\">no evidence kept</td></tr>");
                continue;
            }

            foreach (var n in new[] { line.Due, line.OnTime, line.Late, line.Missed, line.ProofMissing, line.Held })
            {
                html.Append("<td>").Append(n.ToString(CultureInfo.InvariantCulture)).Append("</td>");
            }

            var (p50, p95, worst) = Figures(line);
            html.Append("<td>").Append(E(p50)).Append("</td><td>").Append(E(p95)).Append("</td><td>").Append(E(worst)).Append("</td></tr>");
        }

        html.Append("</table><p>Deletion lines show lag (done minus deadline); request clocks show margin (deadline minus done).</p>");
        html.Append(Chart(report));
        foreach (var line in report.Lines.Where(l => l.Items.Count > 0))
        {
            html.Append("<h2><code>").Append(E(line.Id)).Append("</code> ").Append(E(line.Title)).Append("</h2><table><tr><th>Item</th><th>Due</th><th>Done</th><th>State</th><th>Audit entries</th><th>Note</th></tr>");
            var shown = line.Items.OrderBy(i => i.State is ItemState.OnTime or ItemState.Held or ItemState.Open ? 1 : 0).Take(ItemsPerLine);
            foreach (var item in shown)
            {
                var state = Kebab(item.State.ToString());
                html.Append("<tr><td><code>").Append(E(item.ItemRef)).Append("</code></td><td>").Append(E(Stamp(item.DueAt))).Append("</td><td>")
                    .Append(E(item.DoneAt is { } d ? Stamp(d) : "-")).Append("</td><td class=\"").Append(state).Append("\">").Append(state).Append("</td><td><code>")
                    .Append(item.AuditIds.Count == 0 ? "missing" : E(string.Join(" ", item.AuditIds)))
                    .Append(item.Deliveries is { Count: > 0 } deliveries ? " " + E(string.Join(" ", deliveries)) : string.Empty).Append("</code></td><td>").Append(E(item.Note ?? string.Empty)).Append("</td></tr>");
            }

            html.Append("</table>");
            if (line.Items.Count > ItemsPerLine)
            {
                html.Append("<p>").Append((line.Items.Count - ItemsPerLine).ToString(CultureInfo.InvariantCulture)).Append(" more items in the JSON report.</p>");
            }
        }

        html.Append("<h2>Sources</h2><ul>");
        foreach (var source in report.Sources)
        {
            html.Append("<li>").Append(E(source)).Append("</li>");
        }

        return html.Append("</ul></body></html>").ToString();
    }

    /// <summary>Horizontal bars per measured line: p50 and p95 filled, the worst case as a tick; scale in hours.</summary>
    private static string Chart(ComplianceReport report)
    {
        var measured = report.Lines.Where(l => l.Lag is not null).ToList();
        if (measured.Count == 0)
        {
            return "<p>No deletion lag or request margin to chart in this period.</p>";
        }

        static double Hours(ReportLine l, double seconds) => (l.Measure == "margin" ? -seconds : seconds) / 3600;
        var values = measured.SelectMany(l => new[] { Hours(l, l.Lag!.P50), Hours(l, l.Lag!.P95), Hours(l, l.Lag!.Max), Hours(l, l.Lag!.Min) }).ToList();
        var max = Math.Max(values.Max(), 0);
        var min = Math.Min(values.Min(), 0);
        var span = max - min <= 0 ? 1 : max - min;
        const int left = 200, width = 480, row = 22;
        double X(double hours) => left + ((hours - min) / span * width);
        var svg = new StringBuilder();
        var height = (measured.Count * row) + 40;
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{left + width + 20}\" height=\"{height}\" role=\"img\" aria-label=\"Deletion lag and request margin\">");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(0):0.#}\" y1=\"0\" x2=\"{X(0):0.#}\" y2=\"{height - 30}\" stroke=\"#000\"/>");
        for (var i = 0; i < measured.Count; i++)
        {
            var l = measured[i];
            var y = (i * row) + 4;
            var p50 = Hours(l, l.Lag!.P50);
            var p95 = Hours(l, l.Lag!.P95);
            var worst = Hours(l, l.Lag!.Max);
            var colour = l.Measure == "margin" ? "#36c" : "#c63";
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{y + 12}\" font-size=\"11\">{E(l.Id)}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Math.Min(X(0), X(p95)):0.#}\" y=\"{y}\" width=\"{Math.Abs(X(p95) - X(0)):0.#}\" height=\"14\" fill=\"{colour}\" opacity=\"0.35\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Math.Min(X(0), X(p50)):0.#}\" y=\"{y}\" width=\"{Math.Abs(X(p50) - X(0)):0.#}\" height=\"14\" fill=\"{colour}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(worst):0.#}\" y1=\"{y - 2}\" x2=\"{X(worst):0.#}\" y2=\"{y + 16}\" stroke=\"#b00\" stroke-width=\"2\"/>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"{height - 12}\" font-size=\"11\">{min:0.#} h</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + width - 60}\" y=\"{height - 12}\" font-size=\"11\">{max:0.#} h</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + 80}\" y=\"{height - 12}\" font-size=\"11\">orange: deletion lag; blue: request margin; bar p50, pale p95, red tick worst</text>");
        return svg.Append("</svg>").ToString();
    }

    private static (string P50, string P95, string Worst) Figures(ReportLine line)
    {
        if (line.Lag is not { } lag)
        {
            return ("-", "-", "-");
        }

        // For a margin the worst case is the smallest margin, i.e. the largest lag.
        return line.Measure == "margin"
            ? (Duration(-lag.P50), Duration(-lag.P95), Duration(-lag.Max))
            : (Duration(lag.P50), Duration(lag.P95), Duration(lag.Max));
    }

    private static string Duration(double seconds)
    {
        var abs = Math.Abs(seconds);
        var text = abs >= 86400 ? (abs / 86400).ToString("0.#", CultureInfo.InvariantCulture) + " d"
            : abs >= 3600 ? (abs / 3600).ToString("0.#", CultureInfo.InvariantCulture) + " h"
            : abs >= 60 ? (abs / 60).ToString("0.#", CultureInfo.InvariantCulture) + " min"
            : abs.ToString("0", CultureInfo.InvariantCulture) + " s";
        return seconds < 0 ? "-" + text : text;
    }

    private static string Kebab(string name) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(name);

    private static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
