using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using OneValet.Pipeline.Evidence;
using OneValet.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OneValet.Tests.Simulation;

/// <summary>
/// Issue 18.3 and 18.4: a 200-unit building on a fake clock through the pipeline's own services, store and orchestrator
/// classes, then the compliance report of the run. The clean run shows every obligation whose evidence the records keep met,
/// each item with the audit entries that prove it; each mutation (one rule broken from outside the pipeline's code) makes the
/// report name exactly the broken obligation and the items concerned, the rest staying met.
/// </summary>
[Trait("Category", "Simulation")]
public sealed class TwoYearSimulationTests(ITestOutputHelper output, MailDevFixture maildev) : IClassFixture<MailDevFixture>
{
    private static readonly LineStatus[] Fine = [LineStatus.Met, LineStatus.NothingDue, LineStatus.NoEvidenceKept];

    /// <summary>Lines the two years must have items on: each judged, met, and proven item by item.</summary>
    private static readonly string[] Exercised =
    [
        "O2:deletion", "O4:deletion", "O6:held", "O6:review", "O7:deletion", "O8:response", "O9:response", "O11:response",
        "D1:acknowledge:new-york", "D1:acknowledge:california", "D1:acknowledge:canada", "D1:respond:new-york", "D1:respond:california",
        "D1:respond:canada", "D1:extension:canada", "O6:respected", "O18:deletion", "O14:notification", "O10:verified", "O12:ledger", "O13:alerted",
        "O16:choices", "O17:service",
        "O3:consent", "O3:deletion", "O5:deletion", "O1:catalogued",
    ];

    [Fact]
    public async Task Two_years_of_a_200_unit_building_show_every_obligation_met_each_item_backed_by_audit_entries()
    {
        var (simulation, figures, report) = await RunAsync(new SimulationPlan(Days: 730, Units: 200, DoorEventsPerDay: 2, FootageEveryDays: 14, RequestEveryDays: 14));
        await using var h = simulation.Harness;

        foreach (var line in report.Lines)
        {
            Assert.True(Fine.Contains(line.Status), $"{line.Id} is {line.Status}: {string.Join("; ", line.Items.Where(i => i.State is not (ItemState.OnTime or ItemState.Held or ItemState.Open)).Take(5).Select(i => $"{i.ItemRef} {i.State} {i.Note}"))}");
            foreach (var item in line.Items.Where(i => i.State is ItemState.OnTime or ItemState.Held))
            {
                Assert.True(item.AuditIds.Count > 0, $"{line.Id}: {item.ItemRef} has no audit entry");
            }
        }

        foreach (var id in Exercised)
        {
            var line = Assert.Single(report.Lines, l => l.Id == id);
            Assert.True(line.Due > 0 && line.Status == LineStatus.Met, $"{id}: {line.Status} with {line.Due} due");
        }

        // The obligations the records cannot show yet stay listed as such, never as met.
        Assert.Equal(
            ComplianceReportBuilder.NoEvidence.Keys.Order(StringComparer.Ordinal),
            report.Lines.Where(l => l.Status == LineStatus.NoEvidenceKept).Select(l => l.Obligation).Order(StringComparer.Ordinal));
        // About fifty requests of every type were answered (the last ones may still be open), each of them also a record
        // whose identity data was minimized after its close (O18).
        Assert.InRange(figures.Requests, 50, 55);

        // O3: every capture of the two years was checked and audited, the report judged each one; the matched ones each name
        // the consent entry they were processed under, and some were not processed at all (nobody consenting matched is
        // still processed; a stranger or a withdrawn resident is never matched).
        var checks = simulation.Checks;
        Assert.True(checks.GetValueOrDefault(Pipeline.Faces.FaceVerificationStatus.Verified) > 300 && checks.GetValueOrDefault(Pipeline.Faces.FaceVerificationStatus.NotVerified) > 100, simulation.FacialEntryFigures);
        var o3 = Assert.Single(report.Lines, l => l.Id == "O3:consent");
        Assert.Equal(checks.Values.Sum(), o3.Due);
        // A capture still stored is judged from its check and consent entries; one deleted since (O4) by the verdict its check
        // entry kept when it lost the person, citing that entry alone.
        var stillStored = o3.Items.Count(i => i.Note!.StartsWith("verified under the consent of residents/", StringComparison.Ordinal) && i.AuditIds.Count == 2);
        var deletedSince = o3.Items.Count(i => i.Note!.StartsWith("verified under the matched resident's own consent", StringComparison.Ordinal) && i.Note.Contains("removed under O4", StringComparison.Ordinal) && i.AuditIds.Count == 1);
        Assert.Equal(checks[Pipeline.Faces.FaceVerificationStatus.Verified], stillStored + deletedSince);
        Assert.True(deletedSince > 300 && stillStored > 0, $"{deletedSince} deleted, {stillStored} still stored");

        // O4 (TDPA): of every door event and Facial Entry capture deleted in the two years, nothing kept (audit entries, the
        // done schedule entry, the ledger row, the capture's check) names the resident or their consent entry.
        var residents = Enumerable.Range(1, figures.Residents).Select(n => "r-" + n.ToString("D4", CultureInfo.InvariantCulture)).ToList();
        var ledger = h.Services.GetRequiredKeyedService<Pipeline.Storage.IRecordStore>(Pipeline.Retention.DeletionLedger.StoreKey);
        var trail = await Privacy.DeletedAuthenticationTrail.AssertNoPersonAsync(simulation.AuditorStore, ledger, BuildingSimulation.Start, simulation.End.AddDays(1), residents);
        output.WriteLine($"deleted and checked for people: {trail}");
        Assert.True(trail.DoorEvents > 1000 && trail.Captures > 500 && trail.ChecksRewritten > 300 && trail.ChecksUnderLiveConsent > 300, trail.ToString());
        // O1: every door event, recording and enrollment of the two years is listed as stored with its rule, and found in the
        // schedule (the enrollments' deadlines start later).
        var o1 = Assert.Single(report.Lines, l => l.Id == "O1:catalogued");
        Assert.Equal(figures.DoorEvents, o1.Items.Count(i => i.ItemRef.StartsWith("doorEvent/b-sim/", StringComparison.Ordinal)));
        Assert.True(o1.Items.Count(i => i.ItemRef.StartsWith("recordingVersion/b-sim/lobby_f-", StringComparison.Ordinal)) >= 700);
        Assert.Contains(o1.Items, i => i.ItemRef.StartsWith("facialEnrollment/", StringComparison.Ordinal));

        // O4: the captures are among the authentication data deleted within 90 days of collection.
        Assert.True(Assert.Single(report.Lines, l => l.Id == "O4:deletion").Items.Count(i => i.ItemRef.StartsWith("recordingVersion/b-sim/lobby_f-", StringComparison.Ordinal)) > 500);
        Assert.InRange(report.Lines.Where(l => l.Id is "O8:response" or "O9:response" or "O11:response").Sum(l => l.Due), 45, 55);
    }

