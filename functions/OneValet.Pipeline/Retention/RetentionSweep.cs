using System.Globalization;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Durable;
using OneValet.Pipeline.Messaging;

namespace OneValet.Pipeline.Retention;

/// <summary>What a sweep did.</summary>
public sealed record SweepOutcome(int DueBuckets, int Deleted, int Held, int TimersStarted, int ReviewAlerts);

/// <summary>
/// The certain half of enforcement (O4–O7): run on a schedule (hourly in Azure), it enforces every due bucket that is
/// still open, whatever happened to its timer, so a lost timer costs at most one sweep interval; it starts the timer of
/// every bucket due within the planning horizon (the prompt half); and it alerts the owners of holds past their review date.
/// </summary>
public sealed partial class RetentionSweep(
    RetentionSchedule schedule,
    RetentionEnforcer enforcer,
    HoldRegistry holds,
    NotificationPublisher notifications,
    Requests.PrivacyRequestService requests,
    Requests.IntakeCaps intakeCaps,
    IOptions<RetentionOptions> options,
    TimeProvider time,
    Telemetry.PipelineMetrics metrics,
    ILogger<RetentionSweep> logger)
{
    private readonly RetentionOptions _options = options.Value;

    public async Task<SweepOutcome> RunAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        var timers = await StartTimersAsync(client, cancellationToken).ConfigureAwait(false);
        var (buckets, deleted, held) = await EnforceDueAsync(cancellationToken).ConfigureAwait(false);
        var alerts = await AlertOverdueReviewsAsync(cancellationToken).ConfigureAwait(false);
        alerts += await requests.AlertNearDueAsync(cancellationToken).ConfigureAwait(false);
        await intakeCaps.PurgeAsync(cancellationToken).ConfigureAwait(false); // counters of ended windows (issue 13)
        var outcome = new SweepOutcome(buckets, deleted, held, timers, alerts);
        LogSweep(logger, outcome.DueBuckets, outcome.Deleted, outcome.Held, outcome.TimersStarted, outcome.ReviewAlerts);
        return outcome;
    }

    /// <summary>Enforces every open bucket that is due now, pending and held entries alike.</summary>
    public async Task<(int Buckets, int Deleted, int Held)> EnforceDueAsync(CancellationToken cancellationToken)
    {
        int deleted = 0, held = 0;
        var due = await schedule.BucketsDueByAsync(time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        foreach (var bucket in due)
        {
            BucketOutcome outcome;
            do
            {
                outcome = await enforcer.EnforceBucketAsync(bucket.Key, includeHeld: true, cancellationToken).ConfigureAwait(false);
                deleted += outcome.Deleted;
                held += outcome.Held;
            }
            while (outcome.MorePending);
        }

        metrics.RecordSweep(deleted + held, held);
        return (due.Count, deleted, held);
    }

    /// <summary>Starts a timer orchestration for every open bucket falling due within the planning horizon. Instance ids
    /// are fixed per bucket, so starting twice is harmless.</summary>
    public async Task<int> StartTimersAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var now = time.GetUtcNow();
        var started = 0;
        foreach (var bucket in await schedule.BucketsDueByAsync(now + _options.PlanningHorizon, cancellationToken).ConfigureAwait(false))
        {
            if (bucket.DueAt <= now)
            {
                continue;
            }

            if (await DurableStarts.StartOnceAsync(
                client,
                nameof(RetentionBucketOrchestrator),
                RetentionBucketOrchestrator.InstanceIdFor(bucket.Key),
                new BucketTimerInput(bucket.Key, bucket.DueAt.UtcDateTime),
                cancellationToken).ConfigureAwait(false))
            {
                started++;
            }
        }

        return started;
    }

    /// <summary>O6: a hold past its review date alerts its owner (once a day until reviewed or released).</summary>
    public async Task<int> AlertOverdueReviewsAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var alerts = 0;
        foreach (var hold in await holds.ActiveAsync(cancellationToken).ConfigureAwait(false))
        {
            var h = hold.Document;
            if (h.ReviewBy > now || (h.LastReviewAlertAt is { } last && now - last < TimeSpan.FromDays(1)))
            {
                continue;
            }

            var day = now.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
            await notifications.PublishAsync(new NotificationRequest(
                $"hold-review-{h.HoldId}-{day}",
                $"hold-review-{h.HoldId}",
                "hold-review-due",
                RecipientKind.HoldOwner,
                h.HoldId,
                MessageClass.Service,
                new Dictionary<string, string>
                {
                    ["holdId"] = h.HoldId,
                    ["reason"] = h.Reason.ToString(),
                    ["reviewBy"] = Storage.RecordJson.Timestamp(h.ReviewBy),
                    ["itemsHeld"] = h.ItemsHeld.ToString(CultureInfo.InvariantCulture),
                }), cancellationToken).ConfigureAwait(false);
            await holds.UpdateAsync(h.HoldId, x => x with { LastReviewAlertAt = now }, cancellationToken).ConfigureAwait(false);
            alerts++;
        }

        return alerts;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention sweep: {DueBuckets} due buckets, {Deleted} deleted, {Held} held, {TimersStarted} timers started, {ReviewAlerts} hold review alerts")]
    private static partial void LogSweep(ILogger logger, int dueBuckets, int deleted, int held, int timersStarted, int reviewAlerts);
}
