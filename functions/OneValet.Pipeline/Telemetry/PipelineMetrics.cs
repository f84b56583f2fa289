using System.Diagnostics.Metrics;

namespace OneValet.Pipeline.Telemetry;

/// <summary>
/// The pipeline's own meter beside <see cref="Retention.RetentionMetrics"/>: what an operator watches and alerts on
/// (bicep/modules/alerts.bicep). Tags are queue names, templates and reason codes only, never personal data.
/// <list type="bullet">
/// <item>Counters: dead letters; breach fan-out progress (notices queued, delivered or bounced) and escalations.</item>
/// <item>Gauges of the state the hourly sweep found, reported from then on by the instance that ran it (an instance that
/// has not swept reports nothing): items past their deadline it found and how many of them a hold keeps (O4–O7), open
/// requests, those within the near-due warning of their due date and those past it (D1).</item>
/// </list>
/// </summary>
public sealed class PipelineMetrics : IDisposable
{
    public const string MeterName = "OneValet.Pipeline";
    private readonly Meter _meter = new(MeterName);
    private SweepState? _sweep;
    private RequestState? _requests;

    public PipelineMetrics()
    {
        DeadLettered = _meter.CreateCounter<long>("onevalet.messages.dead_lettered", "{message}", "Messages a handler set aside as unprocessable, by queue and reason code.");
        BreachNoticesQueued = _meter.CreateCounter<long>("onevalet.breaches.notices_queued", "{notice}", "Breach notices queued by the fan-out (O14): its progress, page by page.");
        NoticesDelivered = _meter.CreateCounter<long>("onevalet.notifications.delivered", "{notice}", "Notices handed to the mail system or refused by it, by template and outcome (sent, bounced).");
        BreachEscalations = _meter.CreateCounter<long>("onevalet.breaches.escalated", "{incident}", "Incidents with notices still undelivered near their ten-business-day deadline (O14): the privacy office was alerted.");
        ItemsDue = _meter.CreateObservableGauge("onevalet.retention.items_due", () => Observe(_sweep?.Due), "{item}", "Items past their deadline that the last sweep found (the timers had not deleted them): deleted then, or kept by a hold.");
        ItemsHeld = _meter.CreateObservableGauge("onevalet.retention.items_held_past_deadline", () => Observe(_sweep?.Held), "{item}", "Items past their deadline that a hold kept at the last sweep (O6).");
        OpenRequests = _meter.CreateObservableGauge("onevalet.requests.open", () => Observe(_requests?.Open), "{request}", "Open privacy requests at the last sweep.");
        RequestsNearDue = _meter.CreateObservableGauge("onevalet.requests.near_due", () => Observe(_requests?.NearDue), "{request}", "Open privacy requests within the near-due warning (5 days) of their due date at the last sweep (D1).");
        RequestsOverdue = _meter.CreateObservableGauge("onevalet.requests.overdue", () => Observe(_requests?.Overdue), "{request}", "Open privacy requests past their due date at the last sweep (D1).");
    }

    public Counter<long> DeadLettered { get; }

    public Counter<long> BreachNoticesQueued { get; }

    public Counter<long> NoticesDelivered { get; }

    public Counter<long> BreachEscalations { get; }

    public ObservableGauge<long> ItemsDue { get; }

    public ObservableGauge<long> ItemsHeld { get; }

    public ObservableGauge<long> OpenRequests { get; }

    public ObservableGauge<long> RequestsNearDue { get; }

    public ObservableGauge<long> RequestsOverdue { get; }

    /// <summary>What a sweep's enforcement found: items past their deadline, and how many of them a hold kept.</summary>
    public void RecordSweep(long due, long held) => _sweep = new SweepState(due, held);

    /// <summary>The open requests a sweep saw, those near their due date and those past it.</summary>
    public void RecordRequests(long open, long nearDue, long overdue) => _requests = new RequestState(open, nearDue, overdue);

    public void Dispose() => _meter.Dispose();

    private static IEnumerable<Measurement<long>> Observe(long? value) => value is { } v ? [new Measurement<long>(v)] : [];

    private sealed record SweepState(long Due, long Held);

    private sealed record RequestState(long Open, long NearDue, long Overdue);
}
