using System.Net;
using Azure.Storage.Queues;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Notifications;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;
using Models = OneValet.Client.Models;

namespace OneValet.Tests.EndToEnd;

/// <summary>
/// Step 3 end to end on the real local host with a real SMTP catcher (maildev) of the test's own (O12–O14, O16): a breach
/// over 2 buildings and 500 residents emails each exactly once through a kill -9 mid-campaign and a replayed message;
/// a roommate alert skips the opted-out roommate; a marketing disclosure is refused; a bad message is dead-lettered with its
/// reason, visible and replayable. Every call goes through the client generated from the OpenAPI document (issue 20.2).
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class NotificationsEndToEndTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_breach_over_two_buildings_and_500_residents_emails_each_once_through_a_kill_9_and_a_replayed_message()
    {
        await using var mail = await MailDevProcess.StartAsync();
        // Pages of 7: 72 page activities over both buildings at once, so the campaign continues as new with both buildings'
        // cursors open (every 50 pages), and the kill falls in the middle of the fan-out, not only of the sending.
        var settings = new Dictionary<string, string>
        {
            ["OneValet:Email:SmtpPort"] = mail.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["OneValet:Breaches:PageSize"] = "7",
        };
        var host = await StartAsync("breach", settings);
        var movedIn = DateTimeOffset.UtcNow.AddYears(-1);
        var manager = await host.ManagerApiAsync("b-1", "b-2");
        await Parallel.ForEachAsync(Enumerable.Range(0, 500), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            await ApiAssert.AnswersAsync(HttpStatusCode.Created, s => manager.Api.Residents[$"r-{i}"].PutAsync(
                new Models.ResidentInput { BuildingId = i < 250 ? "b-1" : "b-2", UnitId = $"u-{i / 2}", MovedInAt = movedIn, Email = $"r-{i}@breach.test" }, c => c.Options.Add(s), ct));
        });

        // Someone who moved out before the incident's window is not affected.
        await manager.Api.Residents["r-gone"].PutAsync(new Models.ResidentInput { BuildingId = "b-1", UnitId = "u-x", MovedInAt = movedIn, Email = "gone@breach.test" });
        await ApiAssert.AnswersAsync(HttpStatusCode.OK, s => manager.Api.Residents["r-gone"].MoveOut.PostAsync(new Models.MoveOutInput { MovedOutAt = DateTimeOffset.UtcNow.AddDays(-60) }, c => c.Options.Add(s)));

        var now = DateTimeOffset.UtcNow;
        var incident = await ApiAssert.AnswersAsync(HttpStatusCode.Accepted, s => host.Api.Api.Incidents.PostAsync(new Models.IncidentInput
        {
            DiscoveredAt = now.AddHours(-1),
            Buildings = ["b-1", "b-2"],
            DataCategories = ["identifiers", "hardware-usage"],
            WindowFrom = now.AddDays(-30),
            WindowTo = now.AddHours(-2),
            Description = "An access-control server was reachable from the internet for three days.",
        }, c => c.Options.Add(s)));
        Assert.InRange((incident.Deadline!.Value - incident.DiscoveredAt!.Value).TotalDays, 12, 18);
        var incidentId = incident.IncidentId!;

        // kill -9 in the middle of the campaign.
        await WaitUntilAsync(async () => (await mail.Api.ListAllAsync()).Count >= 60, host);
        await host.KillAsync();
        var restarted = new LocalHostProcess(host.Name, host.Settings);
        await using (restarted)
        {
            LocalHostProcess.Reuse(restarted, host);
            await restarted.StartAsync();

            // A replayed message: the notice of r-7 queued once more, as a redelivery would.
            var transport = new StorageQueueTransport(new QueueServiceClient(AzuriteFixture.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }),
                Microsoft.Extensions.Options.Options.Create(new Pipeline.Configuration.StorageOptions { QueuePrefix = host.QueuePrefix }));
            await new NotificationPublisher(transport).PublishAsync(new NotificationRequest(
                $"breach-{incidentId}-r-7", "breach-" + incidentId, "breach-notice", RecipientKind.Resident, "r-7", MessageClass.Service,
                new Dictionary<string, string> { ["incidentId"] = incidentId }), default);

            Models.IncidentStatus? status = null;
            await WaitUntilAsync(async () =>
            {
                status = await restarted.Api.Api.Incidents[incidentId].GetAsync();
                return status!.Incident!.FannedOut == true && status.Affected == 500 && status.Pending == 0;
            }, restarted);
            await Task.Delay(1500);

            var emails = await mail.Api.ListAllAsync();
            var byRecipient = emails.GroupBy(e => e.To.Single().Address).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(500, status!.Sent);
            Assert.Equal(0, status.Bounced + status.Skipped);
            Assert.Equal(500, byRecipient.Count);
            Assert.DoesNotContain("gone@breach.test", byRecipient.Keys);

            // Exactly once, except where the kill fell between the mail server's "accepted" and the delivery record: such a
            // notice is recorded as possibly resent (SMTP cannot be exactly-once), and its copies share one Message-ID.
            Assert.InRange(status.ResentAfterUnknownOutcome!.Value, 0, 1);
            Assert.InRange(emails.Count, 500, 500 + status.ResentAfterUnknownOutcome.Value);
            Assert.Equal(500, emails.Select(e => e.Header("message-id")).Distinct().Count());
            Assert.All(emails, e => Assert.Equal("Notice of a data security incident", e.Subject));
            Assert.True(status.DeadlineMet!.Value);
        }

        await host.DisposeAsync();
    }

    [Fact]
    public async Task A_roommate_alert_reaches_the_other_roommate_and_skips_the_one_who_opted_out()
    {
        await using var mail = await MailDevProcess.StartAsync();
        await using var host = await StartAsync("roommates", new Dictionary<string, string> { ["OneValet:Email:SmtpPort"] = mail.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var manager = await host.ManagerApiAsync("b-r");
        foreach (var who in new[] { "alice", "bob", "carol" })
        {
            await ApiAssert.AnswersAsync(HttpStatusCode.Created, s => manager.Api.Residents[who].PutAsync(
                new Models.ResidentInput { BuildingId = "b-r", UnitId = "u-12", MovedInAt = DateTimeOffset.UtcNow.AddMonths(-3), Email = $"{who}@unit.test" }, c => c.Options.Add(s)));
        }

        var bobApi = await host.ResidentApiAsync("bob", "b-r", "u-12");
        await ApiAssert.AnswersAsync(HttpStatusCode.OK, s => bobApi.Api.Residents["bob"].MessagePreferences.PutAsync(new Models.MessagePreferencesInput { Informational = false, Offers = false }, c => c.Options.Add(s)));

        var aliceApi = await host.ResidentApiAsync("alice", "b-r", "u-12");
        await ApiAssert.AnswersAsync(HttpStatusCode.Accepted, s => aliceApi.Api.Buildings["b-r"].Units["u-12"].Settings.PostAsync(
            new Models.SettingChangeInput { Setting = "thermostat-setpoint", Value = "19.5", ChangedBy = "alice" }, c => c.Options.Add(s)));

        var carol = await mail.Api.WaitForAsync("carol@unit.test", 1, Wait);
        var alert = Assert.Single(carol).Text ?? string.Empty;
        Assert.Contains("thermostat-setpoint", alert, StringComparison.Ordinal);
        Assert.DoesNotContain("19.5", alert, StringComparison.Ordinal); // what changed and when, not the value (it can name a person: issue 13)
        var store = host.OpenStore();
        await Task.Delay(1000);
        Assert.Empty(await mail.Api.ListAsync("bob@unit.test"));
        Assert.Empty(await mail.Api.ListAsync("alice@unit.test"));
        var notificationId = Assert.Single(carol).Header("x-onevalet-notification")!;
        var campaign = notificationId[..notificationId.LastIndexOf("-carol", StringComparison.Ordinal)];
        var bob = await store.ReadAsync<DeliveryRecord>(Containers.Deliveries, campaign, notificationId.Replace("-carol", "-bob", StringComparison.Ordinal));
        Assert.Equal(DeliveryStatus.Skipped, bob!.Document.Status);
        Assert.Equal("opted-out", bob.Document.Reason);
    }

    [Fact]
    public async Task Marketing_disclosures_are_refused_lawful_ones_recorded_and_listed()
    {
        await using var host = await StartAsync("disclosures", []);
        var disclosures = host.Api.Api.Disclosures;
        await ApiAssert.RefusedAsync(HttpStatusCode.UnprocessableEntity, null, () => disclosures.PostAsync(new Models.DisclosureInput
        {
            SubjectId = "r-1", DataCategories = ["identifiers"], RecipientCategory = Models.DisclosureInput_recipientCategory.BusinessPartners, RecipientName = "AdCo",
            Purpose = Models.DisclosureInput_purpose.Marketing, LegalBasis = "consent",
        }));

        await ApiAssert.RefusedAsync(HttpStatusCode.UnprocessableEntity, null, () => disclosures.PostAsync(new Models.DisclosureInput
        {
            SubjectId = "r-1", DataCategories = ["authentication-data"], RecipientCategory = Models.DisclosureInput_recipientCategory.Authorities, RecipientName = "NYPD",
            Purpose = Models.DisclosureInput_purpose.LawEnforcement, LegalBasis = "subpoena",
        }));

        await ApiAssert.AnswersAsync(HttpStatusCode.Created, s => disclosures.PostAsync(new Models.DisclosureInput
        {
            SubjectId = "r-1", DataCategories = ["authentication-data"], RecipientCategory = Models.DisclosureInput_recipientCategory.Authorities, RecipientName = "NYPD",
            Purpose = Models.DisclosureInput_purpose.LawEnforcement, LegalBasis = "subpoena", Authorization = "subpoena 2026-CR-114",
        }, c => c.Options.Add(s)));
        var listed = await disclosures.GetAsync(c => c.QueryParameters.SubjectId = "r-1");
        Assert.Single(listed!);
    }

    [Fact]
    public async Task A_malformed_message_is_dead_lettered_with_its_reason_visible_and_replayable()
    {
        await using var host = await StartAsync("dead-letters", []);
        var queue = new QueueServiceClient(AzuriteFixture.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 })
            .GetQueueClient(host.QueuePrefix + Queues.Notifications);
        await queue.SendMessageAsync(StorageEnvelope.Wrap("bad-1", BinaryData.FromString("""{"notificationId": 42}""")));
        List<Models.DeadLetter>? letters = null;
        await WaitUntilAsync(async () => (letters = await host.Api.Api.DeadLetters["notifications"].GetAsync())!.Count == 1, host);
        Assert.Equal("bad-1", letters![0].MessageId);
        Assert.Equal("malformed-notification", letters[0].Reason);

        var replayed = await ApiAssert.AnswersAsync(HttpStatusCode.OK, s => host.Api.Api.DeadLetters["notifications"].Replay.PostAsync(c => c.Options.Add(s)));
        Assert.Equal(1, replayed.Replayed);

        await ApiAssert.RefusedAsync(HttpStatusCode.NotFound, null, () => host.Api.Api.DeadLetters["nope"].GetAsync());
    }

    /// <summary>A message that is not base64 (another producer, or <c>az storage message put</c> without an encoding) would
    /// fail every receive it is in: it is dead-lettered with its reason, kept, and the queue goes on (the next message is
    /// handled); the dead-letter list answers, never 500.</summary>
    [Fact]
    public async Task A_message_that_is_not_base64_is_dead_lettered_with_its_reason_and_the_queue_goes_on()
    {
        await using var host = await StartAsync("undecodable", []);
        var raw = new QueueServiceClient(AzuriteFixture.ConnectionString).GetQueueClient(host.QueuePrefix + Queues.Notifications);
        await raw.SendMessageAsync("not base64: {\"notificationId\": 7}");
        var queue = new QueueServiceClient(AzuriteFixture.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 })
            .GetQueueClient(host.QueuePrefix + Queues.Notifications);
        await queue.SendMessageAsync(StorageEnvelope.Wrap("bad-2", BinaryData.FromString("""{"notificationId": 43}""")));

        List<Models.DeadLetter>? letters = null;
        await WaitUntilAsync(async () => (letters = await host.Api.Api.DeadLetters["notifications"].GetAsync())!.Count == 2, host);
        var undecodable = Assert.Single(letters!, l => l.Reason == "not-base64");
        Assert.StartsWith("undecodable-", undecodable.MessageId, StringComparison.Ordinal);
        Assert.Equal("malformed-notification", Assert.Single(letters!, l => l.MessageId == "bad-2").Reason);
        Assert.Empty((await raw.PeekMessagesAsync(32)).Value); // gone from its queue, kept in the poison queue
    }

    private static Task WaitUntilAsync(Func<Task<bool>> condition, LocalHostProcess host) => host.WaitUntilAsync(condition, Wait);

    private static async Task<LocalHostProcess> StartAsync(string name, Dictionary<string, string> settings)
    {
        await AzuriteFixture.EnsureRunningAsync();
        var host = new LocalHostProcess(name, settings);
        await host.StartAsync();
        return host;
    }
}
