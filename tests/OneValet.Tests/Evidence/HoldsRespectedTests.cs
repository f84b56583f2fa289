using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Evidence;
using OneValet.Pipeline.Retention;
using Xunit;

namespace OneValet.Tests.Evidence;

/// <summary>
/// O6:respected once deletion entries stopped naming the person (O4): a deletion proves it did not ignore a resident's hold
/// by listing it among the holds in force (<see cref="AuditRecord.HoldsInForce"/>); one done while such a hold was in force
/// that does not list it is missed, naming the hold, whatever the item. Building-and-window and item holds are still
/// matched by building, collection time and reference; an item a hold kept (its "held" entry) may not go while that hold is
/// in force; entries written before (with a subject, no list) are still matched by subject. Hand-made trails, so each case
/// a working pipeline never produces can be shown.
/// </summary>
public sealed class HoldsRespectedTests
{
    private static readonly DateTimeOffset T = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly HoldRecord Resident = Hold("hold-resident", new HoldScope { SubjectId = "r-1" }, T, T.AddDays(10));
    private static readonly HoldRecord Window = Hold("hold-window", new HoldScope { BuildingId = "b-1", From = T.AddDays(-100), To = T.AddDays(-80) }, T, T.AddDays(10));
    private static readonly HoldRecord Lease = Hold("hold-lease", new HoldScope { SubjectId = "r-1" }, T, null, HoldReason.LeaseContract);

    [Fact]
    public void A_deletion_that_does_not_list_a_residents_hold_in_force_is_missed_naming_the_hold_whatever_the_item()
    {
        AuditEntryView[] trail =
        [
            Deleted("listed", "doorEvent/b-1/e-1/0", T.AddDays(1), T.AddDays(-50), ["hold-resident", "hold-window"]),
            Deleted("unlisted", "doorEvent/b-1/e-2/0", T.AddDays(2), T.AddDays(-50), ["hold-window"]),
            Deleted("unlisted-footage", "recordingVersion/b-2/lobby_c-1/1", T.AddDays(3), T.AddDays(-20), []),
            Deleted("after-release", "doorEvent/b-1/e-3/0", T.AddDays(11), T.AddDays(-50), []),
            Deleted("before-placing", "doorEvent/b-1/e-4/0", T.AddDays(-1), T.AddDays(-50), []),
        ];
        var o6 = Respected(trail, Resident, Window, Lease);

        // Listed, or done when the hold was not in force: nothing to say (the resident hold's scope cannot be matched any
        // more, and the lease hold may keep only identifiers, O9).
        Assert.Equal(["doorEvent/b-1/e-2/0", "recordingVersion/b-2/lobby_c-1/1"], o6.Items.Select(i => i.ItemRef));
        Assert.All(o6.Items, i =>
        {
            Assert.Equal(ItemState.Missed, i.State);
            Assert.Contains("hold-resident was in force, which the deletion did not consider", i.Note, StringComparison.Ordinal);
            Assert.DoesNotContain("hold-lease", i.Note, StringComparison.Ordinal);
            Assert.Single(i.AuditIds);
        });
        Assert.Equal(LineStatus.Missed, o6.Status);
    }

