using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Retention;

namespace OneValet.Pipeline.Durable;

/// <summary>
/// Orchestration inputs, outputs and history sit unencrypted in the task hub and are never purged by themselves; the
/// pipeline passes ids only, and still purges every finished instance once it is older than
/// <see cref="RetentionOptions.OrchestrationHistory"/> (history is personal data too: it says who asked for what).
/// </summary>
public sealed class HistoryPurge(IOptions<RetentionOptions> options, TimeProvider time)
{
    public async Task<int> RunAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var filter = new PurgeInstancesFilter(
            CreatedFrom: DateTimeOffset.UnixEpoch,
            CreatedTo: time.GetUtcNow() - options.Value.OrchestrationHistory,
            Statuses: [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated]);
        var result = await client.PurgeAllInstancesAsync(filter, cancellationToken).ConfigureAwait(false);
        return result.PurgedInstanceCount;
    }
}
