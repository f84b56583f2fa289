using System.Diagnostics.Metrics;

namespace OneValet.Pipeline.Telemetry;

/// <summary>
/// The pipeline's own meter beside <see cref="Retention.RetentionMetrics"/>: what an operator alerts on (bicep/modules/
/// alerts.bicep). Tags are queue names and reason codes only, never personal data.
/// </summary>
public sealed class PipelineMetrics : IDisposable
{
    public const string MeterName = "OneValet.Pipeline";
    private readonly Meter _meter = new(MeterName);

    public PipelineMetrics() =>
        DeadLettered = _meter.CreateCounter<long>("onevalet.messages.dead_lettered", "{message}", "Messages a handler set aside as unprocessable, by queue and reason code.");

    public Counter<long> DeadLettered { get; }

    public void Dispose() => _meter.Dispose();
}
