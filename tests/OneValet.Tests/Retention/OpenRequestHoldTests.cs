using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Retention;

/// <summary>
/// Open requests in both directions (O6, O9; PIPEDA s.8(8), s.11(3)): an access request holds the person's data from its
/// receipt until its answer plus the recourse period of its jurisdiction; a deletion filed meanwhile waits for the answer
/// and then runs (it is never closed as done with nothing deleted because of it), ending the recourse hold that is the
/// person's own to end. In-process on real Azurite and SQLite with a fake clock.
/// </summary>
public sealed class OpenRequestHoldTests
{
    [Fact]
    public async Task A_deletion_filed_while_the_persons_access_request_is_open_waits_then_runs_and_ends_the_recourse_hold()
    {
        await using var h = await PipelineHarness.StartAsync();
        var start = h.Clock.GetUtcNow();
        const string subject = "r-both";
        await DeletionPathTests.ResidentAsync(h, subject, movedOut: false);
        await DeletionPathTests.DoorEventAsync(h, subject, "e-1", "lobby", start.AddHours(-1));
        await DeletionPathTests.OpenAccessRequestAsync(h, "req-acc", subject);
        await OpenRequestAsync(h, "req-del", RequestType.Deletion, "canada", subject, TimeSpan.FromDays(30));
        var service = h.Get<PrivacyRequestService>();

        // Waiting: the deletion looks again after the poll interval, and its status says why nothing happens yet.
        var next = await service.AwaitOpenAccessAsync("req-del", default);
        Assert.Equal((start + new RequestOptions().DeletionWaitPoll).UtcDateTime, next);
        Assert.Equal(next, await service.AwaitOpenAccessAsync("req-del", default));
        var steps = (await RecordAsync(h, "req-del")).Steps.Where(s => s.Name == "waiting-for-access-request").ToList();
        Assert.Equal("waiting", Assert.Single(steps).Status);

        // Another person's open access request does not make it wait.
        await DeletionPathTests.OpenAccessRequestAsync(h, "req-other", "r-someone-else");
        await OpenRequestAsync(h, "req-del-2", RequestType.Deletion, "canada", "r-third", TimeSpan.FromDays(30));
        Assert.Null(await service.AwaitOpenAccessAsync("req-del-2", default));

        // The access request is answered a week later: a recourse hold of six months replaces the open request's hold.
        h.Clock.Advance(TimeSpan.FromDays(7));
        var answered = h.Clock.GetUtcNow();
        await service.CloseAsync(new RequestClose("req-acc", RequestStatus.Completed, null), default);
        var recourse = Assert.Single(await h.Get<HoldRegistry>().ActiveAsync(default), x => x.Id == HoldRegistry.RecoursePrefix + "req-acc").Document;
        Assert.Equal(subject, recourse.Scope.SubjectId);
        Assert.Equal(HoldReason.OpenRequest, recourse.Reason);
        Assert.Equal(answered + TimeSpan.FromDays(183), recourse.Until);
        Assert.Contains(await h.AuditsAsync(), a => a.Action == "hold-placed" && a.ItemRef == "holds/" + recourse.HoldId);

        // Then the deletion goes on, and deletes: the person's own request ends the hold kept for their recourse.
        Assert.Null(await service.AwaitOpenAccessAsync("req-del", default));
        Assert.Equal(["waiting", "done"], (await RecordAsync(h, "req-del")).Steps.Where(s => s.Name == "waiting-for-access-request").Select(s => s.Status));
        var work = await h.Get<RequestWork>().RunAsync("req-del", default);
        Assert.Equal(RequestStatus.Completed, work.Status);
        var outcome = (await RecordAsync(h, "req-del")).Outcome!;
        Assert.Contains("hardware usage: door events: 1", outcome.Deleted);
        Assert.DoesNotContain(outcome.Kept, k => k.Reason.Contains("open request", StringComparison.OrdinalIgnoreCase));
        Assert.Null(await h.Store.ReadAsync<DoorEventRecord>(Containers.DoorEvents, subject, "e-1"));
        Assert.DoesNotContain(await h.Get<HoldRegistry>().ActiveAsync(default), x => x.Id == recourse.HoldId);
        var released = Assert.Single(await h.AuditsAsync(), a => a.Action == "hold-released" && a.ItemRef == "holds/" + recourse.HoldId);
        Assert.Equal("ended-by-the-persons-deletion-request", released.ReasonCode);
    }

