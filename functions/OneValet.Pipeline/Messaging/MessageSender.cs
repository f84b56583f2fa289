using Azure.Messaging.ServiceBus;
using Azure.Storage.Queues;

namespace OneValet.Pipeline.Messaging;

/// <summary>
/// Sends messages to the pipeline's queues (<see cref="Queues"/>). Two transports: Service Bus in Azure
/// (<see cref="ServiceBusMessageSender"/>, message id = stable key, duplicate detection on), Azurite queues on the local
/// host (<see cref="StorageQueueMessageSender"/>, with the consumer's receipts doing the de-duplication). Message ids are stable
/// keys made from what the message is about, so a retried send never makes a second email.
/// </summary>
public interface IMessageSender
{
    Task SendAsync(string queue, string messageId, BinaryData body, CancellationToken cancellationToken);

    Task SendBatchAsync(string queue, IReadOnlyList<(string MessageId, BinaryData Body)> messages, CancellationToken cancellationToken);
}

/// <summary>Azure Service Bus (production).</summary>
public sealed class ServiceBusMessageSender(ServiceBusClient client) : IMessageSender, IAsyncDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ServiceBusSender> _senders = new(StringComparer.Ordinal);

    public Task SendAsync(string queue, string messageId, BinaryData body, CancellationToken cancellationToken) =>
        Sender(queue).SendMessageAsync(new ServiceBusMessage(body) { MessageId = messageId, ContentType = "application/json" }, cancellationToken);

    public async Task SendBatchAsync(string queue, IReadOnlyList<(string MessageId, BinaryData Body)> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var sender = Sender(queue);
        var index = 0;
        while (index < messages.Count)
        {
            using var batch = await sender.CreateMessageBatchAsync(cancellationToken).ConfigureAwait(false);
            while (index < messages.Count && batch.TryAddMessage(new ServiceBusMessage(messages[index].Body) { MessageId = messages[index].MessageId, ContentType = "application/json" }))
            {
                index++;
            }

            if (batch.Count == 0)
            {
                throw new InvalidOperationException("A message is larger than a Service Bus batch.");
            }

            await sender.SendMessagesAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var sender in _senders.Values)
        {
            await sender.DisposeAsync().ConfigureAwait(false);
        }
    }

    private ServiceBusSender Sender(string queue) => _senders.GetOrAdd(queue, client.CreateSender);
}

/// <summary>Azure Storage queues (Azurite on the local host): durable, at-least-once; the message id travels in the body.</summary>
public sealed class StorageQueueMessageSender(QueueServiceClient client, Microsoft.Extensions.Options.IOptions<Configuration.StorageOptions> options) : IMessageSender
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, QueueClient> _queues = new(StringComparer.Ordinal);

    public Task SendAsync(string queue, string messageId, BinaryData body, CancellationToken cancellationToken) =>
        Queue(queue).SendMessageAsync(StorageEnvelope.Wrap(messageId, body), cancellationToken: cancellationToken);

    public async Task SendBatchAsync(string queue, IReadOnlyList<(string MessageId, BinaryData Body)> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var q = Queue(queue);
        await Parallel.ForEachAsync(messages, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (m, ct) =>
            await q.SendMessageAsync(StorageEnvelope.Wrap(m.MessageId, m.Body), cancellationToken: ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    public QueueClient Queue(string name) => _queues.GetOrAdd(name, n => client.GetQueueClient(options.Value.QueuePrefix + n));
}

/// <summary>Storage queue messages carry their stable id beside the body (Storage assigns its own ids).</summary>
public sealed record StorageEnvelope(string MessageId, System.Text.Json.JsonElement Body)
{
    public static BinaryData Wrap(string messageId, BinaryData body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return BinaryData.FromObjectAsJson(new StorageEnvelope(messageId, System.Text.Json.JsonDocument.Parse(body).RootElement), Api.ApiJson.Options);
    }
}
