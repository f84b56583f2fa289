using System.Text.Json;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;
using static OneValet.Tests.Retention.RetentionEngineTests;

namespace OneValet.Tests.Retention;

/// <summary>
/// Issue 14, item 3 (O7, O9): a resident's identifiers are minimized on their own rule after move-out, not only on a
/// request, by the sweep through the one deletion path (holds first). Property management's lease and a legal obligation
/// are the exceptions the policy allows (O9), as holds that keep the identifiers and nothing else. The audit says what was
/// done under which rule and holds no personal data. In-process on SQLite and Azurite with a fake clock.
/// </summary>
public sealed class ResidentsAfterMoveOutTests
{
    private const string Email = "morgan.leaver@example.com";
    private const string Name = "Morgan Leaver";
    private const string Phone = "+1 212 555 0147";

    private static readonly Dictionary<string, string?> TenDayRule = new() { ["OneValet:Retention:ResidentIdentifiersAfterMoveOut"] = "10.00:00:00" };

    [Fact]
    public async Task A_resident_moved_out_past_the_rule_is_minimized_by_the_sweep_and_the_audit_holds_no_personal_data()
    {
        await using var h = await PipelineHarness.StartAsync(TenDayRule);
        var movedOut = await MoveInAndOutAsync(h, "r-m1");
        var resident = await ReadAsync(h, "r-m1");
        Assert.Equal(movedOut + TimeSpan.FromDays(10), resident.IdentifiersDeadline);

        // A day before the deadline the sweep leaves them: the rule, not the move-out, decides.
        h.Clock.Advance(TimeSpan.FromDays(9));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.Equal(Email, (await ReadAsync(h, "r-m1")).Email);

        h.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(2));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        var minimized = await ReadAsync(h, "r-m1");
        Assert.Equal(ResidentRecord.AnonymizedEmail, minimized.Email);
        Assert.Null(minimized.Name);
        Assert.Null(minimized.Phone);
        Assert.Equal(("r-m1", "b-move", "u-9"), (minimized.ResidentId, minimized.BuildingId, minimized.UnitId)); // the pseudonymous record stays
        Assert.Null(await h.Get<OneValet.Pipeline.Requests.PrivacyRequestService>().FindSubjectAsync(new OneValet.Pipeline.Requests.SubjectInput(null, Email, "b-move"), default));