    [Fact]
    public async Task The_recourse_hold_keeps_the_data_past_its_deadline_after_the_answer_and_lets_it_go_when_the_period_ends()
    {
        await using var h = await PipelineHarness.StartAsync();
        var start = h.Clock.GetUtcNow();
        const string subject = "r-recourse";
        await DeletionPathTests.ResidentAsync(h, subject, movedOut: false);

        // A door event whose 90-day deadline falls 10 days from now (O4).
        await DeletionPathTests.DoorEventAsync(h, subject, "e-old", "lobby", start.AddDays(-80), schedule: true);
        await DeletionPathTests.OpenAccessRequestAsync(h, "req-ca", subject);
        h.Clock.Advance(TimeSpan.FromDays(5));
        await h.Get<PrivacyRequestService>().CloseAsync(new RequestClose("req-ca", RequestStatus.Completed, null), default);

        // Past the deadline, the answered request still holds it (PIPEDA s.8(8)) ...
        h.Clock.Advance(TimeSpan.FromDays(10));
        var sweep = h.Get<RetentionSweep>();
        await sweep.EnforceDueAsync(default);
        Assert.NotNull(await h.Store.ReadAsync<DoorEventRecord>(Containers.DoorEvents, subject, "e-old"));
        Assert.Contains(await Audits.AroundAsync(h.Store, start.AddDays(10)), a => a.Action == "held" && a.Holds!.Contains(HoldRegistry.RecoursePrefix + "req-ca"));

        // ... one day before the period ends, still; the day after, the hold keeps nothing and the sweep deletes it.
        h.Clock.Advance(TimeSpan.FromDays(183 - 10 - 1));
        await sweep.EnforceDueAsync(default);
        Assert.NotNull(await h.Store.ReadAsync<DoorEventRecord>(Containers.DoorEvents, subject, "e-old"));
        h.Clock.Advance(TimeSpan.FromDays(2));
        Assert.DoesNotContain(await h.Get<HoldRegistry>().ActiveAsync(default), x => x.Id == HoldRegistry.RecoursePrefix + "req-ca");
        await sweep.EnforceDueAsync(default);
        Assert.Null(await h.Store.ReadAsync<DoorEventRecord>(Containers.DoorEvents, subject, "e-old"));
    }

    [Theory]
    [InlineData("california", RequestStatus.Completed, false)]
    [InlineData("new-york", RequestStatus.Completed, false)]
    [InlineData("canada", RequestStatus.Denied, true)]
    [InlineData("canada", RequestStatus.Unverified, false)]
    public async Task Only_a_jurisdiction_with_a_recourse_rule_and_an_answer_or_refusal_leaves_a_recourse_hold(string jurisdiction, RequestStatus status, bool hold)
    {
        await using var h = await PipelineHarness.StartAsync();
        await OpenRequestAsync(h, "req-x", RequestType.Access, jurisdiction, "r-x", TimeSpan.FromDays(45));
        await h.Get<PrivacyRequestService>().CloseAsync(new RequestClose("req-x", status, status == RequestStatus.Denied ? "manifestly-unfounded" : null), default);
        Assert.Equal(hold, (await h.Get<HoldRegistry>().ActiveAsync(default)).Any(x => x.Id == HoldRegistry.RecoursePrefix + "req-x"));
    }

    /// <summary>
    /// O4, O6, D1 (PIPEDA s.8(5), s.11(3)): an access request nobody answers (its orchestration failed, or never started) is
    /// refused by silence at its due date; its hold ends where an answer given then would have left it, the due date (an
    /// extension moves it) plus the jurisdiction's recourse period, and the sweep deletes what it kept, TDPA data included,
    /// although the request is still open. Before the fix the hold lasted as long as the request stayed open: for ever.
    /// </summary>
    [Theory]
    [InlineData("california", 45, 0, 0)]
    [InlineData("california", 45, 45, 0)]
    [InlineData("canada", 30, 0, 183)]
    public async Task An_access_request_left_open_past_its_due_date_holds_the_persons_data_no_longer_than_an_answer_on_that_date_would(
        string jurisdiction, int dueDays, int extensionDays, int recourseDays)
    {
        await using var h = await PipelineHarness.StartAsync();
        var start = h.Clock.GetUtcNow();
        const string subject = "r-unanswered";
        await DeletionPathTests.ResidentAsync(h, subject, movedOut: false);

        // A door event whose 90-day deadline falls 10 days from now (O4), and an access request that is never answered.
        await DeletionPathTests.DoorEventAsync(h, subject, "e-kept", "lobby", start.AddDays(-80), schedule: true);
        await OpenRequestAsync(h, "req-silent", RequestType.Access, jurisdiction, subject, TimeSpan.FromDays(dueDays), TimeSpan.FromDays(extensionDays));
        var holdEnds = start + TimeSpan.FromDays(dueDays + extensionDays + recourseDays);
        var hold = Assert.Single(await h.Get<HoldRegistry>().OpenRequestHoldsAsync(default));
        Assert.Equal(holdEnds, hold.Until);

        // Past the item's deadline, and up to a day before the hold's end, it is kept: the request is open (PIPEDA s.8(8)).
        var sweep = h.Get<RetentionSweep>();
        h.Clock.Advance(TimeSpan.FromDays(11));
        await sweep.EnforceDueAsync(default);
        Assert.NotNull(await h.Store.ReadAsync<DoorEventRecord>(Containers.DoorEvents, subject, "e-kept"));
        h.Clock.Advance(holdEnds - h.Clock.GetUtcNow() - TimeSpan.FromDays(1));
        await sweep.EnforceDueAsync(default);
        Assert.NotNull(await h.Store.ReadAsync<DoorEventRecord>(Containers.DoorEvents, subject, "e-kept"));

        // A day after it, the request is still open, yet it holds nothing and the sweep deletes the event, audited.
        h.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Empty(await h.Get<HoldRegistry>().OpenRequestHoldsAsync(default));
        Assert.False((await RecordAsync(h, "req-silent")).Closed);
        await sweep.EnforceDueAsync(default);
        Assert.Null(await h.Store.ReadAsync<DoorEventRecord>(Containers.DoorEvents, subject, "e-kept"));
        Assert.Contains(await Audits.AroundAsync(h.Store, start.AddDays(10)), a => a.Action == "deleted" && a.Outcome == "completed" && a.RuleId == "tdpa-authentication-90d" && a.DoneAt > holdEnds);
    }

