using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Disclosures;
using OneValet.Pipeline.Evidence;
using OneValet.Pipeline.Notifications;
using Xunit;

namespace OneValet.Tests.Evidence;

/// <summary>
/// O13 in the compliance report: each shared-setting change of the period (its "setting-changed" entry) needs the handler's
/// "roommate-alerts-queued" entry and a delivery per roommate (sent, or skipped for the person's opt-out, O16) within
/// <see cref="RoommateAlerts.AlertWithin"/>. The simulation drives the real route and handler; here the ways a change can
/// end that a clean run never reaches are put to the builder.
/// </summary>
public sealed class RoommateAlertReportTests
{
    private static readonly DateTimeOffset Changed = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_change_is_met_only_when_every_roommate_it_queued_was_alerted_in_time()
    {
        var audit = new List<AuditEntryView>();
        var deliveries = new Dictionary<string, IReadOnlyList<DeliveryRecord>>(StringComparer.Ordinal);
        void Change(string id, int? queued, params (DeliveryStatus Status, string? Reason, TimeSpan After)[] sent)
        {
            audit.Add(Entry(RoommateAlerts.ChangedAction, id, "accepted", Changed));
            if (queued is { } n)
            {
                audit.Add(Entry(RoommateAlerts.AlertsQueuedAction, id, "queued:" + n, Changed.AddSeconds(5)));
            }

            deliveries[id] = [.. sent.Select((d, i) => new DeliveryRecord
            {
                NotificationId = $"roommate-{id}-{i}", Campaign = RoommateAlerts.CampaignOf(id), RecipientId = "r-" + i, Status = d.Status, Reason = d.Reason,
                SentAt = d.Status == DeliveryStatus.Sent ? Changed + d.After : null, UpdatedAt = Changed + d.After,
            })];
        }

        Change("chg-ok", 2, (DeliveryStatus.Sent, null, TimeSpan.FromMinutes(1)), (DeliveryStatus.Skipped, "opted-out", TimeSpan.FromMinutes(1)));
        Change("chg-alone", 0);
        Change("chg-not-queued", null);
        Change("chg-one-lost", 2, (DeliveryStatus.Sent, null, TimeSpan.FromMinutes(1)));
        Change("chg-bounced", 1, (DeliveryStatus.Bounced, null, TimeSpan.FromMinutes(1)));
        Change("chg-no-address", 1, (DeliveryStatus.Skipped, "no-address", TimeSpan.FromMinutes(1)));
        Change("chg-late", 1, (DeliveryStatus.Sent, null, TimeSpan.FromHours(30)));

        var report = ComplianceReportBuilder.Build(Changed.AddDays(-1), Changed.AddDays(10), Changed.AddDays(10), new ReportRecords(audit, [], [], [], AlertDeliveries: deliveries));
        var line = Assert.Single(report.Lines, l => l.Id == "O13:alerted");
        ReportItem Item(string id) => Assert.Single(line.Items, i => i.ItemRef == RoommateAlerts.ItemRefOf(id));
        Assert.Equal(ItemState.OnTime, Item("chg-ok").State);
        Assert.Equal(2, Item("chg-ok").AuditIds.Count);
        Assert.Equal(["deliveries/roommate-chg-ok"], Item("chg-ok").Deliveries);
        Assert.Equal(ItemState.OnTime, Item("chg-alone").State);
        Assert.Equal(ItemState.Missed, Item("chg-not-queued").State);
        Assert.Equal(ItemState.Missed, Item("chg-one-lost").State);
        Assert.Contains("1 alert(s) not delivered", Item("chg-one-lost").Note, StringComparison.Ordinal);
        Assert.Equal(ItemState.Missed, Item("chg-bounced").State);
        Assert.Equal(ItemState.Missed, Item("chg-no-address").State);
        Assert.Equal((ItemState.Late, 6 * 3600d), (Item("chg-late").State, Item("chg-late").LagSeconds));
        Assert.Equal((LineStatus.Missed, 7, 2, 1, 4), (line.Status, line.Due, line.OnTime, line.Late, line.Missed));

        // Before its 24 hours are up, a change still waiting for its alerts is open, not missed.
        var early = ComplianceReportBuilder.Build(Changed.AddDays(-1), Changed.AddDays(10), Changed.AddHours(1), new ReportRecords(audit, [], [], [], AlertDeliveries: deliveries));
        var open = Assert.Single(early.Lines, l => l.Id == "O13:alerted");
        Assert.Equal(ItemState.Open, Assert.Single(open.Items, i => i.ItemRef == RoommateAlerts.ItemRefOf("chg-one-lost")).State);
    }

    private static AuditEntryView Entry(string action, string changeId, string outcome, DateTimeOffset doneAt) =>
        new(AuditLog.IdFor(action, changeId), AuditLog.PartitionFor(Changed), new AuditRecord
        {
            Action = action, ItemRef = RoommateAlerts.ItemRefOf(changeId), Category = "thermostat-setpoint", Obligation = "O13", Deadline = Changed + RoommateAlerts.AlertWithin,
            Outcome = outcome, At = Changed, DoneAt = doneAt,
        });
}
