using System.Text.Json;
using Azure.Messaging.ServiceBus;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Configuration;

namespace OneValet.Pipeline.Messaging;

/// <summary>A message that could not be handled, with the reason it was set aside.</summary>
public sealed record DeadLetter(string MessageId, string Reason, string? Description, DateTimeOffset? EnqueuedAt, int DeliveryCount);

/// <summary>
/// The pipeline's queues (<see cref="Queues"/>): Service Bus in Azure (<see cref="ServiceBusTransport"/>), Azurite queues on
/// the local host (<see cref="StorageQueueTransport"/>). Message ids are stable keys made from what the message is about
/// (Service Bus drops a resend within its duplicate-detection window; handlers are idempotent on the same keys either way).
/// A message that cannot be handled is dead-lettered with a reason, listed by <see cref="PeekDeadLettersAsync"/> and put
/// back by <see cref="ReplayDeadLettersAsync"/>: nothing is lost.
/// </summary>
public interface IMessageTransport
{
    Task SendAsync(string queue, string messageId, BinaryData body, CancellationToken cancellationToken);

    Task SendBatchAsync(string queue, IReadOnlyList<(string MessageId, BinaryData Body)> messages, CancellationToken cancellationToken);

    Task<IReadOnlyList<DeadLetter>> PeekDeadLettersAsync(string queue, int max, CancellationToken cancellationToken);

    /// <summary>Moves up to <paramref name="max"/> dead letters back to their queue; returns how many.</summary>
    Task<int> ReplayDeadLettersAsync(string queue, int max, CancellationToken cancellationToken);
}

/// <summary>Azure Service Bus (production): one sender per queue, batches, the dead-letter subqueue.</summary>
public sealed class ServiceBusTransport(ServiceBusClient client) : IMessageTransport, IAsyncDisposable
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

    public async Task<IReadOnlyList<DeadLetter>> PeekDeadLettersAsync(string queue, int max, CancellationToken cancellationToken)
    {
        await using var receiver = client.CreateReceiver(queue, new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter });
        var messages = await receiver.PeekMessagesAsync(max, cancellationToken: cancellationToken).ConfigureAwait(false);
        return [.. messages.Select(m => new DeadLetter(m.MessageId, m.DeadLetterReason ?? "unknown", m.DeadLetterErrorDescription, m.EnqueuedTime, m.DeliveryCount))];
    }

    public async Task<int> ReplayDeadLettersAsync(string queue, int max, CancellationToken cancellationToken)
    {
        await using var receiver = client.CreateReceiver(queue, new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter });
        var replayed = 0;
        while (replayed < max)
        {
            var batch = await receiver.ReceiveMessagesAsync(Math.Min(100, max - replayed), TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                break;
            }

            foreach (var message in batch)
            {
                // A new transport id, or duplicate detection would drop the replay; the handlers de-duplicate on the
                // notification's own key, which the body keeps.
                await Sender(queue).SendMessageAsync(new ServiceBusMessage(message.Body) { MessageId = message.MessageId + ":replay:" + Guid.NewGuid().ToString("N")[..8], ContentType = "application/json" }, cancellationToken).ConfigureAwait(false);
                await receiver.CompleteMessageAsync(message, cancellationToken).ConfigureAwait(false);
                replayed++;
            }
        }

        return replayed;
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

/// <summary>
/// Azure Storage queues (Azurite on the local host): durable, at-least-once. The stable message id travels in an envelope
/// with the body; the dead-letter queue is <c>{queue}-poison</c>, whose envelopes also carry the reason.
/// </summary>
public sealed class StorageQueueTransport(QueueServiceClient client, IOptions<StorageOptions> options) : IMessageTransport
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, QueueClient> _queues = new(StringComparer.Ordinal);

    public Task SendAsync(string queue, string messageId, BinaryData body, CancellationToken cancellationToken) =>
        Queue(queue).SendMessageAsync(StorageEnvelope.Wrap(messageId, body), cancellationToken: cancellationToken);

    public async Task SendBatchAsync(string queue, IReadOnlyList<(string MessageId, BinaryData Body)> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var q = Queue(queue);
        await Parallel.ForEachAsync(messages, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (m, ct) =>
            await q.SendMessageAsync(StorageEnvelope.Wrap(m.MessageId, m.Body), cancellationToken: ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<DeadLetter>> PeekDeadLettersAsync(string queue, int max, CancellationToken cancellationToken)
    {
        var peeked = await Queue(PoisonName(queue)).PeekMessagesAsync(Math.Clamp(max, 1, 32), cancellationToken).ConfigureAwait(false);
        return [.. peeked.Value.Select(m =>
        {
            var envelope = StorageEnvelope.Parse(m.Body);
            return new DeadLetter(envelope?.MessageId ?? "unreadable", envelope?.DeadLetterReason ?? "unreadable", envelope?.DeadLetterDescription, m.InsertedOn, (int)m.DequeueCount);
        })];
    }

    public async Task<int> ReplayDeadLettersAsync(string queue, int max, CancellationToken cancellationToken)
    {
        var poison = Queue(PoisonName(queue));
        var replayed = 0;
        while (replayed < max)
        {
            var received = await poison.ReceiveMessagesAsync(Math.Min(32, max - replayed), TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
            if (received.Value.Length == 0)
            {
                break;
            }

            foreach (var m in received.Value)
            {
                var envelope = StorageEnvelope.Parse(m.Body);
                if (envelope is not null)
                {
                    await Queue(queue).SendMessageAsync(BinaryData.FromObjectAsJson(envelope with { DeadLetterReason = null, DeadLetterDescription = null }, Api.ApiJson.Options), cancellationToken: cancellationToken).ConfigureAwait(false);
                }

                await poison.DeleteMessageAsync(m.MessageId, m.PopReceipt, cancellationToken).ConfigureAwait(false);
                replayed++;
            }
        }

        return replayed;
    }

    /// <summary>The queue client, with the emulator prefix applied.</summary>
    public QueueClient Queue(string name) => _queues.GetOrAdd(name, n => client.GetQueueClient(options.Value.QueuePrefix + n));

    public static string PoisonName(string queue) => queue + "-poison";
}

/// <summary>A Storage queue message: the stable id, the body, and once dead-lettered the reason.</summary>
public sealed record StorageEnvelope(string MessageId, JsonElement Body, string? DeadLetterReason = null, string? DeadLetterDescription = null)
{
    public static BinaryData Wrap(string messageId, BinaryData body)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var document = JsonDocument.Parse(body);
        return BinaryData.FromObjectAsJson(new StorageEnvelope(messageId, document.RootElement.Clone()), Api.ApiJson.Options);
    }

    /// <summary>The envelope, or null when the message is not one (it is dead-lettered as malformed).</summary>
    public static StorageEnvelope? Parse(BinaryData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        try
        {
            var envelope = data.ToObjectFromJson<StorageEnvelope>(Api.ApiJson.Options);
            return envelope is { MessageId.Length: > 0 } ? envelope : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
