using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OneValet.Pipeline.Evidence;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using OneValet.Tests.Simulation;
using Xunit;
using static OneValet.Tests.Retention.RetentionEngineTests;

namespace OneValet.Tests.Evidence;

/// <summary>
/// O16 (informational and offer messages honour the person's opt-out; service messages still go out) as evidence: the
/// dispatcher audits each such message to a resident as allowed or skipped with the choice it read, the residents' route
/// audits each change of choices with the choices, and the compliance report sets the one against the other, so a send
/// after an opt-out is named even when the dispatcher was shown a record that said "on".
/// </summary>
public sealed class MessageChoicesEvidenceTests(MailDevFixture maildev) : IClassFixture<MailDevFixture>
{
    private static readonly DateTimeOffset Monday = new(2026, 3, 2, 15, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_message_allowed_after_the_person_opted_out_is_named_even_when_the_dispatcher_read_on()
    {
        _ = maildev;
        var transport = new SimulationTransport();
        await using var h = await PipelineHarness.StartAsync(now: Monday, configure: s => s.AddSingleton<IMessageTransport>(transport));
        var residents = h.Get<ResidentsApi>();
        foreach (var r in new[] { "r-wants", "r-out", "r-misread" })
        {
            var put = await InvokeAsync(ctx => residents.PutResidentAsync(r, Json(ctx, $$"""
                {"buildingId":"b-o16","unitId":"u-1","movedInAt":"2025-01-01T00:00:00Z","email":"{{r}}@o16.test","jurisdiction":"new-york"}
                """), default));
            Assert.Equal(201, put.Status);
        }

        h.Clock.Advance(TimeSpan.FromMinutes(5));
        foreach (var r in new[] { "r-out", "r-misread" })
        {
            Assert.Equal(200, (await InvokeAsync(ctx => residents.PutMessagePreferencesAsync(r, Json(ctx, """{"informational":false,"offers":false}"""), default))).Status);
        }

        // r-misread's record is then rewritten past the route (a stale copy, a bug): the dispatcher reads "on".
        var stored = (await h.Store.ReadAsync<ResidentRecord>(Containers.Residents, "r-misread", ResidentRecord.DocumentId))!;
        await h.Store.UpsertAsync(Containers.Residents, "r-misread", ResidentRecord.DocumentId, stored.Document with { Messages = new MessagePreferences(true, false) });

        h.Clock.Advance(TimeSpan.FromMinutes(5));
        var publisher = h.Get<NotificationPublisher>();
        foreach (var r in new[] { "r-wants", "r-out", "r-misread" })
        {
            await publisher.PublishAsync(Alert("c1", r), default);
        }

        // A service message to the person who opted out still goes, and is no choice of theirs.
        await publisher.PublishAsync(new NotificationRequest("hold-review-o16", "holds", "hold-review-due", RecipientKind.Resident, "r-out", MessageClass.Service,
            new Dictionary<string, string> { ["holdId"] = "h-1", ["reviewBy"] = "2026-03-09" }), default);
        await transport.DrainAsync(h.Get<MessageHandlers>(), _ => Task.CompletedTask);

        var report = await h.Get<ComplianceReportLoader>().BuildAsync(Monday.AddDays(-1), Monday.AddDays(1), default);
        var line = Assert.Single(report.Lines, l => l.Id == "O16:choices");
        Assert.Equal((LineStatus.Missed, 3, 2, 1), (line.Status, line.Due, line.OnTime, line.Missed));
        ReportItem Item(string r) => Assert.Single(line.Items, i => i.ItemRef == $"deliveries/roommate-c1/roommate-c1-{r}");

        var missed = Item("r-misread");
        Assert.Equal(ItemState.Missed, missed.State);
        Assert.Contains("sent although the person had opted out", missed.Note, StringComparison.Ordinal);
        Assert.Equal(2, missed.AuditIds.Count); // the dispatcher's entry and the person's change of choices
        Assert.Contains("skipped", Item("r-out").Note, StringComparison.Ordinal);
        Assert.Contains("sent; no change of choices in the period", Item("r-wants").Note, StringComparison.Ordinal);
        Assert.DoesNotContain(line.Items, i => i.ItemRef.Contains("hold-review", StringComparison.Ordinal));

        // The entries hold ids, classes and choices: no address.
        Assert.DoesNotContain("o16.test", JsonSerializer.Serialize(report), StringComparison.Ordinal);
    }

    private static NotificationRequest Alert(string change, string resident) => new(
        $"roommate-{change}-{resident}", "roommate-" + change, "roommate-setting-changed", RecipientKind.Resident, resident, MessageClass.Informational,
        new Dictionary<string, string> { ["setting"] = "thermostat", ["changedAt"] = "2026-03-02 15:10:00Z" });
}
