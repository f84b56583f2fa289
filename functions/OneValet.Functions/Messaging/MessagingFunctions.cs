using Azure.Messaging.ServiceBus;
using Microsoft.Azure.Functions.Worker;
using OneValet.Pipeline.Messaging;

namespace OneValet.Functions.Messaging;

/// <summary>
/// One Service Bus trigger per queue of <see cref="Queues"/>: binds the message, hands it to the same
/// <see cref="MessageHandlers"/> the local host's queue processor calls, and settles it as the handler says: complete,
/// abandon (Service Bus redelivers, and dead-letters after MaxDeliveryCount), or dead-letter with the handler's reason.
/// Connection "ServiceBus" reads <c>ServiceBus__fullyQualifiedNamespace</c> (identity-based; bicep/modules/functionApp.bicep).
/// </summary>
public sealed class MessagingFunctions(MessageHandlers handlers)
{
    [Function("HandleNotification")]
    public Task HandleNotificationAsync(
        [ServiceBusTrigger(Queues.Notifications, Connection = "ServiceBus", AutoCompleteMessages = false)] ServiceBusReceivedMessage message,
        ServiceBusMessageActions actions,
        CancellationToken cancellationToken) =>
        HandleAsync(Queues.Notifications, message, actions, cancellationToken);

    [Function("HandleSettingChange")]
    public Task HandleSettingChangeAsync(
        [ServiceBusTrigger(Queues.SettingChanges, Connection = "ServiceBus", AutoCompleteMessages = false)] ServiceBusReceivedMessage message,
        ServiceBusMessageActions actions,
        CancellationToken cancellationToken) =>
        HandleAsync(Queues.SettingChanges, message, actions, cancellationToken);

    /// <summary>The settlement rule, shared by every trigger.</summary>
    internal async Task HandleAsync(string queue, ServiceBusReceivedMessage message, ServiceBusMessageActions actions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(actions);
        var result = await handlers.HandleAsync(queue, message.MessageId, message.Body, cancellationToken).ConfigureAwait(false);
        switch (result.Disposition)
        {
            case MessageDisposition.Complete:
                await actions.CompleteMessageAsync(message, cancellationToken).ConfigureAwait(false);
                break;
            case MessageDisposition.Retry:
                await actions.AbandonMessageAsync(message, null, cancellationToken).ConfigureAwait(false);
                break;
            default:
                await actions.DeadLetterMessageAsync(message, null, result.Reason, $"after {message.DeliveryCount} deliveries", cancellationToken).ConfigureAwait(false);
                break;
        }
    }
}
