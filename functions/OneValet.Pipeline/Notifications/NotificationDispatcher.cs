using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Notifications;

/// <summary>Where one notification is.</summary>
public enum DeliveryStatus
{
    /// <summary>Handed to the mail server; the outcome of that attempt is not recorded yet.</summary>
    Sending,

    /// <summary>The mail server accepted it.</summary>
    Sent,

    /// <summary>The mail server refused it for good (a bounce); the privacy officer was told.</summary>
    Bounced,

    /// <summary>Not sent, on purpose: the person opted out of this class of message (O16), or has no address on file.</summary>
    Skipped,
}

/// <summary>The delivery record of one notification (container <c>deliveries</c>, partition = campaign). Ids and codes
/// only: no address, no name.</summary>
public sealed record DeliveryRecord
{
    public required string NotificationId { get; init; }

    public required string Campaign { get; init; }

    public required string RecipientId { get; init; }

    public required DeliveryStatus Status { get; init; }

    public string? Reason { get; init; }

    public int Attempts { get; init; }

    /// <summary>An earlier attempt ended without its outcome recorded (a crash between the mail server's "accepted" and
    /// the record), so this one may have sent a second copy; the copies share one Message-ID, which mail clients de-duplicate.</summary>
    public bool ResentAfterUnknownOutcome { get; init; }

