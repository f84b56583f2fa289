using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace OneValet.Pipeline.Durable;

/// <summary>Starting an orchestration with a fixed instance id: the race-free way to make it a singleton.</summary>
public static class DurableStarts
{
    /// <summary>Starts the orchestration unless an instance with that id exists (running, pending or finished).
    /// Returns true when this call started it. Check-then-start would race; this starts, and only on refusal looks.</summary>
    public static async Task<bool> StartOnceAsync(DurableTaskClient client, string orchestrator, string instanceId, object input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(orchestrator, input, new StartOrchestrationOptions(instanceId), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (await client.GetInstanceAsync(instanceId, cancellationToken).ConfigureAwait(false) is not null)
            {
                return false;
            }

            throw;
        }
    }
}
