using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Requests;
using Xunit;

namespace OneValet.Tests.WebConsole;

/// <summary>
/// Issue 19 with issue 15.4 (O10, O18): a person not on file is verified by the privacy office, now from the console. The
/// office files for a visitor through the API; the request waits for the office; the officer records the check in the
/// request's view (by keyboard), and the API reports it past verification with who, when and how. The form is offered to
/// nobody else and for no other request, and the API refuses the others anyway.
/// </summary>
public sealed partial class ConsoleBrowserTests
{
    [Fact]
    public async Task The_privacy_officer_verifies_a_person_not_on_file_in_the_console_and_nobody_else_can()
    {
        await using var console = await ConsoleHost.StartAsync("console-manual", seed: false);
        var at = DateTimeOffset.UtcNow.AddMinutes(-30);
        var visit = new { email = "visitor@outside.test", relationship = "visitor", buildingId = "b-v", doorId = "lobby", from = at.AddMinutes(-5), to = at.AddMinutes(5) };
        var visitor = await console.SubmitAsync(new { type = "access", jurisdiction = "new-york", notOnFile = visit, channel = "phone" });

        // A resident on file of the same building with a request of their own, waiting for their code: not the office's to verify here.
        await console.ResidentAsync("r-v", "b-v", "california");
        var onFile = await console.SubmitAsync(new { type = "access", jurisdiction = "california", subject = new { residentId = "r-v" }, channel = "phone" });
        await console.Host.WaitUntilAsync(async () => Waits(await RecordAsync(console, visitor)) && (await RecordAsync(console, onFile)).GetProperty("status").GetString() == "awaiting-verification", ConsoleHost.Wait);

        // A property manager of that very building: the request's address takes them to their own view, no form, nothing of the request.
        var manager = await console.SignInAsync("property-manager", "b-v");
        await manager.GotoAsync($"{console.ConsoleUrl}#requests/{visitor}");
        await Assertions.Expect(manager.Locator("#corrections-title")).ToBeFocusedAsync(new() { Timeout = Ms });
        await Assertions.Expect(manager.Locator("#manual-verification-form")).ToBeHiddenAsync(new() { Timeout = Ms });
        Assert.DoesNotContain(visitor, await manager.Locator("main").InnerTextAsync(), StringComparison.Ordinal);

        // A resident's token in the console (the sign-in form offers no resident role; the token is put where the page keeps it).
        var residentToken = await console.Host.TokenAsync(new { role = "resident", subjectId = "r-v", buildingIds = new[] { "b-v" }, unitId = "u-1" });
        var resident = await console.PageAsync();
        await resident.AddInitScriptAsync($"sessionStorage.setItem('onevalet.console.token', {JsonSerializer.Serialize(residentToken)});");
        await resident.GotoAsync($"{console.ConsoleUrl}#requests/{visitor}");
        await Assertions.Expect(resident.Locator("#error")).ToContainTextAsync("your role has no view here", new() { Timeout = Ms });
        await Assertions.Expect(resident.Locator("#view-requests")).ToBeHiddenAsync(new() { Timeout = Ms });
        await Assertions.Expect(resident.Locator("#manual-verification-form")).ToBeHiddenAsync(new() { Timeout = Ms });
        Assert.DoesNotContain(visitor, await resident.Locator("main").InnerTextAsync(), StringComparison.Ordinal);

        // The API refuses both whatever the page shows, and the request still waits.
        foreach (var client in new[] { await console.Host.ManagerAsync("b-v"), await console.Host.ResidentAsync("r-v", "b-v", "u-1") })
        {
            using var refused = await client.PostAsJsonAsync($"privacy-requests/{visitor}/manual-verification", new { outcome = "verified", method = "government-id-in-person" }, ApiJson.Options);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        Assert.True(Waits(await RecordAsync(console, visitor)));

        // The officer: the request on file waiting for its code offers no manual verification; the visitor's does.
        var page = await console.SignInAsync("privacy-officer");
        await page.GetByRole(AriaRole.Button, new() { Name = onFile, Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#request-detail-title")).ToHaveTextAsync("Request " + onFile, new() { Timeout = Ms });
        await Assertions.Expect(page.Locator("#manual-verification-form")).ToBeHiddenAsync(new() { Timeout = Ms });
        await page.GetByRole(AriaRole.Button, new() { Name = visitor, Exact = true }).ClickAsync();
        var form = page.Locator("#manual-verification-form");
        await Assertions.Expect(form).ToBeVisibleAsync(new() { Timeout = Ms });
        await Assertions.Expect(page.Locator("#request-facts")).ToContainTextAsync("not on file: visitor, building b-v, door lobby", new() { Timeout = Ms });
        Assert.Equal(
            PrivacyRequestsApi.ManualVerificationMethods.Order(StringComparer.Ordinal),
            (await page.Locator("#manual-method option").EvaluateAllAsync<string[]>("options => options.map(o => o.value)")).Order(StringComparer.Ordinal));

        // "Other" without saying how: the API's 400 and its reason, in the form's alert, the note marked invalid; nothing recorded.
        await page.GetByLabel("How they were checked").SelectOptionAsync("other");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record verification" }).ClickAsync();
        var error = page.Locator("#manual-verification-error");
        await Assertions.Expect(error).ToHaveTextAsync("A verification by another method says how in 'note'. (HTTP 400)", new() { Timeout = Ms });
        Assert.Equal("alert", await error.GetAttributeAsync("role"));
        await Assertions.Expect(page.GetByLabel("Note (required when the method is “other”)")).ToHaveAttributeAsync("aria-invalid", "true", new() { Timeout = Ms });
        Assert.True(Waits(await RecordAsync(console, visitor)));
        await ScanAsync(page, "request manual verification");

        // By keyboard alone: the method, the note, the button.
        var before = DateTimeOffset.UtcNow;
        await page.Locator("#manual-outcome").FocusAsync();
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("manual-method", await page.EvaluateAsync<string>("document.activeElement.id"));
        await page.Keyboard.PressAsync("Home");
        await page.Keyboard.PressAsync("ArrowDown");
        Assert.Equal("government-id-by-video-call", await page.Locator("#manual-method").InputValueAsync());
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync("Passport shown on a video call.");
        await TabToAsync(page, null, "Record verification");
        await page.Keyboard.PressAsync("Enter");

        // The page shows the check and offers the form no more; the API reports the request past verification, with who, when, how.
        await Assertions.Expect(page.Locator("#request-facts")).ToContainTextAsync("verified by console-officer", new() { Timeout = Ms });
        await Assertions.Expect(page.Locator("#request-facts")).ToContainTextAsync("Government ID, on a video call", new() { Timeout = Ms });
        await Assertions.Expect(form).ToBeHiddenAsync(new() { Timeout = Ms });
        await Assertions.Expect(error).ToBeHiddenAsync(new() { Timeout = Ms });
        JsonElement record = default;
        await console.Host.WaitUntilAsync(async () => (record = await RecordAsync(console, visitor)).GetProperty("status").GetString() is not ("awaiting-verification" or "received"), ConsoleHost.Wait);
        var check = record.GetProperty("manualVerification");
        Assert.Equal("console-officer", check.GetProperty("by").GetString());
        Assert.Equal("government-id-by-video-call", check.GetProperty("method").GetString());
        Assert.True(check.GetProperty("verified").GetBoolean());
        Assert.InRange(check.GetProperty("at").GetDateTimeOffset(), before, DateTimeOffset.UtcNow);
        Assert.Contains(record.GetProperty("steps").EnumerateArray(), s => s.GetProperty("name").GetString() == "manually-verified" && s.GetProperty("status").GetString() == "verified");

        // The request on file was not touched by any of it.
        var untouched = await RecordAsync(console, onFile);
        Assert.Equal("awaiting-verification", untouched.GetProperty("status").GetString());
        Assert.False(untouched.TryGetProperty("manualVerification", out var none) && none.ValueKind != JsonValueKind.Null);
    }

    /// <summary>Waits for the office: awaiting verification, the step manual-verification / waiting-for-privacy-office, no check recorded.</summary>
    private static bool Waits(JsonElement request) =>
        request.GetProperty("status").GetString() == "awaiting-verification"
        && request.GetProperty("steps").EnumerateArray().Any(s => s.GetProperty("name").GetString() == "manual-verification" && s.GetProperty("status").GetString() == "waiting-for-privacy-office")
        && !(request.TryGetProperty("manualVerification", out var check) && check.ValueKind != JsonValueKind.Null);
}
