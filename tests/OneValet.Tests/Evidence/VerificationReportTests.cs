using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Evidence;
using OneValet.Pipeline.Requests;
using Xunit;

namespace OneValet.Tests.Evidence;

/// <summary>
/// O10 in the compliance report: every access or deletion completed in the period was verified (the person's one-time code,
/// or the privacy office for someone not on file) and, when an agent made it, had the agent's signed permission on record,
/// before its work began, each by its audit entry's time. The simulation drives the real requests
/// (<see cref="Simulation.TwoYearSimulationTests"/>); here the orders of steps a clean run never takes are put to the builder.
/// </summary>
public sealed class VerificationReportTests
{
    private static readonly DateTimeOffset Received = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Work_that_began_before_verification_or_an_agents_permission_is_missed_and_a_recorded_step_without_its_entry_is_missing_proof()
    {
        var work = Received.AddHours(3);
        RequestEvidence Request(string id, RequestType type, (string Step, DateTimeOffset At, string Outcome)[] audited, bool agent = false, string[]? recordedOnly = null,
            RequestStatus status = RequestStatus.Completed, DateTimeOffset? closed = null)
        {
            var steps = audited.Select(a => (a.Step, a.At, Status: a.Outcome.StartsWith("not-", StringComparison.Ordinal) ? "locked-out" : "verified"))
                .Concat((recordedOnly ?? []).Select(s => (Step: s, At: Received.AddHours(1), Status: "verified")))
                .Select(a => new RequestStep(PrivacyRequestService.VerificationSteps[a.Step], a.Status, a.At)).ToList();
            var record = new PrivacyRequestRecord
            {
                RequestId = id, Type = type, Jurisdiction = "california", Channel = "web", SubjectId = "r-1", ReceivedAt = Received, AcknowledgeBy = Received.AddDays(14),
                DueAt = Received.AddDays(45), Status = status, ClosedAt = closed ?? Received.AddDays(2), Steps = steps,
                Agent = agent ? new AgentInput("Agent", "agent@example.test", "ref", true, "doc") : null,
            };
            var views = audited.ToDictionary(a => a.Step, a => new AuditEntryView(PrivacyRequestService.StepAuditId(a.Step, id), AuditLog.PartitionFor(a.At), new AuditRecord
            {
                Action = "request-" + a.Step, ItemRef = "requests/" + id, Obligation = "O10", Outcome = a.Outcome, At = a.At, DoneAt = a.At,
            }), StringComparer.Ordinal);
            return new RequestEvidence(record, views);
        }

        var verified = ("code-verified", Received.AddHours(1), "verified:one-time-code");
        var started = ("work-started", work, "Access");
        var requests = new[]
        {
            Request("q-ok", RequestType.Access, [verified, started]),
            Request("q-manual", RequestType.Deletion, [("manually-verified", Received.AddHours(2), "verified:id-document"), started]),
            Request("q-agent-ok", RequestType.Deletion, [("agent-permission", Received, "signed-permission-received"), verified, started], agent: true),
            Request("q-verified-after", RequestType.Access, [("code-verified", work.AddMinutes(5), "verified:one-time-code"), started]),
            Request("q-never", RequestType.Deletion, [started]),
            Request("q-locked-out", RequestType.Access, [("code-verified", Received.AddHours(1), "not-verified:locked-out"), started]),
            Request("q-agent-no-permission", RequestType.CategoriesShared, [verified, started], agent: true),
            Request("q-entry-lost", RequestType.Access, [started], recordedOnly: ["code-verified"]),
            Request("q-no-work-entry", RequestType.Access, [verified]),
            Request("q-correction", RequestType.Correction, [verified, started]),
            Request("q-denied", RequestType.Access, [started], status: RequestStatus.Denied),
            Request("q-other-period", RequestType.Access, [started], closed: Received.AddDays(200)),
        };

        var report = ComplianceReportBuilder.Build(Received.AddDays(-1), Received.AddDays(100), Received.AddDays(100), new ReportRecords([], [], requests, []));
        var line = Assert.Single(report.Lines, l => l.Id == "O10:verified");
        Assert.DoesNotContain(report.Lines, l => l.Obligation == "O10" && l.Status == LineStatus.NoEvidenceKept);
        ReportItem Item(string id) => Assert.Single(line.Items, i => i.ItemRef == "requests/" + id);

        Assert.Equal((ItemState.OnTime, -2 * 3600d), (Item("q-ok").State, Item("q-ok").LagSeconds));
        Assert.Equal([PrivacyRequestService.StepAuditId("code-verified", "q-ok"), PrivacyRequestService.StepAuditId("work-started", "q-ok")], Item("q-ok").AuditIds);
        Assert.Equal(ItemState.OnTime, Item("q-manual").State);
        Assert.Equal((ItemState.OnTime, 3), (Item("q-agent-ok").State, Item("q-agent-ok").AuditIds.Count));
        Assert.Equal((ItemState.Missed, 300d), (Item("q-verified-after").State, Item("q-verified-after").LagSeconds));
        Assert.Equal(ItemState.Missed, Item("q-never").State);
        Assert.Equal(ItemState.Missed, Item("q-locked-out").State);
        Assert.Equal(ItemState.Missed, Item("q-agent-no-permission").State);
        Assert.Contains("agent", Item("q-agent-no-permission").Note, StringComparison.Ordinal);
        Assert.Equal(ItemState.ProofMissing, Item("q-entry-lost").State);
        Assert.Equal(ItemState.ProofMissing, Item("q-no-work-entry").State);
        Assert.DoesNotContain(line.Items, i => i.ItemRef is "requests/q-correction" or "requests/q-denied" or "requests/q-other-period");
        Assert.Equal((LineStatus.Missed, 9, 3, 4, 2), (line.Status, line.Due, line.OnTime, line.Missed, line.ProofMissing));
    }
}