    [Fact]
    public async Task With_the_sweep_off_the_report_names_the_retention_deadlines_missed_since_and_nothing_else()
    {
        var plan = new SimulationPlan(Days: 120, Units: 200, DoorEventsPerDay: 2, FootageEveryDays: 5, RequestEveryDays: 14, Mutation.SweepOff, MutateFromDay: 95);
        var (simulation, _, report) = await RunAsync(plan);
        await using var h = simulation.Harness;

        // Every broken line is a retention deadline (the sweep and its timer planning enforce them), every item named is due
        // since the sweep stopped, with no audit entry; requests, holds and clocks stay met.
        var broken = report.Lines.Where(l => !Fine.Contains(l.Status)).ToList();
        string[] retention = ["O2:deletion", "O4:deletion", "O5:deletion", "O7:deletion", "O8:deletion", "O9:deletion", "O18:deletion"];
        Assert.Subset(retention.ToHashSet(), broken.Select(l => l.Id).ToHashSet());
        Assert.Contains("O2:deletion", broken.Select(l => l.Id));
        Assert.Contains("O4:deletion", broken.Select(l => l.Id));
        var mutatedFrom = BuildingSimulation.Start.AddDays(plan.MutateFromDay);
        foreach (var line in broken)
        {
            Assert.Equal(LineStatus.Missed, line.Status);
            Assert.DoesNotContain(line.Items, i => i.State is ItemState.Late or ItemState.ProofMissing);
            foreach (var item in line.Items.Where(i => i.State == ItemState.Missed))
            {
                Assert.True(item.DueAt >= mutatedFrom, $"{item.ItemRef} was due {item.DueAt}, before the sweep stopped");
                Assert.Empty(item.AuditIds);
            }

            Assert.All(line.Items.Where(i => i.DueAt < mutatedFrom), i => Assert.Equal(ItemState.OnTime, i.State));
        }

        // The footage of every fifth day is due 30 days after capture: each one due since the sweep stopped is named.
        var footage = Assert.Single(broken, l => l.Id == "O2:deletion");
        Assert.InRange(footage.Missed, 3, 5);
        Assert.All(footage.Items.Where(i => i.State == ItemState.Missed), i => Assert.StartsWith("recordingVersion/b-sim/", i.ItemRef, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_deletion_skipped_without_an_audit_entry_is_named_as_missed_with_no_proof()
    {
        var plan = new SimulationPlan(Days: 115, Units: 200, DoorEventsPerDay: 2, FootageEveryDays: 7, RequestEveryDays: 14, Mutation.DeletionSkipped, MutateFromDay: 20);
        var (simulation, _, report) = await RunAsync(plan);
        await using var h = simulation.Harness;

        var broken = Assert.Single(report.Lines, l => !Fine.Contains(l.Status));
        Assert.Equal(("O4:deletion", LineStatus.Missed, 1), (broken.Id, broken.Status, broken.Missed));
        var missed = Assert.Single(broken.Items, i => i.State == ItemState.Missed);
        Assert.Equal(simulation.SkippedItem, missed.ItemRef);
        Assert.Empty(missed.AuditIds);
        Assert.True(broken.OnTime > 30);
    }

    [Fact]
    public async Task A_hold_ignored_by_enforcement_is_named_with_the_items_deleted_while_it_was_in_force()
    {
        var plan = new SimulationPlan(Days: 125, Units: 200, DoorEventsPerDay: 2, FootageEveryDays: 7, RequestEveryDays: 14, Mutation.HoldIgnored);
        var (simulation, _, report) = await RunAsync(plan);
        await using var h = simulation.Harness;

        // The hold (placed on day 100) covers the door events collected on days 20 and 21, due on days 110 and 111: the
        // pipeline deleted them on time by its deadline lines, and the report names each one as deleted under the hold.
        var broken = Assert.Single(report.Lines, l => !Fine.Contains(l.Status));
        Assert.Equal(("O6:respected", LineStatus.Missed), (broken.Id, broken.Status));
        var missed = broken.Items.Where(i => i.State == ItemState.Missed).ToList();
        Assert.InRange(missed.Count, 1, (2 * (plan.DoorEventsPerDay + BuildingSimulation.CapturesPerDay)) + 1);
        Assert.All(missed, i =>
        {
            // The door events and the Facial Entry captures collected in the hold's window (O4), and the reference data of the
            // resident who withdrew on day 20 (O5: its deadline counts from the withdrawal, inside the window).
            Assert.Matches("^(doorEvent/[^/]+/e-2[01]-[0-9]+/0|recordingVersion/b-sim/lobby_f-2[01]-[0-9]+/[0-9]+|facialEnrollment/r-[0-9]+/facial-enrollment/0)$", i.ItemRef);
            Assert.Contains(simulation.IgnoredHold!, i.Note, StringComparison.Ordinal);
            Assert.Single(i.AuditIds);
        });
        Assert.Equal(LineStatus.Met, Assert.Single(report.Lines, l => l.Id == "O4:deletion").Status);
    }

    [Fact]
    public async Task A_clock_counted_for_the_wrong_jurisdiction_is_named_by_the_persons_jurisdiction_on_file()
    {
        var plan = new SimulationPlan(Days: 100, Units: 200, DoorEventsPerDay: 2, FootageEveryDays: 7, RequestEveryDays: 14, Mutation.WrongJurisdiction);
        var (simulation, _, report) = await RunAsync(plan);
        await using var h = simulation.Harness;

        // A Canadian's correction, extended: 30 + 30 days by PIPEDA, 45 + 45 by the clock the pipeline counted (California's).
        var broken = report.Lines.Where(l => !Fine.Contains(l.Status)).ToList();
        Assert.Equal(["O11:response", "D1:respond:canada"], broken.Select(l => l.Id));
        foreach (var line in broken)
        {
            var item = Assert.Single(line.Items, i => i.State is not (ItemState.OnTime or ItemState.Open));
            Assert.Equal(("requests/" + simulation.MisreadRequest, ItemState.Missed), (item.ItemRef, item.State));
            Assert.Contains("the request's clocks follow california; the person on file is canada", item.Note, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_extension_whose_notice_was_never_sent_is_named_as_not_taken()
    {
        var plan = new SimulationPlan(Days: 65, Units: 200, DoorEventsPerDay: 2, FootageEveryDays: 7, RequestEveryDays: 14, Mutation.NoticeNotSent);
        var (simulation, _, report) = await RunAsync(plan);
        await using var h = simulation.Harness;
        Assert.Equal(["request-extended-" + simulation.UnnoticedRequest], simulation.Transport.Dropped);

        var broken = Assert.Single(report.Lines, l => !Fine.Contains(l.Status));
        Assert.Equal(("D1:extension:canada", LineStatus.Missed), (broken.Id, broken.Status));
        var item = Assert.Single(broken.Items);
        Assert.Equal("requests/" + simulation.UnnoticedRequest, item.ItemRef);
        Assert.Contains("never sent", item.Note, StringComparison.Ordinal);

        // Every other notice the clocks require is there, each with its delivery record.
        var acknowledged = report.Lines.Where(l => l.Id.StartsWith("D1:acknowledge:", StringComparison.Ordinal)).SelectMany(l => l.Items).ToList();
        Assert.NotEmpty(acknowledged);
        Assert.All(acknowledged, i => Assert.Single(i.Deliveries!));
    }

    [Fact]
    public async Task A_service_changed_past_the_residents_routes_while_a_request_was_open_is_named_under_O17()
    {
        var plan = new SimulationPlan(Days: 100, Units: 200, DoorEventsPerDay: 2, FootageEveryDays: 7, RequestEveryDays: 14, Mutation.ServiceChanged);
        var (simulation, _, report) = await RunAsync(plan);
        await using var h = simulation.Harness;

        // The first correction (a Canadian's, extended, never answered) closes at its extended due date; its close finds the
        // person's informational messages changed by nobody who may change them, and the report names that request alone.
        var broken = Assert.Single(report.Lines, l => !Fine.Contains(l.Status));
        Assert.Equal(("O17:service", LineStatus.Missed, 1), (broken.Id, broken.Status, broken.Missed));
        var item = Assert.Single(broken.Items, i => i.State == ItemState.Missed);
        Assert.Equal("requests/" + simulation.DowngradedRequest, item.ItemRef);
        Assert.Contains("changed by nothing that may: messages.informational", item.Note, StringComparison.Ordinal);
        Assert.Single(item.AuditIds);
        Assert.True(broken.OnTime > 0);
    }

    [Fact]
    public async Task A_breach_notice_never_sent_names_the_incident_as_missed_with_its_escalation()
    {
        var plan = new SimulationPlan(Days: 40, Units: 200, DoorEventsPerDay: 2, FootageEveryDays: 7, RequestEveryDays: 14, Mutation.BreachNoticeNotSent);
        var (simulation, _, report) = await RunAsync(plan);
        await using var h = simulation.Harness;
        Assert.Equal([simulation.LostBreachNotice!], simulation.Transport.Dropped);

        // O14: the one incident, its deadline passed with one affected person never emailed; the campaign's check escalated
        // it (its audit entry is cited) and the report names the incident, not the person.
        var broken = Assert.Single(report.Lines, l => !Fine.Contains(l.Status));
        Assert.Equal(("O14:notification", LineStatus.Missed), (broken.Id, broken.Status));
        var item = Assert.Single(broken.Items);
        Assert.Equal(("incidents/" + simulation.Incident, ItemState.Missed), (item.ItemRef, item.State));
        Assert.Contains("1 not notified by email by the deadline", item.Note, StringComparison.Ordinal);
        Assert.Contains("pending 1", item.Note, StringComparison.Ordinal);
        Assert.Contains("escalated to the privacy officer", item.Note, StringComparison.Ordinal);
        Assert.Equal(2, item.AuditIds.Count);
        Assert.DoesNotMatch("r-[0-9]{4}", item.Note);
    }

    [Fact]
    public async Task An_item_stored_without_its_rule_in_the_schedule_is_named_under_O1()
    {
        var plan = new SimulationPlan(Days: 30, Units: 200, DoorEventsPerDay: 2, FootageEveryDays: 7, RequestEveryDays: 14, Mutation.StoredWithoutRule, MutateFromDay: 5);
        var (simulation, _, report) = await RunAsync(plan);
        await using var h = simulation.Harness;

        // Ingestion stored the door event and listed it in its batch's catalogue entry, but its deadline never reached the
        // schedule: nothing would ever delete it. The report names that item alone, by kind, building and id (no person).
        var broken = Assert.Single(report.Lines, l => !Fine.Contains(l.Status));
        Assert.Equal(("O1:catalogued", LineStatus.Missed, 1), (broken.Id, broken.Status, broken.Missed));
        var item = Assert.Single(broken.Items, i => i.State == ItemState.Missed);
        Assert.Equal(simulation.UnruledItem, item.ItemRef);
        Assert.Contains("the schedule holds no deadline for it", item.Note, StringComparison.Ordinal);
        Assert.Single(item.AuditIds);
        Assert.True(broken.OnTime > 50);

        // The event's record is in the store, under its rule, but the retention engine has nothing to enforce it by.
        Assert.NotNull(await simulation.AuditorStore.ReadAsync<Pipeline.Retention.DoorEventRecord>(Pipeline.Storage.Containers.DoorEvents, simulation.UnruledPartition!, simulation.UnruledEvent!));
    }

    [Fact]
    public async Task A_deletion_marked_done_with_no_audit_entry_at_all_is_named_under_its_obligation()
    {
        var plan = new SimulationPlan(Days: 100, Units: 200, DoorEventsPerDay: 2, FootageEveryDays: 7, RequestEveryDays: 14, Mutation.DeletionUnaudited, MutateFromDay: 5);
        var (simulation, _, report) = await RunAsync(plan);
        await using var h = simulation.Harness;

        // The door event was deleted and its schedule entry marked done, but neither the start nor the completion reached
        // the trail: the schedule, read through the catalogue, shows it, and the report names it under O4.
        var broken = Assert.Single(report.Lines, l => !Fine.Contains(l.Status));
        Assert.Equal(("O4:deletion", LineStatus.Missed, 1), (broken.Id, broken.Status, broken.Missed));
        var item = Assert.Single(broken.Items, i => i.State == ItemState.Missed);
        Assert.Equal(simulation.UnauditedItem, item.ItemRef);
        Assert.Contains("marked done in the schedule", item.Note, StringComparison.Ordinal);
        Assert.Contains("no deletion entry", item.Note, StringComparison.Ordinal);
        Assert.True(broken.OnTime > 20);
    }

    /// <summary>Starts and runs one plan, builds its report, prints the run's figures, phases and report, and asserts the run
    /// itself went as planned (every call answered as expected); the caller disposes the simulation's harness.</summary>
    private async Task<(BuildingSimulation Simulation, SimulationFigures Figures, ComplianceReport Report)> RunAsync(SimulationPlan plan)
    {
        _ = maildev;
        var simulation = await BuildingSimulation.StartAsync(plan);
        try
        {
            var figures = await simulation.RunAsync();
            var report = await simulation.ReportAsync();
            Print(figures, report);
            output.WriteLine(simulation.FacialEntryFigures);
            output.WriteLine(simulation.Phases);
            Assert.Empty(simulation.Problems);
            return (simulation, figures, report);
        }
        catch
        {
            await simulation.Harness.DisposeAsync();
            throw;
        }
    }

    private void Print(SimulationFigures figures, ComplianceReport report)
    {
        output.WriteLine(figures.ToString());
        var lags = report.Lines.Where(l => l.Measure == "lag" && l.Obligation != "O6").SelectMany(l => l.Items)
            .Where(i => i.State is ItemState.OnTime or ItemState.Late && i.LagSeconds is not null).Select(i => i.LagSeconds!.Value).Order().ToArray();
        if (lags.Length > 0)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"deletions: {lags.Length}, done minus deadline p50 {ComplianceReportBuilder.Rank(lags, 0.5):F0} s, p95 {ComplianceReportBuilder.Rank(lags, 0.95):F0} s, max {lags[^1]:F0} s"));
        }

        foreach (var line in report.Lines)
        {
            var lag = line.Lag is { } l ? string.Create(CultureInfo.InvariantCulture, $"  p50 {l.P50:F0} s p95 {l.P95:F0} s max {l.Max:F0} s") : string.Empty;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{line.Id,-28} {line.Status,-14} due {line.Due,5} on time {line.OnTime,5} late {line.Late,3} missed {line.Missed,3} proof missing {line.ProofMissing,3} held {line.Held,3}{lag}"));
            foreach (var item in line.Items.Where(i => i.State is ItemState.Missed or ItemState.ProofMissing or ItemState.Late).Take(3))
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {item.State} {item.ItemRef} due {item.DueAt:O} audit [{string.Join(", ", item.AuditIds)}]: {item.Note}"));
            }
        }
    }
}
