using Microsoft.DurableTask;

namespace OneValet.Pipeline.Retention;

/// <summary>Input of a bucket timer: ids and a time only.</summary>
public sealed record BucketTimerInput(string BucketKey, DateTime DueAtUtc);

/// <summary>
/// The prompt half of enforcement: one instance per due bucket (instance id <c>retention-{bucket}</c>, never per item),
/// started by the sweep within the planning horizon so its timer is short. Wakes when the bucket falls due and enforces it
/// in batches; each batch is one activity call, and long buckets continue as new so the history stays small.
/// </summary>
public sealed class RetentionBucketOrchestrator : TaskOrchestrator<BucketTimerInput, int>
{
    public static string InstanceIdFor(string bucketKey) => "retention-" + bucketKey;

    public override async Task<int> RunAsync(TaskOrchestrationContext context, BucketTimerInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        if (context.CurrentUtcDateTime < input.DueAtUtc)
        {
            await context.CreateTimer(input.DueAtUtc, CancellationToken.None);
        }

        var retry = TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(2), backoffCoefficient: 2));
        var deleted = 0;
        for (var batch = 0; batch < 20; batch++)
        {
            var outcome = await context.CallActivityAsync<BucketOutcome>(nameof(EnforceBucketActivity), input.BucketKey, retry);
            deleted += outcome.Deleted;
            if (!outcome.MorePending)
            {
                return deleted;
            }
        }

        context.ContinueAsNew(input with { DueAtUtc = context.CurrentUtcDateTime });
        return deleted;
    }
}

/// <summary>One batch of a bucket's pending entries, through the one deletion path.</summary>
public sealed class EnforceBucketActivity(RetentionEnforcer enforcer) : TaskActivity<string, BucketOutcome>
{
    public override Task<BucketOutcome> RunAsync(TaskActivityContext context, string input) =>
        enforcer.EnforceBucketAsync(input, includeHeld: false, CancellationToken.None);
}

/// <summary>
/// Enforces every due bucket now, held items included: started when a hold is released, so overdue items go within
/// moments instead of at the next sweep (O6). Instance id per release, so a retried release does it once.
/// </summary>
public sealed class EnforceDueOrchestrator : TaskOrchestrator<string, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, string input)
    {
        ArgumentNullException.ThrowIfNull(context);
        return await context.CallActivityAsync<int>(
            nameof(EnforceDueActivity), input, TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(2), backoffCoefficient: 2)));
    }
}

/// <summary>The sweep's enforcement of due buckets, as an activity.</summary>
public sealed class EnforceDueActivity(RetentionSweep sweep) : TaskActivity<string, int>
{
    public override async Task<int> RunAsync(TaskActivityContext context, string input) =>
        (await sweep.EnforceDueAsync(CancellationToken.None).ConfigureAwait(false)).Deleted;
}
