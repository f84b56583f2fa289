using System.Globalization;
using System.Net;
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Playwright;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.WebConsole;

/// <summary>
/// Issue 19 with README's catalogue reads (`GET /api/buildings/{id}/recordings`): the privacy officer reads a building's
/// catalogue in the console for a time range, each record with its door, capture time, category, purpose, source, rule and
/// deadline (O1, O2, O4) and nothing of its content, as the API lists it; another spelling of the building's id is the
/// API's 400 in the form's alert, not an empty list. A property manager is not offered the view (their views are their
/// buildings' correction tasks and devices).
/// </summary>
public sealed partial class ConsoleBrowserTests
{
    [Fact]
    public async Task The_privacy_officer_reads_a_buildings_recordings_catalogue_in_the_console_and_a_manager_is_not_offered_it()
    {
        await using var console = await ConsoleHost.StartAsync("console-recordings");
        var container = new BlobServiceClient(AzuriteFixture.ConnectionString).GetBlobContainerClient(console.Host.RecordingsContainer);
        var at = new DateTimeOffset(DateTime.UtcNow.AddMinutes(-30).Ticks / TimeSpan.TicksPerMinute * TimeSpan.TicksPerMinute, TimeSpan.Zero);
        for (var i = 0; i < 3; i++)
        {
            // Facial Entry captures (O4: 90 days), so the host's 5-second footage rule does not take them during the test.
            await Hardware.UploadAsync(container, $"b-1/{(i == 2 ? "garage" : "door-1")}/face-{i}.jpg", Hardware.Jpeg(4_000, seed: 40 + i), Hardware.Metadata(at.AddMinutes(i), kind: "facial-entry"));
        }

        await console.Host.WaitUntilAsync(async () => (await CatalogueAsync(console.Host.Http, at)).Count == 3, ConsoleHost.Wait);
        var listed = await CatalogueAsync(console.Host.Http, at);

        var page = await console.SignInAsync("privacy-officer");
        await GoAsync(page, "Recordings", "Recordings");
        var rows = page.Locator("#recordings-table tbody tr");
        await Assertions.Expect(rows).ToHaveTextAsync(["Choose a building."], new() { Timeout = Ms });

        // Another spelling of the id: the API's 400, in the form's alert.
        var view = page.Locator("#view-recordings");
        await view.GetByLabel("Catalogue of building (id)").FillAsync("B-1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show recordings" }).ClickAsync();
        var error = page.Locator("#recordings-error");
        await Assertions.Expect(error).ToContainTextAsync("(HTTP 400)", new() { Timeout = Ms });

        // The range around the three captures, sent by keyboard: the rows are the API's records, in its order.
        await view.GetByLabel("Catalogue of building (id)").FillAsync("b-1");
        await view.GetByLabel("Captured from").FillAsync(Local(at.AddMinutes(-1)));
        await view.GetByLabel("Captured before").FillAsync(Local(at.AddMinutes(10)));
        await TabToAsync(page, null, "Show recordings");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(rows).ToHaveCountAsync(3, new() { Timeout = Ms });
        await Assertions.Expect(error).ToBeHiddenAsync(new() { Timeout = Ms });
        Assert.Equal(listed.Select(r => r.GetProperty("captureId").GetString()), await page.Locator("#recordings-table tbody tr td:nth-child(3)").AllInnerTextsAsync());
        foreach (var (record, index) in listed.Select((r, i) => (r, i)))
        {
            var cells = await rows.Nth(index).Locator("td").AllInnerTextsAsync();
            Assert.Equal(record.GetProperty("doorId").GetString(), cells[1]);
            Assert.Equal(record.GetProperty("purpose").GetString(), cells[5]);
            Assert.Contains("(O4)", cells[7], StringComparison.Ordinal);
            Assert.DoesNotContain(record.GetProperty("sha256").GetString()!, await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        }

        await Assertions.Expect(page.Locator("#recordings-more")).ToBeHiddenAsync(new() { Timeout = Ms });
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("3 recordings of building b-1 shown.", new() { Timeout = Ms });
        await ScanAsync(page, "recordings");

        // A property manager of that building: no link, and the address takes them to their own view.
        var manager = await console.SignInAsync("property-manager", "b-1");
        Assert.Equal(0, await manager.GetByRole(AriaRole.Link, new() { Name = "Recordings" }).CountAsync());
        await manager.GotoAsync($"{console.ConsoleUrl}#recordings");
        await Assertions.Expect(manager.Locator("#corrections-title")).ToBeFocusedAsync(new() { Timeout = Ms });
        await Assertions.Expect(manager.Locator("#view-recordings")).ToBeHiddenAsync(new() { Timeout = Ms });

        // A resident is refused the catalogue by the API.
        var resident = await console.Host.ResidentAsync("r-rec", "b-1", "u-1");
        using var refused = await resident.GetAsync(new Uri("buildings/b-1/recordings", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    private static string Local(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);

    private static async Task<List<JsonElement>> CatalogueAsync(HttpClient officer, DateTimeOffset at)
    {
        var from = Uri.EscapeDataString(at.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture));
        var to = Uri.EscapeDataString(at.AddMinutes(10).ToString("O", CultureInfo.InvariantCulture));
        using var document = JsonDocument.Parse(await officer.GetStringAsync(new Uri($"buildings/b-1/recordings?from={from}&to={to}&pageSize=100", UriKind.Relative)));
        return [.. document.RootElement.GetProperty("items").EnumerateArray().Select(e => e.Clone())];
    }
}
