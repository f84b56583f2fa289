using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using OneValet.Pipeline.Api;
using Xunit;

namespace OneValet.Tests.WebConsole;

/// <summary>
/// Issue 19 with README "Who can ask, and how each is answered" (O8–O10): the privacy office files a request for a person
/// not on file from the console (what they gave: address, relationship, building, door, window). The API's 400 and its
/// reason show in the form's alert with the fields it names marked; the accepted request appears in the queue and opens,
/// and the API reports what was filed. A property manager is offered no such form, and the API refuses them and a
/// resident anyway.
/// </summary>
public sealed partial class ConsoleBrowserTests
{
    [Fact]
    public async Task The_privacy_officer_files_a_request_for_a_person_not_on_file_in_the_console_and_nobody_else_can()
    {
        await using var console = await ConsoleHost.StartAsync("console-not-on-file", seed: false);
        var page = await console.SignInAsync("privacy-officer");
        await Assertions.Expect(page.Locator("#requests-table tbody")).ToContainTextAsync("No open request matches", new() { Timeout = Ms });

        // Access without the window they were there: the API's 400 and reason in the form's alert, the window marked; nothing filed.
        await page.GetByLabel("Kind of request").SelectOptionAsync("access");
        await page.GetByLabel("State or country whose law applies").SelectOptionAsync("new-york");
        await page.GetByLabel("Received by").SelectOptionAsync("phone");
        await page.GetByLabel("Their email address (where the answer goes)").FillAsync("visitor@outside.test");
        await page.GetByLabel("Relationship to the building").SelectOptionAsync("visitor");
        await page.GetByLabel("Building id", new() { Exact = true }).FillAsync("b-n");
        await page.GetByLabel("Door id (optional)").FillAsync("lobby");
        await page.GetByRole(AriaRole.Button, new() { Name = "File request" }).ClickAsync();
        var error = page.Locator("#not-on-file-error");
        await Assertions.Expect(error).ToHaveTextAsync("'notOnFile.from' and 'to' give the time window the person was there (required for access). (HTTP 400)", new() { Timeout = Ms });
        Assert.Equal("alert", await error.GetAttributeAsync("role"));
        await Assertions.Expect(page.GetByLabel("There from (UTC; required for access)")).ToHaveAttributeAsync("aria-invalid", "true", new() { Timeout = Ms });
        await Assertions.Expect(page.GetByLabel("Their email address (where the answer goes)")).Not.ToHaveAttributeAsync("aria-invalid", "true", new() { Timeout = Ms });
        Assert.Empty(await OpenRequestsAsync(console));
        await ScanAsync(page, "request not on file");

        // The window, then the button by keyboard: the new request is in the queue and opens, with what they gave.
        var at = DateTimeOffset.UtcNow.AddHours(-2);
        string Local(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);
        await page.GetByLabel("There from (UTC; required for access)").FillAsync(Local(at));
        await page.GetByLabel("There until (UTC; at most a day after)").FillAsync(Local(at.AddMinutes(30)));
        await TabToAsync(page, null, "File request");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#request-detail-title")).ToBeFocusedAsync(new() { Timeout = Ms });
        await Assertions.Expect(page.Locator("#request-facts")).ToContainTextAsync("not on file: visitor, building b-n, door lobby", new() { Timeout = Ms });
        await Assertions.Expect(error).ToBeHiddenAsync(new() { Timeout = Ms });
        await Assertions.Expect(page.GetByLabel("There from (UTC; required for access)")).Not.ToHaveAttributeAsync("aria-invalid", "true", new() { Timeout = Ms });
        var listed = Assert.Single(await OpenRequestsAsync(console));
        var id = listed.GetProperty("requestId").GetString()!;
        await Assertions.Expect(page.Locator("#request-detail-title")).ToHaveTextAsync("Request " + id, new() { Timeout = Ms });
        await Assertions.Expect(page.Locator("#requests-table tbody tr td:first-child")).ToHaveTextAsync([id], new() { Timeout = Ms });
        Assert.Equal(("access", "new-york"), (listed.GetProperty("type").GetString(), listed.GetProperty("jurisdiction").GetString()));
        var record = await RecordAsync(console, id);
        Assert.Equal("phone", record.GetProperty("channel").GetString());
        var gave = record.GetProperty("notOnFile");
        Assert.Equal("visitor@outside.test", gave.GetProperty("email").GetString());
        Assert.Equal(("visitor", "b-n", "lobby"), (gave.GetProperty("relationship").GetString(), gave.GetProperty("buildingId").GetString(), gave.GetProperty("doorId").GetString()));
        var minute = new DateTimeOffset(at.Year, at.Month, at.Day, at.Hour, at.Minute, 0, TimeSpan.Zero);
        Assert.Equal(minute, gave.GetProperty("from").GetDateTimeOffset());
        Assert.Equal(minute.AddMinutes(30), gave.GetProperty("to").GetDateTimeOffset());

        // The request waits for the office's own check, which the same view offers (O10).
        await console.Host.WaitUntilAsync(async () => Waits(await RecordAsync(console, id)), ConsoleHost.Wait);

        // A property manager of that building: the form is in a view they are not offered; the API refuses them and a resident.
        var manager = await console.SignInAsync("property-manager", "b-n");
        await manager.GotoAsync($"{console.ConsoleUrl}#requests");
        await Assertions.Expect(manager.Locator("#corrections-title")).ToBeFocusedAsync(new() { Timeout = Ms });
        await Assertions.Expect(manager.Locator("#not-on-file-form")).ToBeHiddenAsync(new() { Timeout = Ms });
        Assert.Equal(0, await manager.GetByRole(AriaRole.Button, new() { Name = "File request" }).CountAsync());
        var body = new { type = "access", jurisdiction = "new-york", channel = "phone", notOnFile = new { email = "other@outside.test", relationship = "visitor", buildingId = "b-n", from = at, to = at.AddMinutes(5) } };
        await console.ResidentAsync("r-n", "b-n", "new-york");
        foreach (var client in new[] { await console.Host.ManagerAsync("b-n"), await console.Host.ResidentAsync("r-n", "b-n", "u-1") })
        {
            using var refused = await client.PostAsJsonAsync("privacy-requests", body, ApiJson.Options);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        Assert.Single(await OpenRequestsAsync(console));
    }

    private static async Task<List<JsonElement>> OpenRequestsAsync(ConsoleHost console) =>
        [.. JsonDocument.Parse(await console.Host.Http.GetStringAsync(new Uri("open-requests", UriKind.Relative))).RootElement.GetProperty("items").EnumerateArray()];
}
