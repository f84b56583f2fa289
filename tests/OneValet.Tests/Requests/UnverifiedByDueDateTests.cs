using System.Globalization;
using System.Text.Json;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Notifications;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using OneValet.Tests.Retention;
using OneValet.Tests.Simulation;
using Xunit;

namespace OneValet.Tests.Requests;

/// <summary>
/// A request the privacy office never verifies (O10, D1): a person not on file waits for the office's check until shortly
/// before the due date (<see cref="RequestOptions.NotOnFileVerificationMargin"/>, an hour), and no longer. No answer by the
/// due date counts as a refusal (PIPEDA s.8(5)), so the request closes as not verified in time early enough that the person
/// is told so in writing before the due date (the date, that it counts as refused, nothing released or deleted, where to
/// complain), and the record and the audit trail say why. The orchestrator runs on a clocked task hub
/// (its timers fire when the fake clock reaches them), its notices through the real dispatcher to maildev.
/// </summary>
public sealed class UnverifiedByDueDateTests(MailDevFixture maildev) : IClassFixture<MailDevFixture>
{
    [Fact]
    public async Task A_person_not_on_file_whom_the_office_never_verifies_is_refused_in_writing_before_the_due_date_and_the_record_and_audit_say_why()
    {
        // Monday 1 February 2027, 15:00 UTC; a Canadian request is due 30 days on, Wednesday 3 March.
        var received = new DateTimeOffset(2027, 2, 1, 15, 0, 0, TimeSpan.Zero);
        var transport = new SimulationTransport();
        await using var h = await PipelineHarness.StartAsync(now: received, configure: s => s.AddSingleton<IMessageTransport>(transport));
        var hub = new ClockedTaskHub(h.Services, h.Clock);
        var email = MailDevFixture.UniqueRecipient("visitor");
        var body = JsonSerializer.Serialize(new
        {
            type = "access",
            jurisdiction = "canada",
            channel = "phone",
            notOnFile = new { email, relationship = "visitor", buildingId = "b-due", doorId = "lobby", from = received.AddHours(-3), to = received.AddHours(-2) },
        }, OneValet.Pipeline.Api.ApiJson.Options);
        var (status, answer) = await RetentionEngineTests.InvokeAsync(ctx => h.Get<PrivacyRequestsApi>().SubmitAsync(RetentionEngineTests.Json(ctx, body), hub.Client, default));
        Assert.True(status == 202, answer);
        var requestId = JsonDocument.Parse(answer).RootElement.GetProperty("requestId").GetString()!;
        var service = h.Get<PrivacyRequestService>();

        await hub.RunReadyAsync();
        await DrainAsync();
        var waiting = (await service.ReadAsync(requestId, default))!.Document;
        var due = received.AddDays(30);
        Assert.Equal(due, waiting.EffectiveDueAt);
        Assert.Equal(RequestStatus.AwaitingVerification, waiting.Status);
        Assert.Contains(waiting.Steps, s => s.Name == "manual-verification");

        // A second before the wait's end (an hour before the due date) nothing has closed: the office may still verify.
        var ends = due - h.Get<Microsoft.Extensions.Options.IOptions<RequestOptions>>().Value.NotOnFileVerificationMargin;
        Assert.Equal(due.AddHours(-1), ends);
        await hub.AdvanceToAsync(ends.AddSeconds(-1));
        await DrainAsync();
        Assert.False((await service.ReadAsync(requestId, default))!.Document.Closed);
        Assert.Single(await maildev.Api.WaitForAsync(email, 1)); // the acknowledgement only

        // The wait ends without the office's check: the refusal is written and sent then, still before the due date.
        await hub.AdvanceToAsync(ends);
        await DrainAsync();
        Assert.True(h.Clock.GetUtcNow() < due);
        var deliveries = await h.Store.QueryAsync<DeliveryRecord>(Containers.Deliveries, "request-" + requestId, RecordQuery.All, 10, null);
        var refused = Assert.Single(deliveries.Items, d => d.Document.NotificationId == "request-unverified-" + requestId).Document;
        Assert.Equal(DeliveryStatus.Sent, refused.Status);
        Assert.True(refused.SentAt < due, "the refusal was sent at or after the due date");
        await hub.AdvanceToAsync(due.AddHours(1));
        await DrainAsync();
        Assert.Empty(hub.Failures);
        var instance = await hub.Client.GetInstancesAsync(requestId, getInputsAndOutputs: true);
        Assert.Equal((OrchestrationRuntimeStatus.Completed, "\"Unverified\""), (instance!.RuntimeStatus, instance.SerializedOutput));

        // The record: closed when the wait ended, before the due date, not verified in time, nothing released.
        var closed = (await service.ReadAsync(requestId, default))!.Document;
        Assert.Equal((RequestStatus.Unverified, "identity-not-verified-by-due-date"), (closed.Status, closed.DenialReason));
        Assert.Equal(ends, closed.ClosedAt);
        Assert.Null(closed.ManualVerification);
        Assert.Null(closed.Outcome?.ExportBlob);
        Assert.Contains(closed.Steps, s => s.Name == "closed" && s.Status == nameof(RequestStatus.Unverified));

        // The audit trail says why, against the deadline it was held to.
        var audit = Assert.Single(await h.AuditsAsync(), a => a.Action == "request-closed" && a.ItemRef == "requests/" + requestId);
        Assert.Equal(("unverified:identity-not-verified-by-due-date", due, "O8"), (audit.Outcome, audit.Deadline, audit.Obligation));
        Assert.True(audit.LagSeconds <= -3600, "the refusal was not written an hour before the due date");

        // The person is told, in writing: not verified by the date, counted as refused, nothing released or deleted, where
        // to complain (a Canadian request: the Privacy Commissioner). Not the notice of a check that found them not to be who
        // they said.
        var mails = await maildev.Api.WaitForAsync(email, 2);
        var refusal = Assert.Single(mails, m => m.Subject!.Contains("refused", StringComparison.Ordinal));
        Assert.Contains(RecordJson.Timestamp(due), refusal.Text!, StringComparison.Ordinal);
        Assert.Contains("counts a request not answered by its due date as refused", refusal.Text!, StringComparison.Ordinal);
        Assert.Contains("without releasing or deleting anything", refusal.Text!, StringComparison.Ordinal);
        Assert.Contains("Privacy Commissioner of Canada", refusal.Text!, StringComparison.Ordinal);
        Assert.DoesNotContain("came from the person it is about", refusal.Text!, StringComparison.Ordinal);
        Assert.Equal(2, (await maildev.Api.ListAsync(email)).Count);

        // A check recorded after the due date changes nothing: the request stays refused, nothing is released.
        var (late, _) = await RetentionEngineTests.InvokeAsync(ctx => h.Get<PrivacyRequestsApi>().VerifyManuallyAsync(
            requestId, RetentionEngineTests.Json(ctx, """{"outcome":"verified","method":"signed-declaration"}"""), hub.Client, default));
        Assert.Equal(409, late);
        await hub.RunReadyAsync();
        var after = (await service.ReadAsync(requestId, default))!.Document;
        Assert.Equal((RequestStatus.Unverified, (ManualVerificationRecord?)null), (after.Status, after.ManualVerification));
        return;

        async Task DrainAsync()
        {
            var problems = await transport.DrainAsync(h.Get<MessageHandlers>(), _ => Task.CompletedTask);
            Assert.True(problems.Count == 0, string.Join("; ", problems));
            Assert.Equal(0, transport.Pending);
        }
    }

