using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Durable;

namespace OneValet.Pipeline.Retention;

/// <summary>
/// Deletion lag for every item (O4, O7), not only for items the planner sees in time. Called right after an item and its
/// schedule entry are written: an item already due (a late upload, a short rule, a refused upload whose claim is old) is
/// enforced at once, holds first, by the one path; an item whose bucket falls due before the planner's next pass could
/// start its timer gets that timer now (fixed instance id per bucket, so starting twice is harmless). Everything else is
/// left to the planner, which starts every bucket's timer within the planning horizon.
/// </summary>
public sealed class PromptEnforcement(RetentionEnforcer enforcer, IOptions<RetentionOptions> options, TimeProvider time)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _started = new(StringComparer.Ordinal);

    /// <summary>What the call did: <c>enforced</c>, <c>timer-started</c> or <c>planner</c>.</summary>
    public async Task<string> AfterWriteAsync(ScheduleEntry entry, BucketRecord bucket, DurableTaskClient? client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(bucket);
        var now = time.GetUtcNow();
        if (entry.Deadline <= now)
        {
            await enforcer.EnforceNowAsync(bucket.Key, entry.EntryId, cancellationToken).ConfigureAwait(false);
            return "enforced";
        }

        if (client is null || bucket.DueAt > now + options.Value.PlanInterval || _started.ContainsKey(bucket.Key))
        {
            return "planner";
        }

        await DurableStarts.StartOnceAsync(
            client,
            nameof(RetentionBucketOrchestrator),
            RetentionBucketOrchestrator.InstanceIdFor(bucket.Key),
            new BucketTimerInput(bucket.Key, bucket.DueAt.UtcDateTime),
            cancellationToken).ConfigureAwait(false);
        if (_started.Count > 10_000)
        {
            _started.Clear();
        }

        _started[bucket.Key] = bucket.DueAt;
        return "timer-started";
    }
}
