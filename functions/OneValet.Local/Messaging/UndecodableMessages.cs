using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Specialized;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Messaging;

namespace OneValet.Local.Messaging;

/// <summary>
/// The local host's queues carry base64 (<see cref="QueueMessageEncoding.Base64"/>). A message that is not base64 (another
/// producer, or <c>az storage message put</c> without <c>--encoding</c>) would otherwise fail the whole receive it arrives in,
/// again at every retry: one bad message would stop its queue and make the dead-letter list answer 500. Instead, as
/// Service Bus would, it is dead-lettered with its reason, kept as received (its text in the envelope's body, so nothing is
/// lost and it can be looked at), and deleted from its queue; the messages around it are handled as usual.
/// </summary>
internal static class UndecodableMessages
{
    public const string Reason = "not-base64";

    public static QueueClientOptions Options()
    {
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        options.MessageDecodingFailed += DeadLetterAsync;
        return options;
    }

    private static async Task DeadLetterAsync(QueueMessageDecodingFailedEventArgs args)
    {
        // Received from a work queue: move it. A peek (the dead-letter list) only leaves it out; a poison queue's own
        // undecodable message (written there by hand) is left where it is.
        if (args.ReceivedMessage is not { } message || args.Queue.Name.EndsWith("-poison", StringComparison.Ordinal))
        {
            return;
        }

        var poison = args.Queue.GetParentQueueServiceClient().GetQueueClient(StorageQueueTransport.PoisonName(args.Queue.Name));
        var kept = new StorageEnvelope(
            "undecodable-" + message.MessageId,
            JsonSerializer.SerializeToElement(message.Body.ToString(), ApiJson.Options),
            Reason,
            "the message was not base64, as the local host's queues are; kept as received");
        await poison.SendMessageAsync(BinaryData.FromObjectAsJson(kept, ApiJson.Options), cancellationToken: args.CancellationToken).ConfigureAwait(false);
        await args.Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, args.CancellationToken).ConfigureAwait(false);
    }
}
