using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using OneValet.Pipeline.Api;
using Xunit;

namespace OneValet.Tests.WebConsole;

/// <summary>
/// Issue 19 with README "Sharing ledger (O12)": the privacy officer reads a resident's ledger and records a disclosure in
/// the console. A disclosure for marketing is refused by the API (422) and its reason shows in the form's alert with the
/// purpose marked, and nothing is recorded; an allowed one appears in the ledger as the API lists it. A property manager
/// is offered no such view and the API refuses them the ledger (and another building's disclosure); a resident likewise.
/// </summary>
public sealed partial class ConsoleBrowserTests
{
    [Fact]
    public async Task The_privacy_officer_reads_and_writes_the_sharing_ledger_in_the_console_a_marketing_disclosure_is_refused_with_its_reason()
    {
        await using var console = await ConsoleHost.StartAsync("console-ledger", seed: false);
        await console.ResidentAsync("r-s", "b-s", "california");
        var page = await console.SignInAsync("privacy-officer");
        await GoAsync(page, "Sharing ledger", "Sharing ledger");
        await page.GetByLabel("Ledger of").SelectOptionAsync("subjectId");
        await page.GetByLabel("Resident or building id").FillAsync("r-s");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show ledger" }).ClickAsync();
        var rows = page.Locator("#disclosures-table tbody tr");
        await Assertions.Expect(rows).ToHaveTextAsync(["No disclosure recorded about resident r-s."], new() { Timeout = Ms });

        // Marketing: the API's 422 and its reason in the form's alert, the purpose marked; nothing recorded.
        await page.GetByLabel("Categories of data disclosed").FillAsync("identifiers, account-information");
        await page.GetByLabel("Recipient category").SelectOptionAsync("business-partners");
        await page.GetByLabel("Recipient's name").FillAsync("Acme Ads");
        await page.GetByLabel("Purpose").SelectOptionAsync("marketing");
        await page.GetByLabel("Legal basis").FillAsync("consent");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record disclosure" }).ClickAsync();
        var error = page.Locator("#disclosure-error");
        await Assertions.Expect(error).ToHaveTextAsync("Personal information is never shared for marketing or advertising, and never sold (O12). (HTTP 422)", new() { Timeout = Ms });
        Assert.Equal("alert", await error.GetAttributeAsync("role"));
        await Assertions.Expect(page.GetByLabel("Purpose")).ToHaveAttributeAsync("aria-invalid", "true", new() { Timeout = Ms });
        await Assertions.Expect(page.GetByLabel("Recipient's name")).Not.ToHaveAttributeAsync("aria-invalid", "true", new() { Timeout = Ms });
        Assert.Empty(await LedgerAsync(console.Host.Http));
        await ScanAsync(page, "sharing ledger refused");

        // Property management, under the lease, sent by keyboard: the ledger shows it as the API lists it.
        await page.GetByLabel("Recipient category").SelectOptionAsync("property-management");
        await page.GetByLabel("Recipient's name").FillAsync("Acme Property Management");
        await page.GetByLabel("Purpose").SelectOptionAsync("property-management");
        await page.GetByLabel("Legal basis").FillAsync("lease contract");
        await TabToAsync(page, null, "Record disclosure");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(rows).ToHaveCountAsync(1, new() { Timeout = Ms });
        await Assertions.Expect(rows.Locator("td").Nth(3)).ToHaveTextAsync("Acme Property Management", new() { Timeout = Ms });
        await Assertions.Expect(error).ToBeHiddenAsync(new() { Timeout = Ms });
        await Assertions.Expect(page.GetByLabel("Purpose")).Not.ToHaveAttributeAsync("aria-invalid", "true", new() { Timeout = Ms });
        var recorded = Assert.Single(await LedgerAsync(console.Host.Http));
        Assert.Equal(["identifiers", "account-information"], recorded.GetProperty("dataCategories").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(("property-management", "property-management", "lease contract"), (recorded.GetProperty("recipientCategory").GetString(), recorded.GetProperty("purpose").GetString(), recorded.GetProperty("legalBasis").GetString()));
        Assert.Equal(
            ["identifiers, account-information", "property-management", "Acme Property Management", "property-management", "lease contract"],
            (await rows.Locator("td").AllInnerTextsAsync()).Skip(1).Take(5));
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync($"Disclosure {recorded.GetProperty("disclosureId").GetString()} recorded in the ledger.", new() { Timeout = Ms });
        await ScanAsync(page, "sharing ledger");

        // A property manager of that building: no link, the address takes them to their own view; the API refuses them the
        // ledger, and a manager of another building a disclosure about this resident. A resident: refused both.
        var manager = await console.SignInAsync("property-manager", "b-s");
        Assert.Equal(0, await manager.GetByRole(AriaRole.Link, new() { Name = "Sharing ledger" }).CountAsync());
        await manager.GotoAsync($"{console.ConsoleUrl}#disclosures");
        await Assertions.Expect(manager.Locator("#corrections-title")).ToBeFocusedAsync(new() { Timeout = Ms });
        await Assertions.Expect(manager.Locator("#view-disclosures")).ToBeHiddenAsync(new() { Timeout = Ms });
        Assert.DoesNotContain("Acme", await manager.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        var body = new { subjectId = "r-s", dataCategories = new[] { "identifiers" }, recipientCategory = "landlord", recipientName = "Other Landlord", purpose = "property-management", legalBasis = "lease" };
        Assert.Equal(HttpStatusCode.Forbidden, await LedgerStatusAsync(await console.Host.ManagerAsync("b-s")));
        using (var elsewhere = await (await console.Host.ManagerAsync("b-other")).PostAsJsonAsync("disclosures", body, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode);
        }

        var resident = await console.Host.ResidentAsync("r-s", "b-s", "u-1");
        Assert.Equal(HttpStatusCode.Forbidden, await LedgerStatusAsync(resident));
        using (var residentPost = await resident.PostAsJsonAsync("disclosures", body, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.Forbidden, residentPost.StatusCode);
        }

        Assert.Single(await LedgerAsync(console.Host.Http));
    }

    private static async Task<HttpStatusCode> LedgerStatusAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri("disclosures?subjectId=r-s", UriKind.Relative));
        return response.StatusCode;
    }

    private static async Task<List<JsonElement>> LedgerAsync(HttpClient officer) =>
        [.. JsonDocument.Parse(await officer.GetStringAsync(new Uri("disclosures?subjectId=r-s", UriKind.Relative))).RootElement.EnumerateArray()];
}
