using System.Text;
using Microsoft.AspNetCore.Http;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Notifications;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Requests;

/// <summary>
/// The request clocks (D1) with a fake clock, in-process on SQLite and Azurite: the jurisdiction is the person's record's
/// (the body may only narrow a Canadian resident to a province; anything else it says is recorded, not obeyed); receipt is
/// confirmed within 10 business days counted in the jurisdiction's own time zone, across a year end and a DST change; one
/// extension, only before the due date (after it: 409 problem details), with the notice the law asks for (PIPEDA s.8(4):
/// reason, new date, the right to complain to the Privacy Commissioner of Canada; California: the reason). Expected dates
/// are counted by hand from the statutes' holidays, not from the calendar code.
/// </summary>
public sealed class RequestClocksTests
{
    [Fact]
    public async Task A_body_that_names_another_jurisdiction_does_not_move_the_clock_and_the_acknowledgement_is_counted_in_californian_days_across_the_year_end()
    {
        // 2026-12-24 07:30 UTC is Wednesday 23 December 23:30 in Los Angeles: day 0 is the 23rd there, the 24th in UTC.
        var received = new DateTimeOffset(2026, 12, 24, 7, 30, 0, TimeSpan.Zero);
        await using var h = await PipelineHarness.StartAsync(now: received);
        await ResidentAsync(h, "r-cal", "california");

        var record = await NewAsync(h, "r-cal", "canada", "on");

        Assert.Equal("california", record.Jurisdiction);
        Assert.Null(record.Province);
        Assert.Equal("record", record.JurisdictionSource);
        Assert.Equal("canada/on", record.RequestedJurisdiction);
        Assert.Equal("us-ca", record.Calendar);
        // Thu 24 (1), Fri 25 Christmas, Mon 28 (2), 29, 30, 31 (5), Fri 1 Jan New Year, Mon 4 (6), 5, 6, 7, Fri 8 (10):
        // the end of Friday 8 January 2027 in Los Angeles (PST, UTC-8). Counted in UTC it would have been Monday the 11th.
        Assert.Equal(new DateTimeOffset(2027, 1, 9, 7, 59, 59, TimeSpan.Zero).AddTicks(9_999_999), record.AcknowledgeBy);
        Assert.Equal(received.AddDays(45), record.DueAt);
    }

    [Fact]
    public async Task A_canadian_resident_may_name_the_province_and_the_deadline_ends_on_the_wall_clock_after_the_dst_change()
    {
        // 2027-03-04 04:30 UTC is Wednesday 3 March 23:30 in Toronto (EST); clocks go forward on Sunday 14 March.
        var received = new DateTimeOffset(2027, 3, 4, 4, 30, 0, TimeSpan.Zero);
        await using var h = await PipelineHarness.StartAsync(now: received);
        await ResidentAsync(h, "r-on", "canada");

        var record = await NewAsync(h, "r-on", "canada", "on");

        Assert.Equal(("canada", "on", "ca-on", "record"), (record.Jurisdiction, record.Province, record.Calendar, record.JurisdictionSource));
        Assert.Null(record.RequestedJurisdiction);
        // Thu 4 (1), Fri 5, Mon 8 ... Fri 12 (7), Mon 15 (8), Tue 16, Wed 17 (10): end of 17 March in Toronto, now EDT (UTC-4).
        Assert.Equal(new DateTimeOffset(2027, 3, 18, 3, 59, 59, TimeSpan.Zero).AddTicks(9_999_999), record.AcknowledgeBy);
        Assert.Equal(received.AddDays(30), record.DueAt);
    }

    [Theory]
    [InlineData(2031)]
    [InlineData(2040)]
    public async Task Intake_years_after_the_calendar_files_has_its_clocks(int year)
    {
        // Friday 19 December 2031 / Friday 21 December 2040, 17:00 UTC (noon in New York).
        var received = new DateTimeOffset(year, 12, year == 2031 ? 19 : 21, 17, 0, 0, TimeSpan.Zero);
        await using var h = await PipelineHarness.StartAsync(now: received);
        await ResidentAsync(h, "r-future", "new-york");
        var record = await NewAsync(h, "r-future", "new-york", null);
        // 2031: ... Tue 6 January 2032 (CalendarRulesTests counts it); 2040: Christmas Tue, New Year Tue: Tue 8 January 2041.
        // The end of that day in New York (EST, UTC-5): 05:00 UTC the day after, less a tick.
        var expected = year == 2031 ? new DateTimeOffset(2032, 1, 7, 5, 0, 0, TimeSpan.Zero) : new DateTimeOffset(2041, 1, 9, 5, 0, 0, TimeSpan.Zero);
        Assert.Equal(expected.AddTicks(-1), record.AcknowledgeBy);
    }

    [Fact]
    public async Task Nobody_on_file_the_body_decides_and_says_so_and_a_province_is_for_canada_only()
    {
        var received = new DateTimeOffset(2026, 7, 1, 12, 0, 0, TimeSpan.Zero);
        await using var h = await PipelineHarness.StartAsync(now: received);
        await ResidentAsync(h, "r-ny", "new-york");

        var stranger = await NewAsync(h, "r-nobody", "new-york", null);
        Assert.Equal(("new-york", "request", "us-ny"), (stranger.Jurisdiction, stranger.JurisdictionSource, stranger.Calendar));
        Assert.Null(stranger.SubjectId);

        // A New Yorker's request that claims Canada and a province: the record decides, the province is dropped.
        var claimed = await NewAsync(h, "r-ny", "canada", "qc");
        Assert.Equal(("new-york", null, "us-ny", "canada/qc"), (claimed.Jurisdiction, claimed.Province, claimed.Calendar, claimed.RequestedJurisdiction));
        Assert.Equal(received.AddDays(45), claimed.DueAt);
    }