    [Fact]
    public void Window_and_item_holds_are_matched_by_scope_listed_or_not_and_an_item_a_hold_kept_may_not_go_while_it_is_in_force()
    {
        var items = Hold("hold-items", new HoldScope { Items = ["doorEvent/b-1/e-9/0"] }, T, T.AddDays(10));
        AuditEntryView[] trail =
        [
            // In the window's scope, deleted while it was in force although the enforcer listed it: its Covers failed.
            Deleted("in-window", "doorEvent/b-1/e-1/0", T.AddDays(1), T.AddDays(-90), ["hold-items", "hold-resident", "hold-window"]),
            // Outside the window's scope, not listed: a building hold's scope decides, nothing to say.
            Deleted("outside-window", "doorEvent/b-1/e-2/0", T.AddDays(1), T.AddDays(-50), ["hold-items", "hold-resident"]),
            // Listed by reference in an item hold, deleted while it was in force although the enforcer listed the hold.
            Deleted("legacy-item", "doorEvent/b-1/e-9/0", T.AddDays(2), T.AddDays(-50), ["hold-items", "hold-resident", "hold-window"]),
            // Kept by the resident's hold (its held entry names the hold), then deleted while that hold was still in force.
            Held("kept", "doorEvent/b-1/e-5/0", T.AddDays(1), ["hold-resident"]),
            Deleted("kept-then-deleted", "doorEvent/b-1/e-5/0", T.AddDays(3), T.AddDays(-50), ["hold-items", "hold-resident", "hold-window"]),
            // Kept by it and deleted once it was released: the hold was respected.
            Held("kept-2", "doorEvent/b-1/e-6/0", T.AddDays(1), ["hold-resident"]),
            Deleted("released-then-deleted", "doorEvent/b-1/e-6/0", T.AddDays(10), T.AddDays(-50), []),
        ];
        var o6 = Respected(trail, Resident, Window, items);
        ItemState StateOf(string itemRef) => Assert.Single(o6.Items, i => i.ItemRef == itemRef).State;

        Assert.Equal(ItemState.Missed, StateOf("doorEvent/b-1/e-1/0"));
        Assert.DoesNotContain(o6.Items, i => i.ItemRef == "doorEvent/b-1/e-2/0");
        Assert.Equal(ItemState.Missed, StateOf("doorEvent/b-1/e-9/0"));
        Assert.Equal(ItemState.Missed, StateOf("doorEvent/b-1/e-5/0"));
        Assert.Contains("deleted while hold-resident covered it", Assert.Single(o6.Items, i => i.ItemRef == "doorEvent/b-1/e-5/0").Note, StringComparison.Ordinal);
        Assert.Equal(ItemState.OnTime, StateOf("doorEvent/b-1/e-6/0"));
    }

    [Fact]
    public void An_entry_written_before_the_fix_is_still_matched_by_its_subject_and_never_by_a_list_it_does_not_have()
    {
        AuditEntryView[] trail =
        [
            Deleted("old-subject", "doorEvent/r-1/e-1/0", T.AddDays(1), T.AddDays(-50), null, subject: "r-1"),
            Deleted("old-other", "doorEvent/r-2/e-2/0", T.AddDays(1), T.AddDays(-50), null, subject: "r-2"),
        ];
        var o6 = Respected(trail, Resident);
        var item = Assert.Single(o6.Items);
        Assert.Equal(("doorEvent/r-1/e-1/0", ItemState.Missed), (item.ItemRef, item.State));
        Assert.Contains("deleted while hold-resident covered it", item.Note, StringComparison.Ordinal);
    }

    private static ReportLine Respected(AuditEntryView[] trail, params HoldRecord[] holds) =>
        Assert.Single(ComplianceReportBuilder.Build(T.AddDays(-30), T.AddDays(30), T.AddDays(31), new ReportRecords(trail, [], [], holds)).Lines, l => l.Id == "O6:respected");

    private static AuditEntryView Deleted(string id, string itemRef, DateTimeOffset doneAt, DateTimeOffset collected, IReadOnlyList<string>? inForce, string? subject = null) =>
        new(id, AuditLog.PartitionFor(doneAt), new AuditRecord
        {
            Action = "deleted", Outcome = "completed", ItemRef = itemRef, Category = "authentication-data", RuleId = "tdpa-authentication-90d", Obligation = "O4",
            Deadline = doneAt, At = doneAt, DoneAt = doneAt, LagSeconds = 0, BuildingId = itemRef.Split('/')[1].StartsWith("r-", StringComparison.Ordinal) ? "b-1" : itemRef.Split('/')[1],
            EventAt = collected, HoldsInForce = inForce, SubjectId = subject,
        });

    private static AuditEntryView Held(string id, string itemRef, DateTimeOffset at, IReadOnlyList<string> holds) =>
        new(id, AuditLog.PartitionFor(at), new AuditRecord
        {
            Action = "held", ItemRef = itemRef, Obligation = "O6", Holds = holds, HoldsInForce = holds, Deadline = at, At = at, DoneAt = at,
        });

    private static HoldRecord Hold(string id, HoldScope scope, DateTimeOffset placed, DateTimeOffset? released, HoldReason reason = HoldReason.SecurityIncident) => new()
    {
        HoldId = id, Reason = reason, Scope = scope, Owner = "office@holds.test", ReviewBy = placed.AddDays(60), PlacedAt = placed, ReleasedAt = released,
    };
}
