using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Breaches;
using OneValet.Pipeline.Evidence;
using Xunit;

namespace OneValet.Tests.Evidence;

/// <summary>
/// O14 in the compliance report: one item per declared incident whose notice deadline falls in the period, judged from the
/// audit entries the campaign writes (its declaration, its check before the deadline) and its delivery figures. The
/// simulation drives the real campaign (<see cref="Simulation.TwoYearSimulationTests"/>); here each way an incident can end
/// is put to the builder, including the ones a run on the happy path never reaches.
/// </summary>
public sealed class BreachNotificationReportTests
{
    private static readonly DateTimeOffset Discovered = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Deadline = new(2026, 3, 16, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Each_incident_is_met_only_with_its_declaration_and_a_check_that_found_every_notice_sent_by_the_deadline()
    {
        var now = Deadline.AddDays(30);
        var sentAtCheck = Incident("inc-a", affected: 40, sent: 40);
        var sentAfterEscalation = Incident("inc-b", affected: 40, sent: 40);
        var bounced = Incident("inc-c", affected: 40, sent: 38, bounced: 2);
        var unchecked_ = Incident("inc-d", affected: 40, sent: 40);
        var undeclared = Incident("inc-e", affected: 40, sent: 40);
        var checkedLate = Incident("inc-f", affected: 40, sent: 40);
        var pendingPastDeadline = Incident("inc-g", affected: 40, sent: 39, pending: 1, deadlineMet: false);
        var otherPeriod = Incident("inc-h", affected: 40, sent: 40) with { Incident = Record("inc-h") with { Deadline = Deadline.AddDays(90) } };
        List<AuditEntryView> audit =
        [
            .. Declared("inc-a", "inc-b", "inc-c", "inc-d", "inc-f", "inc-g", "inc-h"),
            Checked("inc-a", "all-sent", Deadline.AddDays(-2)),
            Checked("inc-b", "escalated", Deadline.AddDays(-2)),
            Checked("inc-c", "escalated", Deadline.AddDays(-2)),
            Checked("inc-e", "all-sent", Deadline.AddDays(-2)),
            Checked("inc-f", "all-sent", Deadline.AddDays(1)),
            Checked("inc-g", "escalated", Deadline.AddDays(-2)),
            Checked("inc-h", "all-sent", Deadline.AddDays(88)),
        ];

        var report = ComplianceReportBuilder.Build(Discovered.AddDays(-1), Discovered.AddDays(60), now,
            new ReportRecords(audit, [], [], [], [sentAtCheck, sentAfterEscalation, bounced, unchecked_, undeclared, checkedLate, pendingPastDeadline, otherPeriod]));

        var line = Assert.Single(report.Lines, l => l.Id == "O14:notification");
        Assert.DoesNotContain(report.Lines, l => l.Obligation == "O14" && l.Status == LineStatus.NoEvidenceKept);
        Assert.Equal((LineStatus.Missed, 7, 2, 1, 3, 1), (line.Status, line.Due, line.OnTime, line.Late, line.Missed, line.ProofMissing));
        ReportItem Item(string id) => Assert.Single(line.Items, i => i.ItemRef == "incidents/" + id);

        var a = Item("inc-a");
        Assert.Equal((ItemState.OnTime, -2 * 86_400d), (a.State, a.LagSeconds));
        Assert.Equal([Id(IncidentsApi.DeclaredAction, "inc-a"), Id(IncidentsApi.CheckedAction, "inc-a")], a.AuditIds);
        Assert.Equal(["deliveries/breach-inc-a"], a.Deliveries);

        // Escalated at the check, then every pending notice went out before the deadline: met, with no done time claimed.
        var b = Item("inc-b");
        Assert.Equal((ItemState.OnTime, null), (b.State, b.DoneAt));
        Assert.Contains("escalated", b.Note, StringComparison.Ordinal);

        // Two bounced: not notified by email; the escalation is named, the incident is still missed.
        var c = Item("inc-c");
        Assert.Equal(ItemState.Missed, c.State);
        Assert.Contains("2 not notified by email by the deadline", c.Note, StringComparison.Ordinal);
        Assert.Contains("escalated to the privacy officer", c.Note, StringComparison.Ordinal);
        Assert.Equal(2, c.AuditIds.Count);

        Assert.Equal(ItemState.Missed, Item("inc-d").State);
        Assert.Contains("no check", Item("inc-d").Note, StringComparison.Ordinal);
        Assert.Equal((ItemState.ProofMissing, 1), (Item("inc-e").State, Item("inc-e").AuditIds.Count));
        Assert.Equal((ItemState.Late, 86_400d), (Item("inc-f").State, Item("inc-f").LagSeconds));
        Assert.Equal(ItemState.Missed, Item("inc-g").State);
        Assert.DoesNotContain(line.Items, i => i.ItemRef == "incidents/inc-h");

        // Nothing in an item names a person: counts, ids and times only.
        Assert.All(line.Items, i => Assert.DoesNotContain("@", i.Note ?? string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public void Before_its_deadline_an_incident_not_yet_checked_is_open_and_one_checked_all_sent_is_judged()
    {
        var now = Deadline.AddDays(-5);
        var report = ComplianceReportBuilder.Build(Discovered.AddDays(-1), Discovered.AddDays(60), now,
            new ReportRecords([.. Declared("inc-a", "inc-b")], [], [], [], [Incident("inc-a", 10, 4, pending: 6, deadlineMet: false), Incident("inc-b", 10, 10)]));
        var line = Assert.Single(report.Lines, l => l.Id == "O14:notification");
        Assert.Equal((LineStatus.NothingDue, 2), (line.Status, line.Open));

        var checkedEarly = ComplianceReportBuilder.Build(Discovered.AddDays(-1), Discovered.AddDays(60), now,
            new ReportRecords([.. Declared("inc-b"), Checked("inc-b", "all-sent", now.AddHours(-1))], [], [], [], [Incident("inc-b", 10, 10)]));
        Assert.Equal(LineStatus.Met, Assert.Single(checkedEarly.Lines, l => l.Id == "O14:notification").Status);

        // No incident at all: nothing due, never "no evidence kept".
        var none = ComplianceReportBuilder.Build(Discovered.AddDays(-1), Discovered.AddDays(60), now, new ReportRecords([], [], [], [], []));
        Assert.Equal(LineStatus.NothingDue, Assert.Single(none.Lines, l => l.Obligation == "O14").Status);
    }

    private static IncidentRecord Record(string id) => new()
    {
        IncidentId = id, DiscoveredAt = Discovered, Buildings = ["b-1"], DataCategories = ["identifiers"], WindowFrom = Discovered.AddDays(-5), WindowTo = Discovered,
        Description = "test", DeclaredAt = Discovered.AddHours(2), Deadline = Deadline, FannedOut = true,
    };

    private static IncidentStatus Incident(string id, long affected, long sent, long bounced = 0, long pending = 0, bool deadlineMet = true) =>
        new(Record(id), affected, pending, sent, bounced, 0, 0, deadlineMet, Deadline.AddDays(-2));

    private static string Id(string action, string incident) => IncidentsApi.AuditIdFor(action, incident);

    private static IEnumerable<AuditEntryView> Declared(params string[] incidents) => incidents.Select(i => new AuditEntryView(Id(IncidentsApi.DeclaredAction, i), "2026-03-02", new AuditRecord
    {
        Action = IncidentsApi.DeclaredAction, ItemRef = IncidentsApi.ItemRefOf(i), Obligation = "O14", Deadline = Deadline, Outcome = "declared", At = Discovered.AddHours(2), DoneAt = Discovered.AddHours(2),
    }));

    private static AuditEntryView Checked(string incident, string outcome, DateTimeOffset at) => new(Id(IncidentsApi.CheckedAction, incident), AuditLog.PartitionFor(at), new AuditRecord
    {
        Action = IncidentsApi.CheckedAction, ItemRef = IncidentsApi.ItemRefOf(incident), Obligation = "O14", Deadline = Deadline, Outcome = outcome, How = "affected 40, sent 38, bounced 2, skipped 0, pending 0",
        At = at, DoneAt = at,
    });
}