    [Fact]
    public async Task A_check_recorded_in_the_last_hour_before_the_due_date_is_refused_with_409_as_one_after_it_and_the_refusal_still_goes_out_before_the_due_date()
    {
        // Received Friday 31 December 2027, 23:30 UTC (a year's end); a Canadian request is due 30 days on, 30 January 2028.
        var received = new DateTimeOffset(2027, 12, 31, 23, 30, 0, TimeSpan.Zero);
        var transport = new SimulationTransport();
        await using var h = await PipelineHarness.StartAsync(now: received, configure: s => s.AddSingleton<IMessageTransport>(transport));
        var hub = new ClockedTaskHub(h.Services, h.Clock);
        var email = MailDevFixture.UniqueRecipient("late-check");
        var body = JsonSerializer.Serialize(new
        {
            type = "access",
            jurisdiction = "canada",
            channel = "mail",
            notOnFile = new { email, relationship = "former-resident", buildingId = "b-due", from = received.AddHours(-5), to = received.AddHours(-4) },
        }, OneValet.Pipeline.Api.ApiJson.Options);
        var (status, answer) = await RetentionEngineTests.InvokeAsync(ctx => h.Get<PrivacyRequestsApi>().SubmitAsync(RetentionEngineTests.Json(ctx, body), hub.Client, default));
        Assert.True(status == 202, answer);
        var requestId = JsonDocument.Parse(answer).RootElement.GetProperty("requestId").GetString()!;
        var service = h.Get<PrivacyRequestService>();
        await hub.RunReadyAsync();
        var due = received.AddDays(30);
        Assert.Equal(due, (await service.ReadAsync(requestId, default))!.Document.EffectiveDueAt);

        // Half an hour before the due date, before the orchestration has looked: the office's "verified" comes too late, in
        // either outcome and however the method is spelled right; nothing is recorded and nothing is released.
        h.Clock.Advance(due.AddMinutes(-30) - h.Clock.GetUtcNow());
        foreach (var check in new[] { """{"outcome":"verified","method":"government-id-in-person"}""", """{"outcome":"not-verified","method":"signed-declaration"}""" })
        {
            var (late, problem) = await RetentionEngineTests.InvokeAsync(ctx => h.Get<PrivacyRequestsApi>().VerifyManuallyAsync(
                requestId, RetentionEngineTests.Json(ctx, check), hub.Client, default));
            Assert.True(late == 409, problem);
        }

        var waiting = (await service.ReadAsync(requestId, default))!.Document;
        Assert.Equal((RequestStatus.AwaitingVerification, (ManualVerificationRecord?)null), (waiting.Status, waiting.ManualVerification));
        Assert.DoesNotContain(waiting.Steps, s => s.Name == "manually-verified");

        // The orchestration's wait ended an hour before the due date: it closes the request as not verified in time now,
        // and the refusal goes out, still before the due date.
        await hub.AdvanceToAsync(h.Clock.GetUtcNow());
        var problems = await transport.DrainAsync(h.Get<MessageHandlers>(), _ => Task.CompletedTask);
        Assert.True(problems.Count == 0, string.Join("; ", problems));
        Assert.Empty(hub.Failures);
        var closed = (await service.ReadAsync(requestId, default))!.Document;
        Assert.Equal((RequestStatus.Unverified, "identity-not-verified-by-due-date"), (closed.Status, closed.DenialReason));
        Assert.True(closed.ClosedAt < due);
        var deliveries = await h.Store.QueryAsync<DeliveryRecord>(Containers.Deliveries, "request-" + requestId, RecordQuery.All, 10, null);
        var refused = Assert.Single(deliveries.Items, d => d.Document.NotificationId == "request-unverified-" + requestId).Document;
        Assert.True(refused.Status == DeliveryStatus.Sent && refused.SentAt < due, "the refusal was not sent before the due date");
        var mails = await maildev.Api.WaitForAsync(email, 2);
        Assert.Single(mails, m => m.Subject!.Contains("refused", StringComparison.Ordinal));
        Assert.Null(closed.Outcome?.ExportBlob);
    }

