using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Durable;
using OneValet.Pipeline.Retention;

namespace OneValet.Local.Retention;

/// <summary>
/// The local host's schedule for the retention sweep and the history purge: what the Functions app's timer triggers do
/// hourly, every <see cref="RetentionOptions.SweepInterval"/> here (tests shorten it to seconds). Runs once at start, so a
/// host that was down catches up at once.
/// </summary>
internal sealed partial class RetentionSweepService(
    RetentionSweep sweep,
    HistoryPurge purge,
    DurableTaskClient client,
    IOptions<RetentionOptions> options,
    ILogger<RetentionSweepService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval);
        do
        {
            try
            {
                await sweep.RunAsync(client, stoppingToken).ConfigureAwait(false);
                await purge.RunAsync(client, stoppingToken).ConfigureAwait(false);
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
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The retention sweep failed ({ErrorType}); retrying at the next tick")]
    private static partial void LogSweepFailed(ILogger logger, string errorType);
}
