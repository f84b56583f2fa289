using Microsoft.AspNetCore.Http;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Evidence;

/// <summary>An open request and its clocks (D1), as the privacy office sees them: ids, type, jurisdiction and times only
/// (no email, no agent, no correction values).</summary>
public sealed record OpenRequestView(
    string RequestId,
    RequestType Type,
    string Jurisdiction,
    string? Province,
    string Channel,
    RequestStatus Status,
    DateTimeOffset ReceivedAt,
    DateTimeOffset AcknowledgeBy,
    DateTimeOffset? AcknowledgedAt,
    DateTimeOffset DueAt,
    DateTimeOffset? ExtendedDueAt,
    DateTimeOffset EffectiveDueAt,
    bool Overdue);

public sealed record OpenRequestPage(IReadOnlyList<OpenRequestView> Items, string? Continuation);

public sealed record HoldReviewPage(IReadOnlyList<HoldRecord> Items, DateTimeOffset DueBy);

/// <summary>
/// The privacy office's read routes over the trail (issue 18): audit entries by day range and filters, quarantine, open
/// requests by due date, holds due for review, and the compliance report. Every list is paged by continuation; the
/// continuation is opaque (base64url) and checked on the way back in.
/// </summary>
public sealed class EvidenceApi(AuditTrail trail, IRecordStore store, HoldRegistry holds, ComplianceReportLoader reports, TimeProvider time)
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    /// <summary>The longest day range one listing or report may cover (two years and a day).</summary>
    public const int MaxDays = 732;

    /// <summary><c>GET /api/audit</c>: one page of the entries of the UTC days [from, to), filtered. Cost per page: 1 to
    /// <see cref="AuditTrail.MaxPartitionsPerPage"/> single-partition queries (days without a match are skipped).</summary>
    public async Task<IResult> ListAuditAsync(string? from, string? to, string? obligation, string? action, string? itemRef, string? outcome, string? pageSize, string? continuation, CancellationToken cancellationToken)
    {
        if (Range(from, to, out var fromAt, out var toAt) is { } bad)
        {
            return bad;
        }

        foreach (var (name, value) in new[] { ("obligation", obligation), ("action", action), ("itemRef", itemRef), ("outcome", outcome) })
        {
            if (value is not null && (value.Length is 0 or > 300 || value.Any(char.IsControl)))
            {
                return Problems.BadRequest($"'{name}' is 1 to 300 printable characters.");
            }
        }

        if (PageSize(pageSize, out var size) is { } badSize)
        {
            return badSize;
        }

        string? inner = null;
        if (continuation is not null && !ContinuationTokens.TryDecode(continuation, out inner))
        {
            return BadContinuation();
        }

        var days = AuditTrail.Days(fromAt, toAt).ToList();
        try
        {
            var page = await trail.PageAsync(days[0], days[^1], new AuditFilter(obligation, action, itemRef, outcome), size, inner, cancellationToken).ConfigureAwait(false);
            return TypedResults.Json(page with { Continuation = page.Continuation is null ? null : ContinuationTokens.Encode(page.Continuation) }, ApiJson.Options);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return BadContinuation();
        }
    }

    /// <summary><c>GET /api/quarantine</c>: uploads refused at ingestion (audit action "quarantined"), with their reasons.</summary>
    public Task<IResult> ListQuarantineAsync(string? from, string? to, string? pageSize, string? continuation, CancellationToken cancellationToken) =>
        ListAuditAsync(from, to, null, "quarantined", null, null, pageSize, continuation, cancellationToken);

    /// <summary><c>GET /api/open-requests</c>: open requests by effective due date, soonest first. Cost per page: the whole
    /// <c>open</c> partition (one entry per open request) plus one point read per request on the page.</summary>
    public async Task<IResult> ListOpenRequestsAsync(string? pageSize, string? continuation, CancellationToken cancellationToken)
    {
        if (PageSize(pageSize, out var size) is { } badSize)
        {
            return badSize;
        }

        var offset = 0;
        if (continuation is not null && (!ContinuationTokens.TryDecode(continuation, out var inner) || !int.TryParse(inner, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out offset)))
        {
            return BadContinuation();
        }

        var index = new List<RequestIndexEntry>();
        string? next = null;
        do
        {
            var page = await store.QueryAsync<RequestIndexEntry>(Containers.Requests, "open", RecordQuery.All, 500, next, cancellationToken).ConfigureAwait(false);
            index.AddRange(page.Items.Select(i => i.Document));
            next = page.Continuation;
        }
        while (next is not null);

        // The index keeps only the first due date and an extension moves it: each record's clocks are read and sorted
        // (open requests are few, tens at most).
        var now = time.GetUtcNow();
        var views = new List<OpenRequestView>();
        foreach (var entry in index)
        {
            if ((await store.ReadAsync<PrivacyRequestRecord>(Containers.Requests, entry.RequestId, PrivacyRequestRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document is { Closed: false } r)
            {
                views.Add(new OpenRequestView(r.RequestId, r.Type, r.Jurisdiction, r.Province, r.Channel, r.Status, r.ReceivedAt, r.AcknowledgeBy, r.AcknowledgedAt, r.DueAt, r.ExtendedDueAt, r.EffectiveDueAt, r.EffectiveDueAt < now));
            }
        }

        var sorted = views.OrderBy(v => v.EffectiveDueAt).ThenBy(v => v.RequestId, StringComparer.Ordinal).ToList();
        var items = sorted.Skip(offset).Take(size).ToList();
        var more = offset + items.Count < sorted.Count;
        return TypedResults.Json(new OpenRequestPage(items, more ? ContinuationTokens.Encode((offset + items.Count).ToString(System.Globalization.CultureInfo.InvariantCulture)) : null), ApiJson.Options);
    }

    /// <summary><c>GET /api/hold-reviews?withinDays=</c>: active holds whose review date is past or within the window,
    /// soonest first (O6). Cost: the holds partition.</summary>
    public async Task<IResult> ListHoldReviewsAsync(string? withinDays, CancellationToken cancellationToken)
    {
        var days = 7;
        if (withinDays is not null && (!int.TryParse(withinDays, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out days) || days > 366))
        {
            return Problems.BadRequest("'withinDays' is a whole number from 0 to 366.");
        }

        var dueBy = time.GetUtcNow().AddDays(days);
        var active = await holds.ActiveAsync(cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new HoldReviewPage([.. active.Select(h => h.Document).Where(h => h.ReviewBy <= dueBy).OrderBy(h => h.ReviewBy)], dueBy), ApiJson.Options);
    }

    /// <summary><c>GET /api/compliance-report?from=&amp;to=&amp;format=json|html</c>.</summary>
    public async Task<IResult> GetComplianceReportAsync(string? from, string? to, string? format, CancellationToken cancellationToken)
    {
        if (Range(from, to, out var fromAt, out var toAt) is { } bad)
        {
            return bad;
        }

        if (format is not null and not "json" and not "html")
        {
            return Problems.BadRequest("'format' is json or html.");
        }

        var report = await reports.BuildAsync(fromAt, toAt, cancellationToken).ConfigureAwait(false);
        return format == "html"
            ? TypedResults.Text(ComplianceReportHtml.Render(report), "text/html; charset=utf-8")
            : TypedResults.Json(report, ApiJson.Options);
    }

    /// <summary>Both bounds required, ISO-8601 with an offset, from before to, at most <see cref="MaxDays"/> days apart.</summary>
    private static IResult? Range(string? from, string? to, out DateTimeOffset fromAt, out DateTimeOffset toAt)
    {
        fromAt = toAt = default;
        if (from is null || to is null || !QueryTimes.TryParse(from, out fromAt) || !QueryTimes.TryParse(to, out toAt))
        {
            return Problems.BadRequest("'from' and 'to' are required ISO-8601 times with a UTC offset, e.g. 2026-11-01T00:00:00Z.");
        }

        if (fromAt >= toAt)
        {
            return Problems.BadRequest("'from' must be before 'to'.");
        }

        return toAt - fromAt > TimeSpan.FromDays(MaxDays)
            ? Problems.BadRequest($"The range is at most {MaxDays} days.")
            : null;
    }

    private static IResult? PageSize(string? text, out int size) => PageSizes.TryRead(text, DefaultPageSize, MaxPageSize, out size);

    private static IResult BadContinuation() => Problems.BadRequest("'continuation' is not one this API handed out.");
}
