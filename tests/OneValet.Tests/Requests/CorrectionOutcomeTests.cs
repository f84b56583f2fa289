using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Notifications;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Requests;

/// <summary>
/// O11 at the edges: a correction property management never answered is not "completed": it is answered as a refusal,
/// with why, and the record says so; a refusal gives its reasons; the notice tells the person in words, not a code.
/// In-process on SQLite with a fake clock.
/// </summary>
public sealed class CorrectionOutcomeTests
{
    [Fact]
    public async Task Silence_by_the_due_date_is_answered_as_not_made_with_why_and_the_record_says_so()
    {
        await using var h = await PipelineHarness.StartAsync();
        await CorrectionAsync(h, "req-silent");
        var result = await h.Get<RequestWork>().RecordCorrectionAsync(new CorrectionAnswer("req-silent", "no-answer"), default);
        Assert.Equal(RequestStatus.Denied, result.Status);
        Assert.Equal("correction-not-made-by-due-date", result.DenialReason);
        var record = (await h.Store.ReadAsync<PrivacyRequestRecord>(Containers.Requests, "req-silent", PrivacyRequestRecord.DocumentId))!.Document;
        Assert.StartsWith("The correction was not made", record.Outcome!.Summary, StringComparison.Ordinal);
        Assert.Contains(RecordJson.Timestamp(record.EffectiveDueAt), record.Outcome.Summary, StringComparison.Ordinal);
        Assert.Contains(record.Steps, s => s is { Name: "not-answered-by-due-date", Status: "not-corrected" });

        var (_, text) = NotificationTemplates.Render(new NotificationRequest("n", "c", "request-denied", RecipientKind.Resident, "r-1", MessageClass.Service,
            new Dictionary<string, string> { ["requestId"] = "req-silent", ["reason"] = result.DenialReason! }));
        Assert.Contains("the correction was not made", text, StringComparison.Ordinal);
        Assert.DoesNotContain("correction-not-made-by-due-date", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("corrected", RequestStatus.Completed, null)]
    [InlineData("declined", RequestStatus.Denied, "correction-declined-by-property-management")]
    public async Task An_answer_is_recorded_as_given_and_a_refusal_carries_its_reason(string outcome, RequestStatus status, string? reason)
    {
        await using var h = await PipelineHarness.StartAsync();
        await CorrectionAsync(h, "req-answered");
        await h.Store.UpsertAsync(Containers.Requests, "req-answered", "correction-answer", new CorrectionOutcomeInput(outcome, "the lease names unit u-1"));
        var result = await h.Get<RequestWork>().RecordCorrectionAsync(new CorrectionAnswer("req-answered", outcome), default);
        Assert.Equal(status, result.Status);
        Assert.Equal(reason, result.DenialReason);
        var record = (await h.Store.ReadAsync<PrivacyRequestRecord>(Containers.Requests, "req-answered", PrivacyRequestRecord.DocumentId))!.Document;
        Assert.DoesNotContain(record.Steps, s => s.Name == "not-answered-by-due-date");
        if (outcome == "declined")
        {
            Assert.Contains("the lease names unit u-1", record.Outcome!.Summary, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Escalation_records_its_step_once_and_answers_the_due_date_to_wait_for()
    {
        await using var h = await PipelineHarness.StartAsync();
        await CorrectionAsync(h, "req-late");
        var work = h.Get<RequestWork>();
        var due = await work.EscalateCorrectionAsync("req-late", default);
        await work.EscalateCorrectionAsync("req-late", default);
        var record = (await h.Store.ReadAsync<PrivacyRequestRecord>(Containers.Requests, "req-late", PrivacyRequestRecord.DocumentId))!.Document;
        Assert.Equal(record.EffectiveDueAt.UtcDateTime, due);
        Assert.Single(record.Steps, s => s.Name == "escalated");
    }

    private static async Task CorrectionAsync(PipelineHarness h, string requestId)
    {
        var now = h.Clock.GetUtcNow();
        await Retention.DeletionPathTests.ResidentAsync(h, "r-cor", movedOut: false);
        await h.Store.CreateAsync(Containers.Requests, requestId, PrivacyRequestRecord.DocumentId, new PrivacyRequestRecord
        {
            RequestId = requestId, Type = RequestType.Correction, Jurisdiction = "california", Channel = "app", SubjectId = "r-cor",
            ReceivedAt = now, AcknowledgeBy = now.AddDays(10), DueAt = now.AddDays(45), Status = RequestStatus.AwaitingPropertyManagement,
            Correction = new CorrectionInput("unit", "u-9", null),
        });
    }
}
