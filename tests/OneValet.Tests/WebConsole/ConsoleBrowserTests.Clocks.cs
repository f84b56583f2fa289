using System.Text.Json;
using Microsoft.Playwright;
using OneValet.Pipeline.Requests;
using Xunit;

namespace OneValet.Tests.WebConsole;

/// <summary>
/// Issue 19, the queue's clocks (D1) in the browser: days left, extended, overdue. An overdue request is one whose
/// record says it was received 50 days ago (California: 45 days to answer), written into the local host's store as
/// intake would have written it then; the API has no way to backdate a request, and gets none.
/// </summary>
public sealed partial class ConsoleBrowserTests
{
    [Fact]
    public async Task An_overdue_request_is_marked_in_words_as_well_as_red_and_its_contrast_passes()
    {
        await using var console = await ConsoleHost.StartAsync("console-clocks", seed: false);
        await console.ResidentAsync("r-c", "b-c", "california");
        var fresh = await console.SubmitAsync(new { type = "access", jurisdiction = "california", subject = new { residentId = "r-c" }, channel = "phone" });
        var received = DateTimeOffset.UtcNow.AddDays(-50);
        PrivacyRequestRecord[] old = [OldRequest("r-c", received, extendedBy: null), OldRequest("r-c", received, extendedBy: TimeSpan.FromDays(45))];
        await console.StoreRequestsAsync(old);
        var (overdue, extended) = (old[0].RequestId, old[1].RequestId);

        // The API judges them so (its own clock): the browser's marks must follow the API's flag, not a date of its own.
        var api = JsonDocument.Parse(await console.Host.Http.GetStringAsync(new Uri("open-requests", UriKind.Relative))).RootElement.GetProperty("items")
            .EnumerateArray().ToDictionary(r => r.GetProperty("requestId").GetString()!, r => r.GetProperty("overdue").GetBoolean());
        Assert.Equal(new Dictionary<string, bool> { [overdue] = true, [extended] = false, [fresh] = false }, api);

        var page = await console.SignInAsync("privacy-officer");
        var rows = page.Locator("#requests-table tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(3, new() { Timeout = Ms });
        Assert.Equal(new[] { overdue, extended, fresh }, await page.Locator("#requests-table tbody tr td:first-child").AllInnerTextsAsync()); // soonest due first

        // Overdue: the row is red and says "overdue" and by how much (WCAG 1.4.1: not colour alone).
        var late = rows.Nth(0);
        await Assertions.Expect(late).ToHaveClassAsync("overdue", new() { Timeout = Ms });
        await Assertions.Expect(late.Locator(".badge")).ToHaveTextAsync("overdue", new() { Timeout = Ms });
        await Assertions.Expect(late.Locator("td").Nth(6)).ToHaveTextAsync("overdue 5 days late", new() { Timeout = Ms });
        await Assertions.Expect(late.Locator("td").Nth(7)).ToHaveTextAsync("no", new() { Timeout = Ms });
        var red = "rgb(164, 22, 26)"; // --danger in console.css
        Assert.Equal(red, await late.Locator("td").Nth(1).EvaluateAsync<string>("cell => getComputedStyle(cell).color"));

        // Extended past today, and fresh: days left, no mark, no red.
        await Assertions.Expect(rows.Nth(1).Locator("td").Nth(6)).ToHaveTextAsync("40 days", new() { Timeout = Ms });
        await Assertions.Expect(rows.Nth(1).Locator("td").Nth(7)).ToHaveTextAsync("extended to " + received.AddDays(90).UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), new() { Timeout = Ms });
        await Assertions.Expect(rows.Nth(2).Locator("td").Nth(6)).ToHaveTextAsync("45 days", new() { Timeout = Ms });
        foreach (var i in new[] { 1, 2 })
        {
            await Assertions.Expect(rows.Nth(i)).Not.ToHaveClassAsync("overdue", new() { Timeout = Ms });
            Assert.DoesNotContain("overdue", await rows.Nth(i).InnerTextAsync(), StringComparison.Ordinal);
            Assert.NotEqual(red, await rows.Nth(i).Locator("td").Nth(1).EvaluateAsync<string>("cell => getComputedStyle(cell).color"));
        }

        // The scan checked the red text's contrast (a pass, not merely no violation).
        var scan = await ScanAsync(page, "requests overdue");
        var contrast = Assert.Single(scan.Passes, p => p.Id == "color-contrast");
        Assert.Contains(contrast.Nodes, n => n.Html.Contains("badge danger", StringComparison.Ordinal));
        Assert.Contains(contrast.Nodes, n => n.Html.Contains("days late", StringComparison.Ordinal));
        Assert.DoesNotContain(scan.Incomplete, p => p.Id == "color-contrast" && p.Nodes.Any(n => n.Html.Contains("overdue", StringComparison.Ordinal)));

        // The request's own view says the same dates as the API.
        await page.GetByRole(AriaRole.Button, new() { Name = overdue, Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#request-facts")).ToContainTextAsync("not extended", new() { Timeout = Ms });
        await Assertions.Expect(page.Locator("#extension-form")).ToBeVisibleAsync(new() { Timeout = Ms });
    }

    /// <summary>
    /// A California access request as intake would have stored it at <paramref name="receivedAt"/> (D1: due 45 days after
    /// receipt), optionally extended; received and acknowledged, waiting for its code.
    /// </summary>
    private static PrivacyRequestRecord OldRequest(string residentId, DateTimeOffset receivedAt, TimeSpan? extendedBy)
    {
        var received = ConsoleHost.RequestAsReceived(residentId, "california", receivedAt);
        var acknowledged = received with
        {
            AcknowledgedAt = receivedAt.AddHours(1),
            Status = RequestStatus.AwaitingVerification,
            Steps = [.. received.Steps, new RequestStep("acknowledged", "done", receivedAt.AddHours(1))],
        };
        return extendedBy is not { } more ? acknowledged : acknowledged with
        {
            ExtendedDueAt = received.DueAt + more,
            ExtensionReason = "Footage from several doors needs review.",
            Steps = [.. acknowledged.Steps, new RequestStep("extended", "done", received.DueAt.AddDays(-1))],
        };
    }
}
