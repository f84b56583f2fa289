using System.Text.Json;

namespace OneValet.Pipeline.Messaging;

/// <summary>Who a notification goes to, by reference only: the dispatcher looks the address up when it sends, so no
/// address or name ever sits in a queue.</summary>
public enum RecipientKind
{
    /// <summary>A resident, by pseudonymous resident id.</summary>
    Resident,

    /// <summary>The owner of a hold, by hold id.</summary>
    HoldOwner,

    /// <summary>The privacy office's mailbox (configuration).</summary>
    PrivacyOfficer,

    /// <summary>The authorized agent of a privacy request, by request id (O10).</summary>
    RequestAgent,

    /// <summary>The address a privacy request gave for its person, by request id: only the acknowledgement goes there, the
    /// same whether the address matched someone on file or not (issue 13); codes go to the address on file.</summary>
    RequestGivenAddress,

    /// <summary>Property management of a building, by building id (O11 correction tasks): the building's mailbox from
    /// configuration, else the default one, else the privacy office (a task never goes nowhere).</summary>
    PropertyManagement,

    /// <summary>The guardian of a minor, by the minor's resident id (O15): the guardian's address on file (a resident's
    /// email, or the contact's).</summary>
    Guardian,
}

/// <summary>Why a message is sent; decides whether opt-outs apply (O16).</summary>
public enum MessageClass
{
    /// <summary>Service and legally required messages (verification, breach, hold reviews): always sent.</summary>
    Service,

    /// <summary>Informational messages (roommate alerts): honour the informational opt-out.</summary>
    Informational,

    /// <summary>Offers: honour the offers opt-out.</summary>
    Offer,
}

/// <summary>
/// One email to one recipient, as queued on <see cref="Queues.Notifications"/>. <see cref="NotificationId"/> is the stable
/// key (e.g. "breach-{incident}-{resident}"): the dispatcher records delivery under it, in the partition of its
/// <see cref="Campaign"/> (e.g. "breach-{incident}"), and never sends it twice.
/// Values are ids, dates and reasons; no personal data, and no secret: a verification code is rendered by the dispatcher at
/// send time from the request id and issue id (issue 13), so a queued or dead-lettered copy verifies nothing.
/// </summary>
public sealed record NotificationRequest(
    string NotificationId,
    string Campaign,
    string Template,
    RecipientKind RecipientKind,
    string RecipientId,
    MessageClass Class,
    IReadOnlyDictionary<string, string> Values);

/// <summary>Queues notifications for the dispatcher.</summary>
public sealed class NotificationPublisher(IMessageTransport queue)
{
    public Task PublishAsync(NotificationRequest notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        return queue.SendAsync(Queues.Notifications, notification.NotificationId, BinaryData.FromObjectAsJson(notification, Api.ApiJson.Options), cancellationToken);
    }

    public Task PublishBatchAsync(IReadOnlyList<NotificationRequest> notifications, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notifications);
        return queue.SendBatchAsync(
            Queues.Notifications,
            [.. notifications.Select(n => (n.NotificationId, BinaryData.FromObjectAsJson(n, Api.ApiJson.Options)))],
            cancellationToken);
    }

    public static NotificationRequest Parse(BinaryData body) =>
        body.ToObjectFromJson<NotificationRequest>(Api.ApiJson.Options) ?? throw new JsonException("An empty notification.");
}
