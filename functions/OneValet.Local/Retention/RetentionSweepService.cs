using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Durable;
using OneValet.Pipeline.Retention;

namespace OneValet.Local.Retention;

/// <summary>
/// The local host's schedule for the retention planner, sweep and history purge: what the Functions app's timer triggers
/// do every 5 minutes and hourly, every <see cref="RetentionOptions.PlanInterval"/> and
/// <see cref="RetentionOptions.SweepInterval"/> here (tests shorten them to seconds). Both run once at start, so a host
/// that was down catches up at once.
/// </summary>
internal sealed partial class RetentionSweepService(
    RetentionSweep sweep,
    HistoryPurge purge,
    DurableTaskClient client,
    IOptions<RetentionOptions> options,
    ILogger<RetentionSweepService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(
            EveryAsync(options.Value.PlanInterval, ct => sweep.StartTimersAsync(client, ct), stoppingToken),
            EveryAsync(options.Value.SweepInterval, async ct =>
            {
                await sweep.RunAsync(client, ct).ConfigureAwait(false);
                await purge.RunAsync(client, ct).ConfigureAwait(false);
            }, stoppingToken));

    private async Task EveryAsync(TimeSpan interval, Func<CancellationToken, Task> work, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                await work(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A failed sweep (emulator or hub not ready) must not stop the schedule: the next tick retries.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogSweepFailed(logger, e.GetType().Name);
            }
        }
        while (await timer.TickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The retention sweep failed ({ErrorType}); retrying at the next tick")]
    private static partial void LogSweepFailed(ILogger logger, string errorType);
}
