using System.Globalization;
using System.Net;
using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.Playwright;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Messaging;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.WebConsole;

/// <summary>
/// Issue 19 (README "Sharing, roommates and breaches": dead letters are visible and replayable): each queue's dead letters
/// with their reasons in the console, and a replay after a confirmation. A malformed setting change is dead-lettered by
/// the local host's own processor; a roommate alert is set aside as that processor writes it when the mail server stayed
/// down (max-delivery-count-exceeded), so its replay can succeed: the API then lists no dead letter for that queue and the
/// resident gets the email. A property manager is offered no such view, and the API refuses them anyway.
/// </summary>
public sealed partial class ConsoleBrowserTests
{
    [Fact]
    public async Task The_privacy_officer_sees_each_queues_dead_letters_with_reasons_and_replays_one_queue_and_nobody_else_can()
    {
        await using var console = await ConsoleHost.StartAsync("console-dead-letters", seed: false);
        await console.ResidentAsync("r-d", "b-d", "california");
        var queues = new QueueServiceClient(AzuriteFixture.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        await queues.GetQueueClient(console.Host.QueuePrefix + Queues.SettingChanges)
            .SendMessageAsync(StorageEnvelope.Wrap("change-bad", BinaryData.FromString("""{"changeId": 42}""")));
        var alert = new NotificationRequest(
            "roommate-c1-r-d", "roommate-c1", "roommate-setting-changed", RecipientKind.Resident, "r-d", MessageClass.Informational,
            new Dictionary<string, string> { ["setting"] = "thermostat-setpoint", ["changedAt"] = DateTimeOffset.UtcNow.UtcDateTime.ToString("u", CultureInfo.InvariantCulture) });
        var poison = queues.GetQueueClient(console.Host.QueuePrefix + StorageQueueTransport.PoisonName(Queues.Notifications));
        await poison.CreateIfNotExistsAsync();
        await poison.SendMessageAsync(BinaryData.FromObjectAsJson(
            new StorageEnvelope(alert.NotificationId, JsonSerializer.SerializeToElement(alert, ApiJson.Options), "max-delivery-count-exceeded", "after 5 deliveries"), ApiJson.Options));
        await console.Host.WaitUntilAsync(async () => (await LettersAsync(console, Queues.SettingChanges)).Count == 1, ConsoleHost.Wait);
        Assert.Equal(["roommate-c1-r-d"], await LettersAsync(console, Queues.Notifications));
        var mailsBefore = (await console.Mail.Api.ListAsync("r-d@console.test")).Count;

        // A property manager: no link, the address takes them to their own view; the API refuses them both routes.
        var manager = await console.SignInAsync("property-manager", "b-d");
        Assert.Equal(0, await manager.GetByRole(AriaRole.Link, new() { Name = "Dead letters" }).CountAsync());
        await manager.GotoAsync($"{console.ConsoleUrl}#dead-letters");
        await Assertions.Expect(manager.Locator("#corrections-title")).ToBeFocusedAsync(new() { Timeout = Ms });
        await Assertions.Expect(manager.Locator("#view-dead-letters")).ToBeHiddenAsync(new() { Timeout = Ms });
        Assert.DoesNotContain("change-bad", await manager.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        var managerApi = await console.Host.ManagerAsync("b-d");
        foreach (var queue in Queues.All)
        {
            using var listed = await managerApi.GetAsync(new Uri($"dead-letters/{queue}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Forbidden, listed.StatusCode);
            using var replayed = await managerApi.PostAsync(new Uri($"dead-letters/{queue}/replay", UriKind.Relative), null);
            Assert.Equal(HttpStatusCode.Forbidden, replayed.StatusCode);
        }

        Assert.Single(await LettersAsync(console, Queues.Notifications));

        // The officer: one section per queue the pipeline has, each letter with its reason and description.
        var page = await console.SignInAsync("privacy-officer");
        await GoAsync(page, "Dead letters", "Dead letters");
        Assert.Equal(Queues.All, await page.Locator("#view-dead-letters [data-queue]").EvaluateAllAsync<string[]>("sections => sections.map(s => s.dataset.queue)"));
        var notifications = page.Locator("[data-queue=notifications] tbody tr");
        await Assertions.Expect(notifications).ToHaveCountAsync(1, new() { Timeout = Ms });
        Assert.Equal(["roommate-c1-r-d", "max-delivery-count-exceeded", "after 5 deliveries"], (await notifications.Locator("td").AllInnerTextsAsync()).Take(3));
        var changes = page.Locator("[data-queue=setting-changes] tbody tr");
        await Assertions.Expect(changes.Locator("td").Nth(0)).ToHaveTextAsync("change-bad", new() { Timeout = Ms });
        await Assertions.Expect(changes.Locator("td").Nth(1)).ToHaveTextAsync("malformed-setting-change", new() { Timeout = Ms });
        await ScanAsync(page, "dead letters");

        // Replay asks first: cancelled, nothing moves.
        var asked = new List<string>();
        void Dismiss(object? sender, IDialog dialog)
        {
            asked.Add(dialog.Message);
            _ = dialog.DismissAsync();
        }

        page.Dialog += Dismiss;
        await page.GetByRole(AriaRole.Button, new() { Name = "Replay notifications" }).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Replay cancelled: nothing was put back.", new() { Timeout = Ms });
        page.Dialog -= Dismiss;
        Assert.Contains("notifications queue", Assert.Single(asked), StringComparison.Ordinal);
        Assert.Single(await LettersAsync(console, Queues.Notifications));

        // Confirmed, by keyboard: the count is announced, the API lists none for that queue, the resident gets the alert;
        // the other queue's letter stays.
        void Accept(object? sender, IDialog dialog) => _ = dialog.AcceptAsync();
        page.Dialog += Accept;
        await page.Locator("#dead-letters-title").FocusAsync();
        await TabToAsync(page, null, "Replay notifications");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("1 dead letter of notifications put back on the queue.", new() { Timeout = Ms });
        Assert.Equal("polite", await page.Locator("#status").GetAttributeAsync("aria-live"));
        await Assertions.Expect(notifications).ToHaveTextAsync("No dead letter.", new() { Timeout = Ms });
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Replay notifications" })).ToBeDisabledAsync(new() { Timeout = Ms });
        Assert.Empty(await LettersAsync(console, Queues.Notifications));
        await console.Host.WaitUntilAsync(async () => (await console.Mail.Api.ListAsync("r-d@console.test")).Count > mailsBefore, ConsoleHost.Wait);
        Assert.Equal(["change-bad"], await LettersAsync(console, Queues.SettingChanges));
        await Assertions.Expect(changes.Locator("td").Nth(0)).ToHaveTextAsync("change-bad", new() { Timeout = Ms });
    }

    private static async Task<List<string>> LettersAsync(ConsoleHost console, string queue) =>
        [.. JsonDocument.Parse(await console.Host.Http.GetStringAsync(new Uri($"dead-letters/{queue}", UriKind.Relative))).RootElement
            .EnumerateArray().Select(l => l.GetProperty("messageId").GetString()!)];
}
