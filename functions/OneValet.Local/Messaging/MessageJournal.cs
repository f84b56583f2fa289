using Microsoft.Extensions.Options;
using OneValet.Pipeline.Messaging;

namespace OneValet.Local.Messaging;

/// <summary>
/// A copy of every message the local host puts on a queue (dead letters included), one line each, in the file that
/// <c>Local:MessageJournal</c> names; off when it names none. Queues forget what was consumed: the journal is how a
/// reviewer (and the personal-data test) reads everything that ever left the process by queue. Local host only.
/// </summary>
public sealed class MessageJournal(IOptions<LocalHostOptions> options)
{
    private readonly Lock _gate = new();

    public bool Enabled => !string.IsNullOrEmpty(options.Value.MessageJournal);

    public void Append(string queue, BinaryData body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (!Enabled)
        {
            return;
        }

        lock (_gate)
        {
            File.AppendAllText(options.Value.MessageJournal!, queue + "\t" + body.ToString().ReplaceLineEndings(" ") + "\n");
        }
    }
}

/// <summary>The local host's transport with every sent message copied to the <see cref="MessageJournal"/>.</summary>
public sealed class JournalingTransport(StorageQueueTransport inner, MessageJournal journal) : IMessageTransport
{
    public async Task SendAsync(string queue, string messageId, BinaryData body, CancellationToken cancellationToken)
    {
        await inner.SendAsync(queue, messageId, body, cancellationToken).ConfigureAwait(false);
        journal.Append(queue, body);
    }

    public async Task SendBatchAsync(string queue, IReadOnlyList<(string MessageId, BinaryData Body)> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        await inner.SendBatchAsync(queue, messages, cancellationToken).ConfigureAwait(false);
        foreach (var (_, body) in messages)
        {
            journal.Append(queue, body);
        }
    }

    public Task<IReadOnlyList<DeadLetter>> PeekDeadLettersAsync(string queue, int max, CancellationToken cancellationToken) =>
        inner.PeekDeadLettersAsync(queue, max, cancellationToken);

    public Task<int> ReplayDeadLettersAsync(string queue, int max, CancellationToken cancellationToken) =>
        inner.ReplayDeadLettersAsync(queue, max, cancellationToken);
}