    [Fact]
    public async Task One_extension_before_the_due_date_only_after_it_a_409_and_the_acknowledgement_is_audited_on_time()
    {
        var received = new DateTimeOffset(2026, 12, 30, 15, 0, 0, TimeSpan.Zero);
        await using var h = await PipelineHarness.StartAsync(now: received);
        await ResidentAsync(h, "r-late", "canada");
        await ResidentAsync(h, "r-early", "california");
        var service = h.Get<PrivacyRequestService>();

        var late = await NewAsync(h, "r-late", "canada", "bc");
        await service.RegisterAsync(late, default);
        var early = await NewAsync(h, "r-early", "california", null);
        await service.RegisterAsync(early, default);

        await service.AcknowledgeAsync(early.RequestId, default);
        var acknowledged = (await h.AuditsAsync()).Single(a => a.ItemRef == "requests/" + early.RequestId && a.Action == "request-acknowledged");
        Assert.Equal("on-time", acknowledged.Outcome);
        Assert.Equal(early.AcknowledgeBy, acknowledged.Deadline);

        // One second past the 30 days of PIPEDA: too late to extend.
        h.Clock.SetUtcNow(late.DueAt.AddSeconds(1));
        var refused = await ExtendAsync(h, late.RequestId, "the archive is offsite");
        Assert.Equal(StatusCodes.Status409Conflict, refused.StatusCode);
        Assert.Contains("application/problem+json", refused.ContentType, StringComparison.Ordinal);
        Assert.Null((await service.ReadAsync(late.RequestId, default))!.Document.ExtendedDueAt);

        // The Californian one, on its last day: extended once (45 more days), a second time refused.
        h.Clock.SetUtcNow(early.DueAt.AddMinutes(-1));
        Assert.Equal(StatusCodes.Status200OK, (await ExtendAsync(h, early.RequestId, "many recordings to redact")).StatusCode);
        Assert.Equal(early.DueAt.AddDays(45), (await service.ReadAsync(early.RequestId, default))!.Document.ExtendedDueAt);
        Assert.Equal(StatusCodes.Status409Conflict, (await ExtendAsync(h, early.RequestId, "again")).StatusCode);
    }

    [Fact]
    public void The_extension_notice_carries_what_each_law_requires()
    {
        var canada = NotificationTemplates.Render(Notice("canada"));
        Assert.Contains("the archive is offsite", canada.Text, StringComparison.Ordinal); // the reason
        Assert.Contains("2027-02-28", canada.Text, StringComparison.Ordinal); // the new date
        Assert.Contains("right to complain", canada.Text, StringComparison.Ordinal);
        Assert.Contains("Privacy Commissioner of Canada", canada.Text, StringComparison.Ordinal);

        var california = NotificationTemplates.Render(Notice("california"));
        Assert.Contains("the archive is offsite", california.Text, StringComparison.Ordinal);
        Assert.Contains("2027-02-28", california.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Privacy Commissioner", california.Text, StringComparison.Ordinal);

        static NotificationRequest Notice(string jurisdiction) => new("n-1", "request-req-1", "request-extended", RecipientKind.Resident, "r-1", MessageClass.Service,
            new Dictionary<string, string> { ["requestId"] = "req-1", ["dueAt"] = "2027-02-28", ["jurisdiction"] = jurisdiction, ["reason"] = "the archive is offsite" });
    }

    /// <summary>A new access request's record about <paramref name="residentId"/> whose body says <paramref name="jurisdiction"/>
    /// and <paramref name="province"/>, received now, as intake makes it.</summary>
    private static async Task<PrivacyRequestRecord> NewAsync(PipelineHarness h, string residentId, string jurisdiction, string? province)
    {
        var service = h.Get<PrivacyRequestService>();
        var input = new PrivacyRequestInput(RequestType.Access, jurisdiction, province, new SubjectInput(residentId, null, null), "app", null, null, null);
        return service.NewRecord(input, await service.FindSubjectOnFileAsync(input.Subject!, default), h.Clock.GetUtcNow());
    }

    private static Task ResidentAsync(PipelineHarness h, string id, string jurisdiction) =>
        h.Store.UpsertAsync(Containers.Residents, id, ResidentRecord.DocumentId, new ResidentRecord
        {
            ResidentId = id, BuildingId = "b-clock", UnitId = "u-1", MovedInAt = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), Email = id + "@clocks.test", Jurisdiction = jurisdiction,
        });

    private static async Task<HttpResponse> ExtendAsync(PipelineHarness h, string requestId, string reason)
    {
        var context = new DefaultHttpContext { RequestServices = h.Services };
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes($$"""{"reason":"{{reason}}"}"""));
        context.Response.Body = new MemoryStream();
        var result = await h.Get<PrivacyRequestsApi>().ExtendAsync(requestId, context.Request, default);
        await result.ExecuteAsync(context);
        return context.Response;
    }
}
