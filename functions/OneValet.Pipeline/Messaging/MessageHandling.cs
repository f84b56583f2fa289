namespace OneValet.Pipeline.Messaging;

/// <summary>What becomes of a message after its handler ran.</summary>
public enum MessageDisposition
{
    /// <summary>Done (or nothing to do): remove it.</summary>
    Complete,

    /// <summary>A transient failure: deliver it again later.</summary>
    Retry,

    /// <summary>It can never succeed: set it aside with the reason, for people to look at and replay.</summary>
    DeadLetter,
}

/// <summary>A handler's verdict; the reason is a short code with no personal data.</summary>
public sealed record HandlerResult(MessageDisposition Disposition, string? Reason = null)
{
    public static HandlerResult Done { get; } = new(MessageDisposition.Complete);

    public static HandlerResult RetryLater(string reason) => new(MessageDisposition.Retry, reason);

    public static HandlerResult Reject(string reason) => new(MessageDisposition.DeadLetter, reason);
}

/// <summary>Every queue's handler, the same in both hosts: the Functions app's Service Bus triggers and the local host's
/// queue processor call <see cref="HandleAsync"/> with the message id and body they received.</summary>
public sealed class MessageHandlers(Notifications.NotificationDispatcher notifications, Disclosures.RoommateAlerts roommates, Telemetry.PipelineMetrics metrics)
{
    /// <summary>After this many deliveries a message that keeps failing is dead-lettered (Service Bus: MaxDeliveryCount).</summary>
    public const int MaxDeliveries = 10;

    public async Task<HandlerResult> HandleAsync(string queue, string messageId, BinaryData body, CancellationToken cancellationToken)
    {
        var result = await (queue switch
        {
            Queues.Notifications => notifications.HandleAsync(body, cancellationToken),
            Queues.SettingChanges => roommates.HandleAsync(body, cancellationToken),
            _ => Task.FromResult(HandlerResult.Reject("unknown-queue")),
        }).ConfigureAwait(false);
        if (result.Disposition == MessageDisposition.DeadLetter)
        {
            // The dead-letter alert (bicep/modules/alerts.bicep) reads this; the broker's own dead letters (deliveries
            // exhausted, expiry) are Service Bus's DeadletteredMessages metric.
            metrics.DeadLettered.Add(1, new KeyValuePair<string, object?>("queue", queue), new KeyValuePair<string, object?>("reason", result.Reason));
        }

        return result;
    }
}
