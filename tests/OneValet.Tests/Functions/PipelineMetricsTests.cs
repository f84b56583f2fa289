using System.Diagnostics.Metrics;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Telemetry;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Functions;

/// <summary>#16.4: the product's dead-letter meter, read through a <see cref="MeterListener"/> as an exporter reads it:
/// one count per message a handler sets aside, tagged with the queue and the reason code only.</summary>
public sealed class PipelineMetricsTests
{
    [Fact]
    public async Task A_dead_lettered_message_is_counted_with_its_queue_and_reason_and_a_handled_one_is_not()
    {
        await using var h = await PipelineHarness.StartAsync();
        var handlers = h.Get<MessageHandlers>();
        var metrics = h.Get<PipelineMetrics>();
        var measurements = new List<(long Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument, metrics.DeadLettered))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            lock (measurements)
            {
                measurements.Add((value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
            }
        });
        listener.Start();

        var malformed = await handlers.HandleAsync(Queues.Notifications, "m-1", BinaryData.FromString("{not json jane@example.com"), default);
        var unknown = await handlers.HandleAsync("no-such-queue", "m-2", BinaryData.FromString("{}"), default);

        Assert.Equal(MessageDisposition.DeadLetter, malformed.Disposition);
        Assert.Equal(MessageDisposition.DeadLetter, unknown.Disposition);
        Assert.Equal(2, measurements.Count);
        Assert.All(measurements, m => Assert.Equal(1, m.Value));
        Assert.Contains(measurements, m => (string?)m.Tags["queue"] == Queues.Notifications && (string?)m.Tags["reason"] == malformed.Reason);
        Assert.Contains(measurements, m => (string?)m.Tags["queue"] == "no-such-queue" && (string?)m.Tags["reason"] == "unknown-queue");
        Assert.All(measurements, m => Assert.Equal(["queue", "reason"], m.Tags.Keys.Order(StringComparer.Ordinal)));
        Assert.DoesNotContain(measurements, m => m.Tags.Values.Any(v => v?.ToString()?.Contains('@', StringComparison.Ordinal) == true));
    }

    /// <summary>
    /// #16.4: the gauges an operator alerts on (alerts.bicep: requests within 5 days of due and past it) report what the
    /// hourly sweep found, judged on the effective due date (an extension moves it), closed requests not counted; and the
    /// sweep's items past deadline, with those a hold keeps. Before any sweep an instance reports nothing (not a zero that
    /// would hide the instance that did sweep).
    /// </summary>
    [Fact]
    public async Task The_sweep_reports_items_due_and_held_and_requests_open_near_due_and_overdue()
    {
        await using var h = await PipelineHarness.StartAsync();
        var metrics = h.Get<PipelineMetrics>();
        Assert.Empty(Gauges(metrics));

        var service = h.Get<PrivacyRequestService>();
        var now = h.Clock.GetUtcNow();
        async Task RequestAsync(Func<PrivacyRequestRecord, PrivacyRequestRecord> shape)
        {
            var record = service.NewRecord(new PrivacyRequestInput(RequestType.Access, "california", null, new SubjectInput("r-1", null, null), "app", null, null, null), "r-1", now);
            await service.RegisterAsync(shape(record), default);
        }

        await RequestAsync(r => r); // due in 45 days
        await RequestAsync(r => r with { DueAt = now.AddDays(3) }); // near due
        await RequestAsync(r => r with { DueAt = now.AddDays(-1) }); // overdue
        await RequestAsync(r => r with { DueAt = now.AddDays(2), ExtendedDueAt = now.AddDays(40) }); // extended: not near
        await RequestAsync(r => r with { DueAt = now.AddDays(-3), Status = RequestStatus.Completed }); // closed
        await service.AlertNearDueAsync(default);

        var rule = new RetentionRule("door-events-test", "O5", TimeSpan.FromDays(1), RetentionAction.Delete);
        foreach (var subject in new[] { "r-free", "r-held" })
        {
            await h.Get<RetentionSchedule>().AddAsync(new ScheduleEntry
            {
                Kind = ItemKind.DoorEvent, ItemPartition = subject, ItemId = "e-" + subject, SubjectId = subject, BuildingId = "b-1",
                EventAt = now.AddDays(-1), Category = "hardware-usage", Rule = rule, Deadline = now.AddMinutes(-1),
            }, default);
        }

        await h.Get<HoldRegistry>().PlaceAsync(new HoldRecord
        {
            HoldId = "hold-m", Reason = HoldReason.SecurityIncident, Scope = new HoldScope { SubjectId = "r-held" }, Owner = "office@holds.test", ReviewBy = now.AddDays(30), PlacedAt = now,
        }, default);
        h.Clock.Advance(TimeSpan.FromMinutes(2));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);

        var gauges = Gauges(metrics);
        Assert.Equal(4, gauges["onevalet.requests.open"]);
        Assert.Equal(1, gauges["onevalet.requests.near_due"]);
        Assert.Equal(1, gauges["onevalet.requests.overdue"]);
        Assert.Equal(2, gauges["onevalet.retention.items_due"]);
        Assert.Equal(1, gauges["onevalet.retention.items_held_past_deadline"]);
    }

    private static Dictionary<string, long> Gauges(PipelineMetrics metrics)
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                // This harness's instruments only: other tests' pipelines publish gauges of the same names at the same time.
                if (new Instrument[] { metrics.ItemsDue, metrics.ItemsHeld, metrics.OpenRequests, metrics.RequestsNearDue, metrics.RequestsOverdue }.Any(i => ReferenceEquals(i, instrument)))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            lock (values)
            {
                values[instrument.Name] = value;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }
}