    public DateTimeOffset? SentAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>
/// The one email dispatcher (O13, O14, O16): resolves the recipient by reference, honours opt-outs for informational and
/// offer messages (service and legally required messages ignore them), renders the template, sends over SMTP, records the
/// delivery per recipient, retries transient failures, and reports bounces to the privacy officer. Idempotent on the
/// notification id: a redelivered or replayed message is never sent twice once its delivery is recorded.
/// </summary>
public sealed partial class NotificationDispatcher(
    IRecordStore store,
    EmailSender email,
    NotificationPublisher publisher,
    IOptions<EmailOptions> options,
    Requests.VerificationCodes codes,
    Retention.RetentionSchedule schedule,
    Retention.RetentionPolicy policy,
    TimeProvider time,
    Telemetry.PipelineMetrics metrics,
    AuditLog audit,
    ILogger<NotificationDispatcher> logger) : IDisposable
{
    private readonly SemaphoreSlim _sending = new(1, 1);

    public void Dispose() => _sending.Dispose();

    public async Task<HandlerResult> HandleAsync(BinaryData body, CancellationToken cancellationToken)
    {
        NotificationRequest notification;
        try
        {
            notification = NotificationPublisher.Parse(body);
        }
        catch (System.Text.Json.JsonException)
        {
            return HandlerResult.Reject("malformed-notification");
        }

        if (string.IsNullOrWhiteSpace(notification.NotificationId) || string.IsNullOrWhiteSpace(notification.Campaign)
            || notification.NotificationId.Length > 200 || notification.Campaign.Length > 200)
        {
            return HandlerResult.Reject("malformed-notification");
        }

        var stored = await store.ReadAsync<DeliveryRecord>(Containers.Deliveries, notification.Campaign, notification.NotificationId, cancellationToken).ConfigureAwait(false);
        var previous = stored?.Document;
        if (previous?.Status is DeliveryStatus.Sent or DeliveryStatus.Bounced or DeliveryStatus.Skipped)
        {
            return HandlerResult.Done;
        }

        var now = time.GetUtcNow();
        var recipient = await ResolveAsync(notification, cancellationToken).ConfigureAwait(false);
        if (recipient.Address is null || !recipient.Wants)
        {
            await RecordAsync(notification, previous, DeliveryStatus.Skipped, recipient.Address is null ? "no-address" : "opted-out", now, cancellationToken).ConfigureAwait(false);
            if (recipient.Address is not null)
            {
                await AuditChoiceAsync(notification, sent: false, now, cancellationToken).ConfigureAwait(false);
            }

            return HandlerResult.Done;
        }

        // Audited before the send: a crash after the mail server took it never leaves a sent choice without its entry.
        await AuditChoiceAsync(notification, sent: true, now, cancellationToken).ConfigureAwait(false);
        if (notification.Template == Requests.PrivacyRequestService.VerificationCodeTemplate)
        {
            // The code is made here, at send time, from the stored nonce and the secret; the queued message holds ids only.
            // A code no longer pending (used, expired, replaced, the request closed) is not sent.
            var code = await codes.CodeForMailAsync(notification.Values.GetValueOrDefault("requestId") ?? string.Empty, notification.Values.GetValueOrDefault("issue") ?? string.Empty, cancellationToken).ConfigureAwait(false);
            if (code is null)
            {
                await RecordAsync(notification, previous, DeliveryStatus.Skipped, "code-not-pending", now, cancellationToken).ConfigureAwait(false);
                return HandlerResult.Done;
            }

            notification = notification with { Values = new Dictionary<string, string>(notification.Values) { ["code"] = code } };
        }

        // Free text a person wrote (an incident's description, an extension's reason) is read from its record here, at send
        // time: the queued message carries ids only, so no queue, dead letter or journal holds what someone typed (issue 13).
        notification = await WithStoredTextAsync(notification, cancellationToken).ConfigureAwait(false);
        var (subject, text) = NotificationTemplates.Render(notification);
        var unknownOutcome = previous?.Status == DeliveryStatus.Sending;

        // One send at a time (the sender keeps one SMTP connection anyway): "sending" is written just before the mail
        // server gets the message, so after a crash at most one notice is in the unknown state, not every queued one.
        EmailOutcome outcome;
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The same notice may be handled twice at once (a redelivered or replayed message beside the original): the one
            // that waited for the send slot looks again, and does not send what the other has sent meanwhile.
            var current = (await store.ReadAsync<DeliveryRecord>(Containers.Deliveries, notification.Campaign, notification.NotificationId, cancellationToken).ConfigureAwait(false))?.Document;
            if (current?.Status is DeliveryStatus.Sent or DeliveryStatus.Bounced or DeliveryStatus.Skipped)
            {
                return HandlerResult.Done;
            }

            await RecordAsync(notification, previous, DeliveryStatus.Sending, null, time.GetUtcNow(), cancellationToken, unknownOutcome).ConfigureAwait(false);
            outcome = await email.SendAsync(new OutgoingEmail(notification.NotificationId, recipient.Address, subject, text), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sending.Release();
        }

        switch (outcome)
        {
            case EmailOutcome.Delivered:
                await RecordAsync(notification, previous, DeliveryStatus.Sent, null, time.GetUtcNow(), cancellationToken, unknownOutcome).ConfigureAwait(false);
                metrics.NoticesDelivered.Add(1, new("template", notification.Template), new("outcome", "sent"));
                return HandlerResult.Done;
            case EmailOutcome.PermanentFailure bounce:
                await RecordAsync(notification, previous, DeliveryStatus.Bounced, bounce.Reason, time.GetUtcNow(), cancellationToken, unknownOutcome).ConfigureAwait(false);
                LogBounced(logger, notification.Campaign, bounce.Reason);
                metrics.NoticesDelivered.Add(1, new("template", notification.Template), new("outcome", "bounced"));
                if (notification.RecipientKind != RecipientKind.PrivacyOfficer)
                {
                    await publisher.PublishAsync(new NotificationRequest(
                        "bounce-" + notification.NotificationId,
                        "bounces",
                        "bounce-report",
                        RecipientKind.PrivacyOfficer,
                        "privacy-office",
                        MessageClass.Service,
                        new Dictionary<string, string>
                        {
                            ["notificationId"] = notification.NotificationId,
                            ["campaign"] = notification.Campaign,
                            ["recipientKind"] = notification.RecipientKind.ToString(),
                            ["recipientId"] = notification.RecipientId,
                            ["reason"] = bounce.Reason,
                        }), cancellationToken).ConfigureAwait(false);
                }

                return HandlerResult.Done;
            default:
                // The record stays "sending": a transient failure (a timeout after the data, say) may still have sent it,
                // so the retry is counted as a possible second copy rather than claimed to be the first.
                return HandlerResult.RetryLater((outcome as EmailOutcome.TransientFailure)?.Reason ?? "transient");
        }
    }

    private async Task<(string? Address, bool Wants)> ResolveAsync(NotificationRequest notification, CancellationToken cancellationToken)
    {
        switch (notification.RecipientKind)
        {
            case RecipientKind.Resident:
                var resident = await store.ReadAsync<ResidentRecord>(Containers.Residents, notification.RecipientId, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false);
                if (resident is null)
                {
                    return (null, false);
                }

                var wants = notification.Class switch
                {
                    MessageClass.Informational => resident.Document.Messages.Informational,
                    MessageClass.Offer => resident.Document.Messages.Offers,
                    _ => true,
                };
                return (resident.Document.Email, wants);
            case RecipientKind.RequestAgent:
                var request = await store.ReadAsync<Requests.PrivacyRequestRecord>(Containers.Requests, notification.RecipientId, Requests.PrivacyRequestRecord.DocumentId, cancellationToken).ConfigureAwait(false);
                var agentEmail = request?.Document.Agent?.Email;
                return (agentEmail is not null && agentEmail.Contains('@', StringComparison.Ordinal) ? agentEmail : null, true);
            case RecipientKind.RequestGivenAddress:
                var given = await store.ReadAsync<Requests.PrivacyRequestRecord>(Containers.Requests, notification.RecipientId, Requests.PrivacyRequestRecord.DocumentId, cancellationToken).ConfigureAwait(false);
                var givenEmail = given?.Document.GivenEmail;
                return (givenEmail is not null && givenEmail.Contains('@', StringComparison.Ordinal) ? givenEmail : null, true);
            case RecipientKind.HoldOwner:
                var hold = await store.ReadAsync<HoldRecord>(Containers.Holds, HoldRegistry.Partition, notification.RecipientId, cancellationToken).ConfigureAwait(false);
                return (hold?.Document.Owner, true);
            case RecipientKind.Guardian:
                var minor = (await store.ReadAsync<ResidentRecord>(Containers.Residents, notification.RecipientId, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document;
                if (minor?.Guardian is { ResidentId: { } guardianId })
                {
                    return ((await store.ReadAsync<ResidentRecord>(Containers.Residents, guardianId, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document.Email, true);
                }

                return (minor?.Guardian?.Email, true);
            case RecipientKind.PropertyManagement:
                var mailboxes = options.Value;
                return (new[] { mailboxes.PropertyManagementByBuilding.GetValueOrDefault(notification.RecipientId), mailboxes.PropertyManagementAddress, mailboxes.PrivacyOfficerAddress }
                    .FirstOrDefault(a => !string.IsNullOrWhiteSpace(a)), true);
            default:
                return (options.Value.PrivacyOfficerAddress, true);
        }
    }

    private async Task<NotificationRequest> WithStoredTextAsync(NotificationRequest notification, CancellationToken cancellationToken)
    {
        // A correction's field and requested value are both the person's words (a field may be written "name: ..."): both
        // are read from the record here.
        if (notification.Template is "correction-task" or "correction-escalated"
            && notification.Values.GetValueOrDefault("requestId") is { } correctionId && Ingestion.UploadName.IsValidId(correctionId)
            && (await store.ReadAsync<Requests.PrivacyRequestRecord>(Containers.Requests, correctionId, Requests.PrivacyRequestRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document.Correction is { } correction)
        {
            return notification with { Values = new Dictionary<string, string>(notification.Values) { ["field"] = correction.Field, ["requestedValue"] = correction.RequestedValue } };
        }

        string? text = notification.Template switch
        {
            "breach-notice" when notification.Values.GetValueOrDefault("incidentId") is { } incidentId && Ingestion.UploadName.IsValidId(incidentId) =>
                (await store.ReadAsync<Breaches.IncidentRecord>(Containers.Incidents, incidentId, Breaches.IncidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document.Description,
            "request-extended" when notification.Values.GetValueOrDefault("requestId") is { } requestId && Ingestion.UploadName.IsValidId(requestId) =>
                (await store.ReadAsync<Requests.PrivacyRequestRecord>(Containers.Requests, requestId, Requests.PrivacyRequestRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document.ExtensionReason,
            "request-completed" when notification.Values.GetValueOrDefault("requestId") is { } answeredId && Ingestion.UploadName.IsValidId(answeredId) =>
                (await store.ReadAsync<Requests.PrivacyRequestRecord>(Containers.Requests, answeredId, Requests.PrivacyRequestRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document.Outcome?.Summary,
            _ => null,
        };
        var key = notification.Template switch
        {
            "breach-notice" => "description",
            "request-completed" => "summary",
            _ => "reason",
        };
        return text is null ? notification : notification with { Values = new Dictionary<string, string>(notification.Values) { [key] = text } };
    }

    /// <summary>
    /// O16: a message a person may refuse (informational, offer) to a resident is audited as allowed (about to be sent) or
    /// skipped, with the choice
    /// the dispatcher read and the person's pseudonymous id (no address), so the compliance report can set it against the
    /// person's audited changes of choices. Service and legally required messages are not choices and are not audited here.
    /// </summary>
    private Task AuditChoiceAsync(NotificationRequest n, bool sent, DateTimeOffset at, CancellationToken cancellationToken) =>
        n.Class is not (MessageClass.Informational or MessageClass.Offer) || n.RecipientKind != RecipientKind.Resident
            ? Task.CompletedTask
            : audit.WriteAsync(AuditLog.IdFor("message-choice", n.Campaign, n.NotificationId), new AuditRecord
            {
                Action = sent ? "message-allowed" : "message-skipped",
                ItemRef = $"deliveries/{n.Campaign}/{n.NotificationId}",
                Category = n.Class == MessageClass.Offer ? "offers" : "informational",
                Obligation = "O16",
                ReasonCode = sent ? "opted-in" : "opted-out",
                How = n.Template,
                SubjectId = n.RecipientId,
                At = at,
                DoneAt = at,
            }, cancellationToken);

    private async Task RecordAsync(NotificationRequest n, DeliveryRecord? previous, DeliveryStatus status, string? reason, DateTimeOffset now, CancellationToken cancellationToken, bool resent = false)
    {
        if (previous is null && status is DeliveryStatus.Sending or DeliveryStatus.Skipped && !n.Campaign.StartsWith("breach-", StringComparison.Ordinal))
        {
            // O13, O14, O16: the delivery record's own rule, from its first attempt (a breach's records go with its incident,
            // O14's 24 months). Written before the record, so no record is ever without its deadline.
            var rule = policy.ForDelivery();
            await schedule.AddAsync(new Retention.ScheduleEntry
            {
                Kind = Retention.ItemKind.Delivery,
                ItemPartition = n.Campaign,
                ItemId = n.NotificationId,
                SubjectId = n.RecipientKind == RecipientKind.Resident ? n.RecipientId : null,
                BuildingId = "deliveries",
                EventAt = now,
                Category = "communications",
                Rule = rule,
                Deadline = rule.DeadlineFrom(now),
            }, cancellationToken).ConfigureAwait(false);
        }

        await store.UpsertAsync(Containers.Deliveries, n.Campaign, n.NotificationId, new DeliveryRecord
        {
            NotificationId = n.NotificationId,
            Campaign = n.Campaign,
            RecipientId = n.RecipientId,
            Status = status,
            Reason = reason,
            Attempts = (previous?.Attempts ?? 0) + (status == DeliveryStatus.Sending ? 1 : 0),
            ResentAfterUnknownOutcome = resent || (previous?.ResentAfterUnknownOutcome ?? false),
            SentAt = status == DeliveryStatus.Sent ? now : previous?.SentAt,
            UpdatedAt = now,
        }, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A notification of campaign {Campaign} bounced ({Reason}); the privacy officer is told")]
    private static partial void LogBounced(ILogger logger, string campaign, string reason);
}

/// <summary>The texts of the pipeline's emails. Values are ids, codes and dates: nothing personal is interpolated.</summary>
public static class NotificationTemplates
{
    /// <summary>A denial's reason code in words (codes not listed are shown as they are).</summary>
    public static string DenialText(string reason) => reason switch
    {
        "correction-not-made-by-due-date" =>
            "the correction was not made: property management did not confirm it by the legal due date, so your information stays as it was (you may ask again)",
        "correction-declined-by-property-management" => "property management declined the correction (its reason is in the answer to your request)",
        _ => reason,
    };

    public static (string Subject, string Text) Render(NotificationRequest notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        string V(string key) => notification.Values.TryGetValue(key, out var value) ? value : string.Empty;
        return notification.Template switch
        {
            "breach-notice" => (
                "Notice of a data security incident",
                $"We are writing to tell you about a security incident (reference {V("incidentId")}) discovered on {V("discoveredAt")} that may have involved your information: {V("categories")}.\n\n{V("description")}\n\nWhat you can do and whom to contact: reply to this email or write to our privacy office. We are notifying every affected resident within ten business days of discovery."),
            "breach-escalation" => (
                $"Breach {V("incidentId")}: {V("undelivered")} notices not delivered, deadline {V("deadline")}",
                $"Incident {V("incidentId")}: {V("undelivered")} of {V("affected")} notices are not delivered and the deadline is {V("deadline")}. See GET /api/incidents/{V("incidentId")}."),
            "roommate-setting-changed" => (
                "A shared setting in your unit changed",
                $"The {V("setting")} of your unit was changed at {V("changedAt")}; the app shows its new value. You can turn off these informational messages in the app."),
            "hold-review-due" => (
                $"Hold {V("holdId")} is past its review date",
                $"Hold {V("holdId")} ({V("reason")}) was due for review on {V("reviewBy")} and has kept {V("itemsHeld")} items past their deadlines. Review it, then keep it with a new review date or release it (DELETE /api/holds/{V("holdId")})."),
            "bounce-report" => (
                $"Undeliverable notification {V("notificationId")}",
                $"The notification {V("notificationId")} of campaign {V("campaign")} to {V("recipientKind")} {V("recipientId")} was refused by the mail system ({V("reason")}). Reach the person another way."),
            "request-received" => (
                $"We received your privacy request {V("requestId")}",
                V("notOnFile") == "true"
                    ? $"We received your {V("type")} request {V("requestId")}. Our privacy office will contact you to confirm who you are before anything is released. We answer by {V("dueAt")}."
                    : $"We received your {V("type")} request {V("requestId")}. We will first confirm it with the person it is about: if the details given match someone on file, a one-time code goes to the address on file. We answer by {V("dueAt")}. Exercising your rights never changes the service you get."),
            // The answer in writing (O8, O9): its summary, read from the record at send time.
            "request-completed" => (
                $"Your privacy request {V("requestId")} is answered",
                $"Your privacy request {V("requestId")} is answered. Our answer: {V("summary")}\n\n"
                    + (V("notOnFile") == "true"
                        ? "Any files of the answer reach you from our privacy office the way you agreed with it when it confirmed who you are."
                        : $"Sign in to see the whole answer (GET /api/privacy-requests/{V("requestId")}); an export link there works for a few minutes each time it is shown.")),
            "request-denied" => (
                $"Your privacy request {V("requestId")} was declined",
                $"We could not do what request {V("requestId")} asked, for this reason: {DenialText(V("reason"))}. You may contact our privacy office or the regulator of your jurisdiction."),
            // D1, PIPEDA s.8(5): a request not answered by its due date counts as refused. A person not on file whom the privacy
            // office did not verify in time is told so, with the date, and where to complain (PIPEDA s.11 in Canada).
            "request-unverified" when V("reason") == "identity-not-verified-by-due-date" => (
                $"Your privacy request {V("requestId")} is refused: we did not confirm who you are in time",
                $"Our privacy office did not confirm who you are by the due date of request {V("requestId")} ({V("dueAt")}). The law counts a request not answered by its due date as refused, so it is closed as refused, without releasing or deleting anything. You may submit a new request, and you may complain about this refusal to "
                    + (V("jurisdiction") == "canada"
                        ? "the Privacy Commissioner of Canada (Office of the Privacy Commissioner of Canada, www.priv.gc.ca, 1-800-282-1376)."
                        : "the regulator of your jurisdiction.")),
            "request-unverified" => (
                $"Your privacy request {V("requestId")} could not be verified",
                $"We could not confirm that request {V("requestId")} came from the person it is about, so we closed it without releasing or deleting anything. You may submit a new request."),
            // D1: the notice carries what the law requires: PIPEDA s.8(4) the reason, the new date and the right to complain
            // to the Privacy Commissioner of Canada; California (11 CCR 7021(b)) the reason.
            "request-extended" => (
                $"Your privacy request {V("requestId")} needs more time",
                $"We need more time for request {V("requestId")}: {V("reason")}. We will answer by {V("dueAt")}."
                    + (V("jurisdiction") == "canada"
                        ? " You have the right to complain about this extension to the Privacy Commissioner of Canada (Office of the Privacy Commissioner of Canada, www.priv.gc.ca, 1-800-282-1376)."
                        : string.Empty)),
            "request-near-due" => (
                $"Privacy request {V("requestId")} is due {V("dueAt")}",
                $"Privacy request {V("requestId")} ({V("status")}) is due {V("dueAt")}. Answer it, or extend it once with notice (POST /api/privacy-requests/{V("requestId")}/extension)."),
            "correction-task" => (
                $"Correction request {V("requestId")} for building {V("buildingId")}",
                $"A resident of building {V("buildingId")} asks to correct the field '{V("field")}' to: {V("requestedValue")} (request {V("requestId")}). Property management: review it in the portal (GET /api/buildings/{V("buildingId")}/correction-tasks) and answer corrected, or declined with the reason (POST /api/privacy-requests/{V("requestId")}/correction-outcome), by {V("dueAt")}. Without an answer by then the resident is told the correction was not made."),
            "correction-escalated" => (
                $"Correction request {V("requestId")} is unanswered and due {V("dueAt")}",
                $"Property management of building {V("buildingId")} has not answered correction request {V("requestId")} (field '{V("field")}', requested value: {V("requestedValue")}). It is due {V("dueAt")}; without an answer by then the resident is told the correction was not made, and why (O11)."),
            "verification-code" => (
                "Your verification code",
                $"Your verification code for privacy request {V("requestId")} is {V("code")}. It expires at {V("expiresAt")}."),
            _ => ($"Notification {notification.NotificationId}", string.Join('\n', notification.Values.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}: {kv.Value}")))),
        };
    }
}
