using System.Net;
using System.Net.Http.Json;
using Azure.Storage.Queues;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Breaches;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Notifications;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.EndToEnd;

/// <summary>
/// Step 3 end to end on the real local host with a real SMTP catcher (maildev) of the test's own (O12–O14, O16): a breach
/// over 2 buildings and 500 residents emails each exactly once through a kill -9 mid-campaign and a replayed message;
/// a roommate alert skips the opted-out roommate; a marketing disclosure is refused; a bad message is dead-lettered with its
/// reason, visible and replayable.
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
        var manager = await host.ManagerAsync("b-1", "b-2");
        await Parallel.ForEachAsync(Enumerable.Range(0, 500), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            using var put = await manager.PutAsJsonAsync($"residents/r-{i}", new { buildingId = i < 250 ? "b-1" : "b-2", unitId = $"u-{i / 2}", movedInAt = movedIn, email = $"r-{i}@breach.test" }, ApiJson.Options, ct);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        });

        // Someone who moved out before the incident's window is not affected.
        using (var gone = await manager.PutAsJsonAsync("residents/r-gone", new { buildingId = "b-1", unitId = "u-x", movedInAt = movedIn, email = "gone@breach.test" }, ApiJson.Options))
        using (var left = await manager.PostAsJsonAsync("residents/r-gone/move-out", new { movedOutAt = DateTimeOffset.UtcNow.AddDays(-60) }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.OK, left.StatusCode);
        }

        var now = DateTimeOffset.UtcNow;
        using var declared = await host.Http.PostAsJsonAsync("incidents", new
        {
            discoveredAt = now.AddHours(-1),
            buildings = new[] { "b-1", "b-2" },
            dataCategories = new[] { "identifiers", "hardware-usage" },
            windowFrom = now.AddDays(-30),
            windowTo = now.AddHours(-2),
            description = "An access-control server was reachable from the internet for three days.",
        }, ApiJson.Options);
        Assert.Equal(HttpStatusCode.Accepted, declared.StatusCode);
        var incident = (await declared.Content.ReadFromJsonAsync<IncidentRecord>(ApiJson.Options))!;
        Assert.InRange((incident.Deadline - incident.DiscoveredAt).TotalDays, 12, 18);

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
                $"breach-{incident.IncidentId}-r-7", incident.Campaign, "breach-notice", RecipientKind.Resident, "r-7", MessageClass.Service,
                new Dictionary<string, string> { ["incidentId"] = incident.IncidentId }), default);

            IncidentStatus? status = null;
            await WaitUntilAsync(async () =>
            {
                status = await restarted.Http.GetFromJsonAsync<IncidentStatus>($"incidents/{incident.IncidentId}", ApiJson.Options);
                return status!.Incident.FannedOut && status.Affected == 500 && status.Pending == 0;
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
            Assert.InRange(status.ResentAfterUnknownOutcome, 0, 1);
            Assert.InRange(emails.Count, 500, 500 + status.ResentAfterUnknownOutcome);
            Assert.Equal(500, emails.Select(e => e.Header("message-id")).Distinct().Count());
            Assert.All(emails, e => Assert.Equal("Notice of a data security incident", e.Subject));
            Assert.True(status.DeadlineMet);
        }

        await host.DisposeAsync();
    }

    [Fact]
    public async Task A_roommate_alert_reaches_the_other_roommate_and_skips_the_one_who_opted_out()
    {
        await using var mail = await MailDevProcess.StartAsync();
        await using var host = await StartAsync("roommates", new Dictionary<string, string> { ["OneValet:Email:SmtpPort"] = mail.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var manager = await host.ManagerAsync("b-r");
        foreach (var who in new[] { "alice", "bob", "carol" })
        {
            using var put = await manager.PutAsJsonAsync($"residents/{who}", new { buildingId = "b-r", unitId = "u-12", movedInAt = DateTimeOffset.UtcNow.AddMonths(-3), email = $"{who}@unit.test" }, ApiJson.Options);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using (var optOut = await (await host.ResidentAsync("bob", "b-r", "u-12")).PutAsJsonAsync("residents/bob/message-preferences", new { informational = false, offers = false }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.OK, optOut.StatusCode);
        }

        using var changed = await (await host.ResidentAsync("alice", "b-r", "u-12")).PostAsJsonAsync("buildings/b-r/units/u-12/settings", new { setting = "thermostat-setpoint", value = "19.5", changedBy = "alice" }, ApiJson.Options);
        Assert.Equal(HttpStatusCode.Accepted, changed.StatusCode);

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
        using var marketing = await host.Http.PostAsJsonAsync("disclosures", new
        {
            subjectId = "r-1", dataCategories = new[] { "identifiers" }, recipientCategory = "business-partners", recipientName = "AdCo",
            purpose = "marketing", legalBasis = "consent",
        }, ApiJson.Options);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, marketing.StatusCode);
        Assert.Equal("application/problem+json", marketing.Content.Headers.ContentType?.MediaType);

        using var keyless = await host.Http.PostAsJsonAsync("disclosures", new
        {
            subjectId = "r-1", dataCategories = new[] { "authentication-data" }, recipientCategory = "authorities", recipientName = "NYPD",
            purpose = "law-enforcement", legalBasis = "subpoena",
        }, ApiJson.Options);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, keyless.StatusCode);

        using var lawful = await host.Http.PostAsJsonAsync("disclosures", new
        {
            subjectId = "r-1", dataCategories = new[] { "authentication-data" }, recipientCategory = "authorities", recipientName = "NYPD",
            purpose = "law-enforcement", legalBasis = "subpoena", authorization = "subpoena 2026-CR-114",
        }, ApiJson.Options);
        Assert.Equal(HttpStatusCode.Created, lawful.StatusCode);
        var listed = await host.Http.GetFromJsonAsync<List<OneValet.Pipeline.Disclosures.DisclosureRecord>>("disclosures?subjectId=r-1", ApiJson.Options);
        Assert.Single(listed!);
    }

    [Fact]
    public async Task A_malformed_message_is_dead_lettered_with_its_reason_visible_and_replayable()
    {
        await using var host = await StartAsync("dead-letters", []);
        var queue = new QueueServiceClient(AzuriteFixture.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 })
            .GetQueueClient(host.QueuePrefix + Queues.Notifications);
        await queue.SendMessageAsync(StorageEnvelope.Wrap("bad-1", BinaryData.FromString("""{"notificationId": 42}""")));
        List<DeadLetter>? letters = null;
        await WaitUntilAsync(async () => (letters = await host.Http.GetFromJsonAsync<List<DeadLetter>>("dead-letters/notifications", ApiJson.Options))!.Count == 1, host);
        Assert.Equal("bad-1", letters![0].MessageId);
        Assert.Equal("malformed-notification", letters[0].Reason);

        using var replay = await host.Http.PostAsync(new Uri("dead-letters/notifications/replay", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Contains("\"replayed\":1", await replay.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var unknown = await host.Http.GetAsync(new Uri("dead-letters/nope", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
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