    [Fact]
    public void The_margin_before_the_due_date_is_data_checked_at_start_up()
    {
        static bool Fails(TimeSpan margin) => (new RequestOptionsValidator().Validate(null, new RequestOptions
        {
            SecretKey = Convert.ToBase64String(new byte[32]),
            NotOnFileVerificationMargin = margin,
        }).Failures ?? []).Any(f => f.Contains("NotOnFileVerificationMargin", StringComparison.Ordinal));

        Assert.True(Fails(TimeSpan.FromMinutes(-1)));
        Assert.True(Fails(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1)));
        Assert.False(Fails(TimeSpan.Zero));
        Assert.False(Fails(TimeSpan.FromHours(1)));
        Assert.Equal(TimeSpan.FromHours(1), new RequestOptions().NotOnFileVerificationMargin);
    }

    [Fact]
    public async Task The_privacy_offices_finding_that_the_person_is_not_who_they_said_is_answered_as_such_not_as_a_missed_due_date()
    {
        var received = new DateTimeOffset(2027, 2, 1, 15, 0, 0, TimeSpan.Zero);
        var transport = new SimulationTransport();
        await using var h = await PipelineHarness.StartAsync(now: received, configure: s => s.AddSingleton<IMessageTransport>(transport));
        var hub = new ClockedTaskHub(h.Services, h.Clock);
        var email = MailDevFixture.UniqueRecipient("claimant");
        var body = JsonSerializer.Serialize(new
        {
            type = "access",
            jurisdiction = "canada",
            channel = "phone",
            notOnFile = new { email, relationship = "visitor", buildingId = "b-due", doorId = "lobby", from = received.AddHours(-3), to = received.AddHours(-2) },
        }, OneValet.Pipeline.Api.ApiJson.Options);
        var (status, answer) = await RetentionEngineTests.InvokeAsync(ctx => h.Get<PrivacyRequestsApi>().SubmitAsync(RetentionEngineTests.Json(ctx, body), hub.Client, default));
        Assert.True(status == 202, answer);
        var requestId = JsonDocument.Parse(answer).RootElement.GetProperty("requestId").GetString()!;
        await hub.RunReadyAsync();

        h.Clock.Advance(TimeSpan.FromDays(3));
        var (check, _) = await RetentionEngineTests.InvokeAsync(ctx => h.Get<PrivacyRequestsApi>().VerifyManuallyAsync(
            requestId, RetentionEngineTests.Json(ctx, """{"outcome":"not-verified","method":"signed-declaration"}"""), hub.Client, default));
        Assert.Equal(200, check);
        await hub.RunReadyAsync();
        Assert.Empty((await transport.DrainAsync(h.Get<MessageHandlers>(), _ => Task.CompletedTask)));

        var closed = (await h.Get<PrivacyRequestService>().ReadAsync(requestId, default))!.Document;
        Assert.Equal((RequestStatus.Unverified, "identity-not-verified"), (closed.Status, closed.DenialReason));
        Assert.True(closed.ClosedAt < closed.EffectiveDueAt);
        var audit = Assert.Single(await h.AuditsAsync(), a => a.Action == "request-closed" && a.ItemRef == "requests/" + requestId);
        Assert.Equal("unverified:identity-not-verified", audit.Outcome);
        var mails = await maildev.Api.WaitForAsync(email, 2);
        var notice = Assert.Single(mails, m => m.Subject!.Contains("could not be verified", StringComparison.Ordinal));
        Assert.DoesNotContain("refused", notice.Text!, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"request {requestId}"), notice.Text!, StringComparison.Ordinal);
    }
}
