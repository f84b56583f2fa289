using Azure;
using Azure.Storage.Queues.Models;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Messaging;

namespace OneValet.Local.Messaging;

/// <summary>
/// The local stand-in for the Functions app's Service Bus triggers: receives from each Azurite queue and hands every message
/// to the same <see cref="MessageHandlers"/>. Complete deletes it; Retry makes it visible again after a growing delay;
/// DeadLetter, a malformed envelope, or more than <see cref="MessageHandlers.MaxDeliveries"/> deliveries move it to
/// <c>{queue}-poison</c> with the reason (what Service Bus's dead-letter subqueue does). A message is deleted only after its
/// handler finished, so a kill -9 loses nothing: it comes back when its visibility timeout ends.
/// </summary>
internal sealed partial class QueueProcessor(
    StorageQueueTransport transport,
    MessageJournal journal,
    MessageHandlers handlers,
    ILogger<QueueProcessor> logger) : BackgroundService
{
    private static readonly TimeSpan Visibility = TimeSpan.FromSeconds(30);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Queues.All.Select(queue => Task.Run(() => RunAsync(queue, stoppingToken), stoppingToken)));

    private async Task RunAsync(string queue, CancellationToken stoppingToken)
    {
        var client = transport.Queue(queue);
        var poison = transport.Queue(StorageQueueTransport.PoisonName(queue));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var received = (await client.ReceiveMessagesAsync(32, Visibility, stoppingToken).ConfigureAwait(false)).Value;
                if (received.Length == 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200), stoppingToken).ConfigureAwait(false);
                    continue;
                }

                await Parallel.ForEachAsync(received, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = stoppingToken }, async (message, ct) =>
                    await HandleAsync(queue, client, poison, message, ct).ConfigureAwait(false)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The emulator restarting must not stop the processor; it retries.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogFailed(logger, queue, e.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task HandleAsync(string queue, Azure.Storage.Queues.QueueClient client, Azure.Storage.Queues.QueueClient poison, QueueMessage message, CancellationToken cancellationToken)
    {
        var envelope = StorageEnvelope.Parse(message.Body);
        HandlerResult result;
        if (envelope is null)
        {
            result = HandlerResult.Reject("malformed-envelope");
        }
        else if (message.DequeueCount > MessageHandlers.MaxDeliveries)
        {
            result = HandlerResult.Reject("max-delivery-count-exceeded");
        }
        else
        {
            try
            {
                result = await handlers.HandleAsync(queue, envelope.MessageId, BinaryData.FromString(envelope.Body.GetRawText()), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // A handler's unexpected failure is a retry, like a function's exception under Service Bus.
            catch (Exception e)
#pragma warning restore CA1031
            {
                result = HandlerResult.RetryLater("handler-error:" + e.GetType().Name);
            }
        }

        try
        {
            switch (result.Disposition)
            {
                case MessageDisposition.Complete:
                    await client.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
                    break;
                case MessageDisposition.Retry:
                    var delay = TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, message.DequeueCount)));
                    await client.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: delay, cancellationToken: cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    var dead = envelope is null
                        ? new StorageEnvelope("unreadable", System.Text.Json.JsonDocument.Parse("null").RootElement.Clone(), result.Reason, "the message is not an envelope")
                        : envelope with { DeadLetterReason = result.Reason, DeadLetterDescription = $"after {message.DequeueCount} deliveries" };
                    var deadBody = BinaryData.FromObjectAsJson(dead, ApiJson.Options);
                    await poison.SendMessageAsync(deadBody, cancellationToken: cancellationToken).ConfigureAwait(false);
                    journal.Append(StorageQueueTransport.PoisonName(queue), deadBody);
                    await client.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
                    LogDeadLettered(logger, queue, result.Reason ?? "unknown");
                    break;
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Its visibility ran out and another receive took it: that one decides.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Receiving from queue {Queue} failed ({ErrorType}); retrying")]
    private static partial void LogFailed(ILogger logger, string queue, string errorType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A message of queue {Queue} was dead-lettered: {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, string queue, string reason);
}
