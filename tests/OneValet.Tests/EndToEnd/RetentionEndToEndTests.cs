using System.Net;
using System.Text.Json;
using Azure.Storage.Blobs;
using OneValet.Client;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;
using Models = OneValet.Client.Models;

namespace OneValet.Tests.EndToEnd;

/// <summary>
/// Step 2 end to end on the real local host with durations of seconds (O3–O7): the bucket timers delete promptly on
/// their own, the sweep alone deletes when no timer runs, a hold keeps and its release deletes, re-consent cancels the
/// reference-data deadline, and a kill -9 in the middle of a sweep never leaves an item gone without its audit entry.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class RetentionEndToEndTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(40);

    /// <summary>Timers only: the sweep runs once at start and then not for 30 minutes.</summary>
    private static readonly Dictionary<string, string> TimerPath = new()
    {
        ["OneValet:Retention:SurveillanceFootage"] = "00:00:05",
        ["OneValet:Retention:AuthenticationData"] = "00:00:05",
        ["OneValet:Retention:ReferenceDataAfterExit"] = "00:00:05",
        ["OneValet:Retention:BucketWidth"] = "00:00:01",
        ["OneValet:Retention:PlanInterval"] = "00:00:01",
        ["OneValet:Retention:PlanningHorizon"] = "00:02:00",
        ["OneValet:Retention:SweepInterval"] = "00:30:00",
    };

    /// <summary>No timers after start (the planner waits 59 minutes): only the sweep, every 2 s, deletes.</summary>
    private static readonly Dictionary<string, string> SweepPath = new()
    {
        ["OneValet:Retention:SurveillanceFootage"] = "00:00:04",
        ["OneValet:Retention:AuthenticationData"] = "00:00:04",
        ["OneValet:Retention:BucketWidth"] = "00:00:01",
        ["OneValet:Retention:PlanInterval"] = "00:59:00",
        ["OneValet:Retention:PlanningHorizon"] = "01:00:00",
        ["OneValet:Retention:SweepInterval"] = "00:00:02",
    };

    [Fact]
    public async Task Bucket_timers_delete_recordings_and_door_events_promptly_with_an_audit_entry_each()
    {
        await using var host = await StartAsync("timers", TimerPath);
        var container = Container(host.RecordingsContainer);
        var now = DateTimeOffset.UtcNow;

        // A console vouches only for residents of its building: r-7 lives in b-t.
        var manager = await host.ManagerApiAsync("b-t");
        await ApiAssert.AnswersAsync(HttpStatusCode.Created, s => manager.Api.Residents["r-7"].PutAsync(
            new Models.ResidentInput { BuildingId = "b-t", UnitId = "u-1", MovedInAt = now.AddYears(-1), Email = "r-7@retention.test" }, c => c.Options.Add(s)));
        for (var i = 0; i < 4; i++)
        {
            await Hardware.UploadAsync(container, $"b-t/door-1/c-{i}.mp4", Hardware.Mp4(10_000, seed: i), Hardware.Metadata(now));
        }

        var device = await host.DeviceApiAsync("console-1", "b-t", "door-1");
        await ApiAssert.AnswersAsync(HttpStatusCode.Accepted, s => device.Api.Buildings["b-t"].DoorEvents.PostAsync(new Models.DoorEventBatch
        {
            Events =
            [
                new Models.DoorEventBatch_events { EventId = "e-1", DoorId = "door-1", Method = Models.DoorEventBatch_events_method.Fob, SubjectId = "r-7", At = now, Granted = true },
                new Models.DoorEventBatch_events { EventId = "e-2", DoorId = "door-1", Method = Models.DoorEventBatch_events_method.Face, At = now, Granted = false },
            ],
        }, c => c.Options.Add(s)));

        var store = host.OpenStore();
        await WaitUntilAsync(async () =>
        {
            for (var i = 0; i < 4; i++)
            {
                if (await store.ReadAsync<RecordingRecord>(Containers.Recordings, "b-t", $"door-1_c-{i}") is not null)
                {
                    return false;
                }
            }

            return await store.ReadAsync<DoorEventRecord>(Containers.DoorEvents, "r-7", "e-1") is null
                && await store.ReadAsync<DoorEventRecord>(Containers.DoorEvents, DoorEventRecord.PartitionFor(null, "b-t"), "e-2") is null;
        }, host);

        for (var i = 0; i < 4; i++)
        {
            Assert.False((await container.GetBlobClient($"b-t/door-1/c-{i}.mp4").ExistsAsync()).Value);
        }

        var audits = (await Audits.AroundAsync(store, now)).Where(a => a.Action == "deleted").ToList();
        Assert.Equal(6, audits.Count);
        Assert.All(audits, a =>
        {
            Assert.Equal("completed", a.Outcome);
            Assert.InRange(a.LagSeconds!.Value, -1, 10);
            Assert.NotNull(a.Deadline);
            Assert.NotNull(a.RuleId);
        });
        Assert.Equal(2, audits.Count(a => a.Obligation == "O4"));
        Assert.Equal(4, audits.Count(a => a.Obligation == "O2"));
    }

    /// <summary>
    /// Deletion lag for every item (O2, O7): after start the planner and the sweep wait an hour, so only what ingestion
    /// does can delete in time. A clip with a 20-second rule gets its bucket's timer at ingestion; a clip uploaded already
    /// past its deadline is enforced at once. Both within seconds, each with its audit entry.
    /// </summary>
    [Fact]
    public async Task Items_due_before_the_planners_next_pass_are_timed_at_ingestion_and_items_already_due_go_at_once()
    {
        await using var host = await StartAsync("prompt", new Dictionary<string, string>
        {
            ["OneValet:Retention:SurveillanceFootage"] = "00:00:20",
            ["OneValet:Retention:BucketWidth"] = "00:00:01",
            ["OneValet:Retention:PlanInterval"] = "00:59:00",
            ["OneValet:Retention:PlanningHorizon"] = "01:00:00",
            ["OneValet:Retention:SweepInterval"] = "00:59:00",
        });
        await Task.Delay(TimeSpan.FromSeconds(3)); // the passes at start are over
        var container = Container(host.RecordingsContainer);
        var now = DateTimeOffset.UtcNow;
        await Hardware.UploadAsync(container, "b-p/door-1/fresh.mp4", Hardware.Mp4(10_000, seed: 1), Hardware.Metadata(now));
        await Hardware.UploadAsync(container, "b-p/door-1/late.mp4", Hardware.Mp4(10_000, seed: 2), Hardware.Metadata(now.AddSeconds(-90)));
        var store = host.OpenStore();
        await WaitUntilAsync(async () => (await Audits.AroundAsync(store, now)).Any(a => a.Action == "deleted" && a.Outcome == "completed" && a.ItemRef!.Contains("late", StringComparison.Ordinal)), host, TimeSpan.FromSeconds(15));
        Assert.True(DateTimeOffset.UtcNow - now < TimeSpan.FromSeconds(15), "the late clip waited for a pass");
        await WaitUntilAsync(async () => await store.ReadAsync<RecordingRecord>(Containers.Recordings, "b-p", "door-1_fresh") is null, host, TimeSpan.FromSeconds(45));
        Assert.False((await container.GetBlobClient("b-p/door-1/fresh.mp4").ExistsAsync()).Value);
        // The goal (O7): at most 60 s. An idle task hub polls its queues less often (the Azure Storage provider backs off to
        // 30 s), which is most of the lag here; the planner never ran, so the timer can only be the one ingestion started.
        var fresh = Assert.Single(await Audits.AroundAsync(store, now), a => a.Action == "deleted" && a.Outcome == "completed" && a.ItemRef!.Contains("fresh", StringComparison.Ordinal));
        Assert.InRange(fresh.LagSeconds!.Value, -1, 60);
    }

    [Fact]
    public async Task With_no_timer_the_sweep_alone_deletes_what_is_due()
    {
        await using var host = await StartAsync("sweep", SweepPath);
        var container = Container(host.RecordingsContainer);
        await Task.Delay(1000);
        await Hardware.UploadAsync(container, "b-s/door-1/c-0.jpg", Hardware.Jpeg(10_000), Hardware.Metadata(DateTimeOffset.UtcNow, kind: "facial-entry"));
        await host.WaitForAsync(api => api.Api.Recordings["b-s"]["door-1"]["c-0"].GetAsync(), Wait);
        var store = host.OpenStore();
        // The record goes before the audit entry is completed (started, blob, record, completed): wait for the completion.
        await WaitUntilAsync(async () => await store.ReadAsync<RecordingRecord>(Containers.Recordings, "b-s", "door-1_c-0") is null
            && (await Audits.AroundAsync(store, DateTimeOffset.UtcNow)).Any(a => a.Action == "deleted" && a.Outcome == "completed"), host);
        var audit = Assert.Single(await Audits.AroundAsync(store, DateTimeOffset.UtcNow), a => a.Action == "deleted");
        Assert.Equal("O4", audit.Obligation);
        Assert.InRange(audit.LagSeconds!.Value, -1, 8);
    }

    [Fact]
    public async Task A_hold_keeps_items_past_their_deadline_and_its_release_deletes_them_within_seconds()
    {
        await using var host = await StartAsync("holds", TimerPath);
        var now = DateTimeOffset.UtcNow;
        var hold = await ApiAssert.AnswersAsync(HttpStatusCode.Created, s => host.Api.Api.Holds.PostAsync(new Models.HoldInput
        {
            Reason = Models.HoldInput_reason.FraudOrIllegalActivity,
            Scope = new Models.HoldInput_scope { BuildingId = "b-h", From = now.AddMinutes(-5), To = now.AddMinutes(5) },
            Owner = "privacy.office@example.com",
            ReviewBy = now.AddDays(14),
            Note = "case 2026-114",
        }, c => c.Options.Add(s)));

        var container = Container(host.RecordingsContainer);
        await Hardware.UploadAsync(container, "b-h/door-1/kept.mp4", Hardware.Mp4(10_000), Hardware.Metadata(now));
        await Hardware.UploadAsync(container, "b-x/door-1/gone.mp4", Hardware.Mp4(10_000), Hardware.Metadata(now));
        var store = host.OpenStore();
        await WaitUntilAsync(async () => await store.ReadAsync<RecordingRecord>(Containers.Recordings, "b-x", "door-1_gone") is null
            && (await host.Api.Api.Holds[hold.HoldId!].GetAsync())!.ItemsHeld == 1, host);
        Assert.NotNull(await store.ReadAsync<RecordingRecord>(Containers.Recordings, "b-h", "door-1_kept"));
        Assert.True((await container.GetBlobClient("b-h/door-1/kept.mp4").ExistsAsync()).Value);
        var active = await host.Api.Api.Holds.GetAsync();
        Assert.Contains(active!, h => h.HoldId == hold.HoldId);

        await ApiAssert.AnswersAsync(HttpStatusCode.OK, s => host.Api.Api.Holds[hold.HoldId!].DeleteAsync(c => c.Options.Add(s)));
        await WaitUntilAsync(async () => await store.ReadAsync<RecordingRecord>(Containers.Recordings, "b-h", "door-1_kept") is null, host, TimeSpan.FromSeconds(20));
        Assert.False((await container.GetBlobClient("b-h/door-1/kept.mp4").ExistsAsync()).Value);
        var actions = (await Audits.AroundAsync(store, now)).Select(a => a.Action).ToList();
        Assert.Contains("hold-placed", actions);
        Assert.Contains("hold-released", actions);
        Assert.Contains("held", actions);
    }

    [Fact]
    public async Task Withdrawal_sets_the_reference_deadline_re_consent_deletes_the_ended_enrollment_and_a_second_withdrawal_deletes_the_new_one()
    {
        await using var host = await StartAsync("consent", TimerPath);
        var tenant = await host.ResidentApiAsync("r-42", "b-c", "u-1");
        var manager = await host.ManagerApiAsync("b-c");
        await ApiAssert.AnswersAsync(HttpStatusCode.Created, s => manager.Api.Residents["r-42"].PutAsync(
            new Models.ResidentInput { BuildingId = "b-c", UnitId = "u-1", MovedInAt = DateTimeOffset.UtcNow.AddYears(-1), Email = "tenant@example.com", Name = "A Tenant" }, c => c.Options.Add(s)));

        await ConsentAsync(tenant);
        var store = host.OpenStore();
        await store.UpsertAsync(Containers.Residents, "r-42", FacialEnrollmentRecord.DocumentId, new FacialEnrollmentRecord { ResidentId = "r-42", BuildingId = "b-c", EnrolledAt = DateTimeOffset.UtcNow });

        var resident = await ApiAssert.AnswersAsync(HttpStatusCode.OK, s => tenant.Api.Residents["r-42"].Consents.FacialEntry.DeleteAsync(c => c.Options.Add(s)));
        Assert.False(resident.FacialEntryActive);
        Assert.NotNull(resident.ReferenceDataDeadline);

        // The withdrawal ended the enrollment at once (O3); re-consent does not revive it: its remains are deleted then,
        // audited, and the deadline is cancelled with nothing left to delete. Re-consent means enrolling again.
        Assert.NotNull((await store.ReadAsync<FacialEnrollmentRecord>(Containers.Residents, "r-42", FacialEnrollmentRecord.DocumentId))!.Document.EndedAt);
        await ConsentAsync(tenant);
        var again = (await host.Api.Api.Residents["r-42"].GetAsync())!;
        Assert.True(again.FacialEntryActive);
        Assert.Null(again.ReferenceDataDeadline);
        Assert.Equal(["given", "withdrawn", "given"], again.FacialEntry!.History!.Select(h => h.Action));
        Assert.Null(await store.ReadAsync<FacialEnrollmentRecord>(Containers.Residents, "r-42", FacialEnrollmentRecord.DocumentId));
        Assert.Contains(await Audits.AroundAsync(store, DateTimeOffset.UtcNow), a => a.Action == "deleted" && a.RuleId == "facial-enrollment-ended-before-reconsent" && a.Outcome == "completed");

        // Enrolled again (written as enrollment would): the cancelled deadline does not touch the new enrollment.
        await store.UpsertAsync(Containers.Residents, "r-42", FacialEnrollmentRecord.DocumentId, new FacialEnrollmentRecord { ResidentId = "r-42", BuildingId = "b-c", EnrolledAt = DateTimeOffset.UtcNow });
        await Task.Delay(TimeSpan.FromSeconds(8));
        Assert.NotNull(await store.ReadAsync<FacialEnrollmentRecord>(Containers.Residents, "r-42", FacialEnrollmentRecord.DocumentId));

        await ApiAssert.AnswersAsync(HttpStatusCode.OK, s => tenant.Api.Residents["r-42"].Consents.FacialEntry.DeleteAsync(c => c.Options.Add(s)));

        await WaitUntilAsync(async () => await store.ReadAsync<FacialEnrollmentRecord>(Containers.Residents, "r-42", FacialEnrollmentRecord.DocumentId) is null, host);
        var deletion = Assert.Single(await Audits.AroundAsync(store, DateTimeOffset.UtcNow), a => a.Action == "deleted" && a.ItemRef == "facialEnrollment/r-42/facial-enrollment/0");
        Assert.Equal("O5", deletion.Obligation);

        // Moved out: no new consent (no reference data from non-tenants).
        await ApiAssert.AnswersAsync(HttpStatusCode.OK, s => manager.Api.Residents["r-42"].MoveOut.PostAsync(new Models.MoveOutInput(), c => c.Options.Add(s)));
        await ApiAssert.RefusedAsync(HttpStatusCode.Conflict, null, () => ConsentAsync(tenant));
    }

    [Fact]
    public async Task Kill_9_during_a_sweep_leaves_no_item_deleted_without_its_audit_entry_and_the_rerun_finishes()
    {
        var settings = new Dictionary<string, string>(SweepPath) { ["OneValet:Retention:SurveillanceFootage"] = "00:00:06", ["OneValet:Retention:BatchSize"] = "10" };
        var host = await StartAsync("kill-sweep", settings);
        var container = Container(host.RecordingsContainer);
        const int count = 120;
        var now = DateTimeOffset.UtcNow;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            await Hardware.UploadAsync(container, $"b-k/door-1/c-{i}.mp4", Hardware.Mp4(4_000, seed: i), Hardware.Metadata(now)));
        var store = host.OpenStore();
        await WaitUntilAsync(async () => (await CountAsync(store, "b-k")) == count, host);

        // Kill as soon as the sweep has deleted some and not all.
        await WaitUntilAsync(async () => (await CountAsync(store, "b-k")) < count, host);
        await host.KillAsync();
        var remaining = await CountAsync(store, "b-k");
        var audits = (await Audits.AroundAsync(store, now)).Where(a => a.Action == "deleted").ToDictionary(a => a.ItemRef);
        for (var i = 0; i < count; i++)
        {
            if (await store.ReadAsync<RecordingRecord>(Containers.Recordings, "b-k", $"door-1_c-{i}") is null)
            {
                Assert.True(audits.ContainsKey($"recordingVersion/b-k/door-1_c-{i}/1"), $"c-{i} is gone without an audit entry");
            }
        }

        var restarted = new LocalHostProcess(host.Name, host.Settings);
        await using (restarted)
        {
            LocalHostProcess.Reuse(restarted, host);
            await restarted.StartAsync();
            await WaitUntilAsync(async () => await CountAsync(store, "b-k") == 0, restarted);
            var final = (await Audits.AroundAsync(store, now)).Where(a => a.Action == "deleted").ToList();
            Assert.Equal(count, final.Count);
            Assert.All(final, a => Assert.Equal("completed", a.Outcome));
            for (var i = 0; i < count; i++)
            {
                Assert.False((await container.GetBlobClient($"b-k/door-1/c-{i}.mp4").ExistsAsync()).Value);
            }
        }

        await host.DisposeAsync();
        Assert.InRange(remaining, 1, count - 1);
    }

    private static async Task<int> CountAsync(IRecordStore store, string building)
    {
        var total = 0;
        string? continuation = null;
        do
        {
            var page = await store.QueryAsync<RecordingRecord>(Containers.Recordings, building, RecordQuery.All, 200, continuation);
            total += page.Items.Count;
            continuation = page.Continuation;
        }
        while (continuation is not null);
        return total;
    }

    private static Task<Models.ResidentRecord> ConsentAsync(OneValetClient tenant) => ApiAssert.AnswersAsync(HttpStatusCode.OK, s =>
        tenant.Api.Residents["r-42"].Consents.FacialEntry.PostAsync(new Models.ConsentInput { PolicyVersion = "2022-06-29" }, c => c.Options.Add(s)));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, LocalHostProcess host, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Wait);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out; host output:\n" + host.Output);
            await Task.Delay(100);
        }
    }

    private static async Task<LocalHostProcess> StartAsync(string name, Dictionary<string, string> settings)
    {
        await AzuriteFixture.EnsureRunningAsync();
        var host = new LocalHostProcess(name, settings);
        await host.StartAsync();
        return host;
    }

    private static BlobContainerClient Container(string name) => new BlobServiceClient(AzuriteFixture.ConnectionString).GetBlobContainerClient(name);
}