    [Fact]
    public async Task A_deletion_never_waits_into_the_last_day_before_its_own_due_date()
    {
        await using var h = await PipelineHarness.StartAsync();
        await DeletionPathTests.OpenAccessRequestAsync(h, "req-acc", "r-late");
        await OpenRequestAsync(h, "req-del", RequestType.Deletion, "california", "r-late", TimeSpan.FromDays(3));
        var service = h.Get<PrivacyRequestService>();
        var next = await service.AwaitOpenAccessAsync("req-del", default);
        Assert.NotNull(next);

        // Two days on, the last look is a day before due at the latest; from then the deletion runs, and what the open
        // request still holds is kept and listed (and deleted by itself once that request is answered).
        h.Clock.Advance(TimeSpan.FromDays(2) - TimeSpan.FromMinutes(5));
        var last = await service.AwaitOpenAccessAsync("req-del", default);
        Assert.Equal((h.Clock.GetUtcNow() + TimeSpan.FromMinutes(5)).UtcDateTime, last);
        h.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(await service.AwaitOpenAccessAsync("req-del", default));
    }

    [Fact]
    public async Task An_item_a_request_deleted_early_is_audited_at_its_own_deadline_as_deleted_earlier_not_as_re_enforced()
    {
        await using var h = await PipelineHarness.StartAsync();
        var start = h.Clock.GetUtcNow();
        const string subject = "r-early";
        await DeletionPathTests.ResidentAsync(h, subject, movedOut: true);
        await DeletionPathTests.DoorEventAsync(h, subject, "e-early", "lobby", start.AddDays(-89), schedule: true);
        await OpenRequestAsync(h, "req-early", RequestType.Deletion, "california", subject, TimeSpan.FromDays(45));
        await h.Get<RequestWork>().RunAsync("req-early", default);
        Assert.Null(await h.Store.ReadAsync<DoorEventRecord>(Containers.DoorEvents, subject, "e-early"));

        // Its own 90-day deadline comes a day later: the sweep closes its entry with the truth (O4, O9).
        h.Clock.Advance(TimeSpan.FromDays(2));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        var deadline = start.AddDays(1);
        var audit = Assert.Single(await Audits.AroundAsync(h.Store, deadline), a => a.Action == "deleted" && a.Outcome == "completed" && a.RuleId == "tdpa-authentication-90d");
        Assert.DoesNotContain("re-enforced", audit.How, StringComparison.Ordinal);
        Assert.Contains("deleted earlier", audit.How, StringComparison.Ordinal);
        Assert.Contains("deletion-request", audit.How, StringComparison.Ordinal);
        Assert.True(audit.LagSeconds < 0, "an item gone before its deadline shows as early");
    }

    private static async Task<PrivacyRequestRecord> RecordAsync(PipelineHarness h, string requestId) =>
        (await h.Store.ReadAsync<PrivacyRequestRecord>(Containers.Requests, requestId, PrivacyRequestRecord.DocumentId))!.Document;

    private static async Task OpenRequestAsync(PipelineHarness h, string requestId, RequestType type, string jurisdiction, string subject, TimeSpan due, TimeSpan extension = default)
    {
        var now = h.Clock.GetUtcNow();
        await h.Store.CreateAsync(Containers.Requests, requestId, PrivacyRequestRecord.DocumentId, new PrivacyRequestRecord
        {
            RequestId = requestId, Type = type, Jurisdiction = jurisdiction, Channel = "app", SubjectId = subject,
            ReceivedAt = now, AcknowledgeBy = now.AddDays(10), DueAt = now + due, Status = RequestStatus.InProgress,
            ExtendedDueAt = extension > TimeSpan.Zero ? now + due + extension : null,
        });
        await h.Store.UpsertAsync(Containers.Requests, "open", requestId, new RequestIndexEntry(requestId, type, now, now + due, nameof(RequestStatus.InProgress)));
    }
}
