using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using OneValet.Pipeline.Durable;
using OneValet.Pipeline.Retention;

namespace OneValet.Functions.Retention;

/// <summary>The hourly retention sweep (O4–O7) and the history purge: bind, call the pipeline, return.</summary>
public sealed class RetentionFunctions(RetentionSweep sweep, HistoryPurge purge)
{
    /// <summary>At minute 0 of every hour: a lost timer costs at most an hour.</summary>
    [Function("RetentionSweep")]
    public Task<SweepOutcome> SweepAsync(
        [TimerTrigger("0 0 * * * *", RunOnStartup = false)] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        sweep.RunAsync(client, cancellationToken);

    /// <summary>Every 5 minutes: start the timers of buckets due within the planning horizon (the prompt half).</summary>
    [Function("RetentionPlanner")]
    public Task<int> PlanAsync(
        [TimerTrigger("0 */5 * * * *", RunOnStartup = false)] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        sweep.StartTimersAsync(client, cancellationToken);

    /// <summary>At minute 30 of every hour: purge finished orchestration histories older than their retention.</summary>
    [Function("PurgeOrchestrationHistory")]
    public Task<int> PurgeAsync(
        [TimerTrigger("0 30 * * * *", RunOnStartup = false)] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        purge.RunAsync(client, cancellationToken);
}