        var audits = (await h.AuditsAsync()).Concat(await Audits.AroundAsync(h.Store, movedOut)).ToList();
        var done = Assert.Single(audits, a => a.ItemRef == "residentIdentifiers/r-m1/profile/0" && a.Outcome == "completed");
        Assert.Equal("resident-identifiers-after-move-out-10d", done.RuleId);
        Assert.Equal("O7", done.Obligation);
        Assert.Equal(movedOut + TimeSpan.FromDays(10), done.Deadline);
        var trail = JsonSerializer.Serialize(audits, ApiJson.Options);
        foreach (var personal in new[] { Email, "morgan", "Leaver", Phone, "2125550147", "example.com" })
        {
            Assert.DoesNotContain(personal, trail, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData(HoldReason.LeaseContract)]
    [InlineData(HoldReason.LegalObligation)]
    [InlineData(HoldReason.SecurityIncident)]
    public async Task A_held_resident_keeps_their_identifiers_past_the_rule_until_the_hold_is_released(HoldReason reason)
    {
        await using var h = await PipelineHarness.StartAsync(TenDayRule);
        var movedOut = await MoveInAndOutAsync(h, "r-held");
        await h.Get<HoldRegistry>().PlaceAsync(Hold("hold-" + reason, reason, new HoldScope { SubjectId = "r-held" }, h.Clock.GetUtcNow()), default);

        h.Clock.Advance(TimeSpan.FromDays(11));
        var swept = await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.Equal(1, swept.Held);
        var kept = await ReadAsync(h, "r-held");
        Assert.Equal((Email, Name, Phone), (kept.Email, kept.Name, kept.Phone));
        Assert.Contains(await h.AuditsAsync(), a => a.Action == "held" && a.ItemRef == "residentIdentifiers/r-held/profile/0" && a.Holds!.SequenceEqual(["hold-" + reason]));

        // Released: minimized by the next sweep, without anyone asking again.
        await h.Get<HoldRegistry>().ReleaseAsync("hold-" + reason, h.Clock.GetUtcNow(), default);
        h.Clock.Advance(TimeSpan.FromMinutes(2));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.Equal(ResidentRecord.AnonymizedEmail, (await ReadAsync(h, "r-held")).Email);
        Assert.True(movedOut < h.Clock.GetUtcNow());
    }

    [Fact]
    public async Task A_lease_contract_hold_keeps_identifiers_only_never_tdpa_authentication_data()
    {
        await using var h = await PipelineHarness.StartAsync(new Dictionary<string, string?>
        {
            ["OneValet:Retention:ResidentIdentifiersAfterMoveOut"] = "10.00:00:00",
            ["OneValet:Retention:AuthenticationData"] = "5.00:00:00",
        });
        await MoveInAndOutAsync(h, "r-lease");
        var at = h.Clock.GetUtcNow();
        await DeletionPathTestsDoorEventAsync(h, "r-lease", "e-lease", at);
        await h.Get<HoldRegistry>().PlaceAsync(Hold("hold-lease", HoldReason.LeaseContract, new HoldScope { SubjectId = "r-lease" }, at), default);

        h.Clock.Advance(TimeSpan.FromDays(11));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.Null(await h.Store.ReadAsync<DoorEventRecord>(Containers.DoorEvents, "r-lease", "e-lease")); // O4: 90 days at most, whatever the lease
        Assert.Equal(Email, (await ReadAsync(h, "r-lease")).Email); // O9: the lease keeps the identifiers
    }

    [Theory]
    [InlineData("""{"buildingId":"b-move","from":"2026-01-01T00:00:00Z","to":"2026-02-01T00:00:00Z"}""")]
    [InlineData("""{"items":["doorEvent/r-x/e-1/0"]}""")]
    public async Task A_lease_contract_hold_names_one_resident_and_nothing_else(string scope)
    {
        await using var h = await PipelineHarness.StartAsync();
        var reviewBy = RecordJson.Timestamp(h.Clock.GetUtcNow().AddDays(30));
        var answer = await InvokeAsync(ctx => h.Get<HoldsApi>().PlaceAsync(Json(ctx, $$"""
            {"reason":"lease-contract","scope":{{scope}},"owner":"office@holds.test","reviewBy":"{{reviewBy}}"}
            """), default));
        Assert.Equal(400, answer.Status);
        var ok = await InvokeAsync(ctx => h.Get<HoldsApi>().PlaceAsync(Json(ctx, $$"""
            {"reason":"lease-contract","scope":{"subjectId":"r-x"},"owner":"office@holds.test","reviewBy":"{{reviewBy}}"}
            """), default));
        Assert.Equal(201, ok.Status);
    }

    [Fact]
    public async Task Identifiers_written_again_after_move_out_go_by_the_same_deadline()
    {
        await using var h = await PipelineHarness.StartAsync(TenDayRule);
        await MoveInAndOutAsync(h, "r-again");
        h.Clock.Advance(TimeSpan.FromDays(11));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.Equal(ResidentRecord.AnonymizedEmail, (await ReadAsync(h, "r-again")).Email);

        // Property management writes the old details back: the deadline has passed, so the next sweep minimizes them again.
        await PutAsync(h, "r-again");
        Assert.Equal(Email, (await ReadAsync(h, "r-again")).Email);
        h.Clock.Advance(TimeSpan.FromMinutes(2));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.Equal(ResidentRecord.AnonymizedEmail, (await ReadAsync(h, "r-again")).Email);
    }

    private static async Task<DateTimeOffset> MoveInAndOutAsync(PipelineHarness h, string residentId)
    {
        await PutAsync(h, residentId);
        var movedOut = h.Clock.GetUtcNow();
        var answer = await InvokeAsync(ctx => h.Get<ResidentsApi>().MoveOutAsync(residentId, Json(ctx, $$"""{"movedOutAt":"{{RecordJson.Timestamp(movedOut)}}"}"""), default));
        Assert.Equal(200, answer.Status);
        return movedOut;
    }

    private static async Task PutAsync(PipelineHarness h, string residentId)
    {
        var put = await InvokeAsync(ctx => h.Get<ResidentsApi>().PutResidentAsync(residentId, Json(ctx, $$"""
            {"buildingId":"b-move","unitId":"u-9","movedInAt":"{{RecordJson.Timestamp(h.Clock.GetUtcNow().AddYears(-2))}}","email":"{{Email}}","name":"{{Name}}","phone":"{{Phone}}","jurisdiction":"new-york"}
            """), default));
        Assert.InRange(put.Status, 200, 201);
    }

    private static async Task<ResidentRecord> ReadAsync(PipelineHarness h, string residentId) =>
        (await h.Store.ReadAsync<ResidentRecord>(Containers.Residents, residentId, ResidentRecord.DocumentId))!.Document;

    private static HoldRecord Hold(string id, HoldReason reason, HoldScope scope, DateTimeOffset now) => new()
    {
        HoldId = id, Reason = reason, Scope = scope, Owner = "office@holds.test", ReviewBy = now.AddDays(60), PlacedAt = now,
    };

    private static async Task DeletionPathTestsDoorEventAsync(PipelineHarness h, string subject, string eventId, DateTimeOffset at)
    {
        var rule = h.Get<RetentionPolicy>().ForAuthenticationEvent();
        var record = new DoorEventRecord
        {
            EventId = eventId, BuildingId = "b-move", DoorId = "lobby", Method = EntryMethod.Fob, SubjectId = subject, At = at, Granted = true,
            DataCategory = "authentication-data", Purpose = "keyless entry", Retention = rule, Deadline = at + rule.Period,
        };
        await h.Get<RetentionSchedule>().AddAsync(new ScheduleEntry
        {
            Kind = ItemKind.DoorEvent, ItemPartition = subject, ItemId = eventId, SubjectId = subject, BuildingId = "b-move", EventAt = at,
            Category = record.DataCategory, Rule = rule, Deadline = record.Deadline,
        }, default);
        await h.Store.UpsertAsync(Containers.DoorEvents, subject, eventId, record);
    }
}
