using System.Text.Json.Nodes;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Disclosures;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Notifications;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;
using static OneValet.Tests.Retention.RetentionEngineTests;

namespace OneValet.Tests.Retention;

/// <summary>
/// Issue 14, item 1 (O1, O7): the kinds that had no deletion (disclosures, delivery records, audit entries, request
/// indexes including the month index, correction notes) are deleted by their own rule, through the sweep and the one
/// deletion path, holds first. Each is written by the code that writes it in production, then the fake clock passes the
/// rule; nothing is deleted a day early.
/// </summary>
public sealed class RecordKindsDeletionTests
{
    [Fact]
    public async Task A_disclosure_record_goes_when_its_period_ends_and_a_subject_hold_keeps_it()
    {
        await using var h = await PipelineHarness.StartAsync(new Dictionary<string, string?> { ["OneValet:Retention:DisclosureRecords"] = "400.00:00:00" });
        var kept = await DiscloseAsync(h, "r-shared");
        var gone = await DiscloseAsync(h, "r-other");
        await h.Get<HoldRegistry>().PlaceAsync(new HoldRecord
        {
            HoldId = "hold-fraud", Reason = HoldReason.FraudOrIllegalActivity, Scope = new HoldScope { SubjectId = "r-shared" },
            Owner = "office@holds.test", ReviewBy = h.Clock.GetUtcNow().AddDays(500), PlacedAt = h.Clock.GetUtcNow(),
        }, default);

        h.Clock.Advance(TimeSpan.FromDays(399));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.NotNull(await h.Store.ReadAsync<DisclosureRecord>(Containers.Disclosures, "r-other", gone));

        h.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(2));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.Null(await h.Store.ReadAsync<DisclosureRecord>(Containers.Disclosures, "r-other", gone));
        Assert.NotNull(await h.Store.ReadAsync<DisclosureRecord>(Containers.Disclosures, "r-shared", kept));
        var audit = Assert.Single(await h.AuditsAsync(), a => a.ItemRef == $"disclosure/r-other/{gone}/0" && a.Outcome == "completed");
        Assert.Equal("disclosure-record-400d", audit.RuleId);
    }

    [Fact]
    public async Task A_delivery_record_goes_when_its_period_ends_but_a_breach_delivery_goes_with_its_incident()
    {
        await using var h = await PipelineHarness.StartAsync(new Dictionary<string, string?> { ["OneValet:Retention:DeliveryRecords"] = "30.00:00:00" });
        var dispatcher = h.Get<NotificationDispatcher>();
        foreach (var campaign in new[] { "roommate-alert-1", "breach-inc-1" })
        {
            // A resident with no record has no address: the delivery is recorded as skipped (no email leaves).
            var notice = new NotificationRequest("n-" + campaign, campaign, "roommate-setting-changed", RecipientKind.Resident, "r-nobody", MessageClass.Service, new Dictionary<string, string>());
            await dispatcher.HandleAsync(BinaryData.FromObjectAsJson(notice, OneValet.Pipeline.Api.ApiJson.Options), default);
            Assert.NotNull(await h.Store.ReadAsync<DeliveryRecord>(Containers.Deliveries, campaign, "n-" + campaign));
        }

        h.Clock.Advance(TimeSpan.FromDays(30) + TimeSpan.FromMinutes(2));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.Null(await h.Store.ReadAsync<DeliveryRecord>(Containers.Deliveries, "roommate-alert-1", "n-roommate-alert-1"));
        Assert.NotNull(await h.Store.ReadAsync<DeliveryRecord>(Containers.Deliveries, "breach-inc-1", "n-breach-inc-1")); // O14: 24 months, with the incident
    }

    [Fact]
    public async Task A_day_of_the_audit_trail_goes_when_its_period_ends_and_an_entry_written_later_into_it_keeps_its_own_period()
    {
        await using var h = await PipelineHarness.StartAsync();
        var day = h.Clock.GetUtcNow();
        var audit = h.Get<AuditLog>();
        await audit.WriteAsync("a-early", Entry(day, day), default);

        // Three days later an entry about something of that day lands in that day's partition.
        h.Clock.Advance(TimeSpan.FromDays(3));
        await audit.WriteAsync("a-late", Entry(day, h.Clock.GetUtcNow()), default);

        h.Clock.Advance(TimeSpan.FromDays(728)); // past the first day's 730 days, not the late entry's
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.Null(await audit.ReadAsync("a-early", day, default));
        Assert.NotNull(await audit.ReadAsync("a-late", day, default));

        h.Clock.Advance(TimeSpan.FromDays(3));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.Null(await audit.ReadAsync("a-late", day, default));
    }

    [Fact]
    public async Task A_closed_request_loses_its_correction_note_and_dedupe_entry_at_minimization_and_every_index_with_its_record_after_24_months()
    {
        await using var h = await PipelineHarness.StartAsync();
        var put = await InvokeAsync(ctx => h.Get<ResidentsApi>().PutResidentAsync("r-asks", Json(ctx, """
            {"buildingId":"b-req","unitId":"u-1","movedInAt":"2025-01-01T00:00:00Z","email":"asks@example.com","jurisdiction":"california"}
            """), default));
        Assert.Equal(201, put.Status);
        var service = h.Get<PrivacyRequestService>();
        var now = h.Clock.GetUtcNow();
        var record = service.NewRecord(new PrivacyRequestInput(RequestType.Correction, "california", null, new SubjectInput("r-asks", null, null), "web", null,
            new CorrectionInput("phone", "+1 212 555 0100", null), null), "r-asks", now);
        var entry = await service.RegisterAsync(record, default);
        await h.Store.UpsertAsync(Containers.Requests, "dedupe", "dedupe-key-1", entry); // as intake writes it
        await service.AcknowledgeAsync(record.RequestId, default); // writes the subject's index
        await h.Store.UpsertAsync(Containers.Requests, record.RequestId, PrivacyRequestService.CorrectionAnswerId, new CorrectionOutcomeInput("declined", "tenant file says otherwise"));
        var month = PrivacyRequestService.ReceivedPartition(record.ReceivedAt);
        Assert.NotNull(await h.Store.ReadAsync<RequestIndexEntry>(Containers.Requests, month, record.RequestId));
        Assert.NotNull(await h.Store.ReadAsync<RequestIndexEntry>(Containers.Requests, "subject-r-asks", record.RequestId));
        await service.CloseAsync(new RequestClose(record.RequestId, RequestStatus.Completed, null), default);

        h.Clock.Advance(TimeSpan.FromHours(2));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.Null(await h.Store.ReadAsync<JsonObject>(Containers.Requests, record.RequestId, PrivacyRequestService.CorrectionAnswerId));
        Assert.Null(await h.Store.ReadAsync<JsonObject>(Containers.Requests, "dedupe", "dedupe-key-1"));
        Assert.NotNull((await service.ReadAsync(record.RequestId, default))!.Document.MinimizedAt);
        Assert.NotNull(await h.Store.ReadAsync<RequestIndexEntry>(Containers.Requests, month, record.RequestId)); // O18: 24 months

        h.Clock.Advance(TimeSpan.FromDays(729));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.NotNull(await service.ReadAsync(record.RequestId, default));
        h.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(2));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.Null(await service.ReadAsync(record.RequestId, default));
        Assert.Null(await h.Store.ReadAsync<RequestIndexEntry>(Containers.Requests, month, record.RequestId));
        Assert.Null(await h.Store.ReadAsync<RequestIndexEntry>(Containers.Requests, "subject-r-asks", record.RequestId));
        Assert.Empty((await h.Store.QueryAsync<JsonObject>(Containers.Requests, record.RequestId, RecordQuery.All, 10, null)).Items);
    }

    private static AuditRecord Entry(DateTimeOffset at, DateTimeOffset doneAt) => new()
    {
        Action = "test-step", ItemRef = "test/item", Obligation = "O7", At = at, DoneAt = doneAt,
    };

    private static async Task<string> DiscloseAsync(PipelineHarness h, string subject)
    {
        var answer = await InvokeAsync(ctx => h.Get<DisclosuresApi>().RecordAsync(Json(ctx, $$"""
            {"subjectId":"{{subject}}","dataCategories":["identifiers"],"recipientCategory":"property-management","recipientName":"Tower Mgmt","purpose":"property-management","legalBasis":"contract"}
            """), default));
        Assert.Equal(201, answer.Status);
        return JsonNode.Parse(answer.Body)!["disclosureId"]!.GetValue<string>();
    }
}
