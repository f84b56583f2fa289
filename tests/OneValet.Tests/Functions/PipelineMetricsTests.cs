using System.Diagnostics.Metrics;
using OneValet.Pipeline.Messaging;
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
}
