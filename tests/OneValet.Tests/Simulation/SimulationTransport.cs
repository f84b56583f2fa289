using System.Collections.Concurrent;
using OneValet.Pipeline.Messaging;

namespace OneValet.Tests.Simulation;

/// <summary>
/// The message queues of a simulation, in memory: the pipeline publishes to it as to Service Bus or Azurite queues, and the
/// simulation drains it through the pipeline's own <see cref="MessageHandlers"/> (so every notice goes through the real
/// dispatcher to the SMTP server) at the simulated time it was sent. <see cref="Drop"/> loses messages on purpose (a
/// mutation: a notice never sent). The queue transports themselves have their own tests (Functions, EndToEnd).
/// </summary>
internal sealed class SimulationTransport : IMessageTransport
{
    private readonly ConcurrentQueue<(string Queue, string MessageId, BinaryData Body)> _queue = new();

    /// <summary>Message ids to lose (a mutation); null: none.</summary>
    public Func<string, bool>? Drop { get; set; }

    public List<string> Dropped { get; } = [];

    public int Sent { get; private set; }

    public int Pending => _queue.Count;

    public Task SendAsync(string queue, string messageId, BinaryData body, CancellationToken cancellationToken)
    {
        if (Drop?.Invoke(messageId) == true)
        {
            lock (Dropped)
            {
                Dropped.Add(messageId);
            }

            return Task.CompletedTask;
        }

        _queue.Enqueue((queue, messageId, body));
        return Task.CompletedTask;
    }

    public async Task SendBatchAsync(string queue, IReadOnlyList<(string MessageId, BinaryData Body)> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        foreach (var (id, body) in messages)
        {
            await SendAsync(queue, id, body, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task<IReadOnlyList<DeadLetter>> PeekDeadLettersAsync(string queue, int max, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<DeadLetter>>([]);

    public Task<int> ReplayDeadLettersAsync(string queue, int max, CancellationToken cancellationToken) => Task.FromResult(0);

    /// <summary>Hands every queued message to the handlers (and what they queue in turn); <paramref name="seen"/> sees each
    /// first (the simulation reads its verification codes' issue ids there). Returns the dispositions other than Complete.</summary>
    public async Task<List<string>> DrainAsync(MessageHandlers handlers, Func<string, Task> seen)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        var problems = new List<string>();
        while (_queue.TryDequeue(out var message))
        {
            await seen(message.MessageId).ConfigureAwait(false);
            var result = await handlers.HandleAsync(message.Queue, message.MessageId, message.Body, default).ConfigureAwait(false);
            Sent++;
            if (result.Disposition != MessageDisposition.Complete)
            {
                problems.Add($"{message.Queue}/{message.MessageId}: {result.Disposition} {result.Reason}");
            }
        }

        return problems;
    }
}
