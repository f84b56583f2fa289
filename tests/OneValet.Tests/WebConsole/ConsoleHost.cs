using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Microsoft.Playwright;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Calendars;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Storage;
using OneValet.Tests.EndToEnd;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.WebConsole;

/// <summary>
/// The real local host with the data the console shows (issue 19), and Debian's Chromium driven by Playwright: residents
/// in two buildings, open requests of several types and jurisdictions, a correction waiting in each building, a device,
/// a quarantined upload and a deleted one. Chromium is Debian's (<c>/usr/bin/chromium</c>, infra/install.sh), launched by
/// its path; Playwright's own browser download is never used.
/// </summary>
internal sealed partial class ConsoleHost : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>Generous: the CI machine has 2 cores shared with other builds.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    private IPlaywright? _playwright;

    private ConsoleHost(MailDevProcess mail, LocalHostProcess host)
    {
        Mail = mail;
        Host = host;
    }

    public MailDevProcess Mail { get; }

    public LocalHostProcess Host { get; }

    public IBrowser Browser { get; private set; } = null!;

    public Uri ConsoleUrl => new($"http://127.0.0.1:{Host.Port}/api/console");

    /// <summary>Seeded: open requests (id, type) and the corrections waiting in b-1 and b-2.</summary>
    public List<(string Id, string Type)> Requests { get; } = [];

    public string CorrectionInB1 { get; private set; } = "";

    public string CorrectionInB2 { get; private set; } = "";

    public static async Task<ConsoleHost> StartAsync(string name, bool seed = true)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run bash infra/install.sh (apt package chromium).");
        await AzuriteFixture.EnsureRunningAsync();
        var mail = await MailDevProcess.StartAsync();
        var host = new LocalHostProcess(name, new Dictionary<string, string>
        {
            ["OneValet:Email:SmtpPort"] = mail.SmtpPort.ToString(CultureInfo.InvariantCulture),

            // Footage kept 5 seconds, so the deletions view has real deletions to chart.
            ["OneValet:Retention:SurveillanceFootage"] = "00:00:05",
            ["OneValet:Retention:BucketWidth"] = "00:00:01",
            ["OneValet:Retention:PlanInterval"] = "00:00:01",
            ["OneValet:Retention:PlanningHorizon"] = "00:02:00",
        });
        var console = new ConsoleHost(mail, host);
        try
        {
            await host.StartAsync();
            if (seed)
            {
                await console.SeedAsync();
            }

            console._playwright = await Playwright.CreateAsync();
            console.Browser = await console._playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = ["--no-sandbox", "--disable-dev-shm-usage"],
                Timeout = (float)Wait.TotalMilliseconds,
            });
            return console;
        }
        catch
        {
            await console.DisposeAsync();
            throw;
        }
    }

    /// <summary>A new page (its own browser context: nothing shared, sessionStorage included) with generous timeouts.</summary>
    public async Task<IPage> PageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 900 }, Locale = "en-US" });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout((float)Wait.TotalMilliseconds);
        return page;
    }

    /// <summary>Opens the console and signs in through its form with a development token of the role.</summary>
    public async Task<IPage> SignInAsync(string role, string buildings = "")
    {
        var page = await PageAsync();
        await page.GotoAsync(ConsoleUrl.ToString());
        await Assertions.Expect(page.Locator("body[data-ready=true]")).ToHaveCountAsync(1, new() { Timeout = (float)Wait.TotalMilliseconds });
        await page.GetByLabel("Role").SelectOptionAsync(role);
        if (buildings.Length > 0)
        {
            await page.GetByLabel("Buildings you manage").FillAsync(buildings);
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#who-text")).ToContainTextAsync("Signed in", new() { Timeout = (float)Wait.TotalMilliseconds });
        return page;
    }

    public async Task ResidentAsync(string id, string building, string jurisdiction)
    {
        using var put = await (await Host.ManagerAsync(building)).PutAsJsonAsync($"residents/{id}", new { buildingId = building, unitId = "u-1", movedInAt = DateTimeOffset.UtcNow.AddYears(-1), email = id + "@console.test", jurisdiction }, ApiJson.Options);
        Assert.True(put.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
    }

    public async Task<string> SubmitAsync(object body)
    {
        using var response = await Host.Http.PostAsJsonAsync("privacy-requests", body, ApiJson.Options);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("requestId").GetString()!;
    }

    private async Task SeedAsync()
    {
        await ResidentAsync("r-1", "b-1", "california");
        await ResidentAsync("r-2", "b-1", "new-york");
        await ResidentAsync("r-3", "b-1", "canada");
        await ResidentAsync("r-9", "b-2", "california");

        Requests.Add((await SubmitAsync(new { type = "access", jurisdiction = "california", subject = new { residentId = "r-1" }, channel = "phone" }), "access"));
        Requests.Add((await SubmitAsync(new { type = "deletion", jurisdiction = "new-york", subject = new { residentId = "r-2" }, channel = "phone" }), "deletion"));
        CorrectionInB1 = await SubmitAsync(new { type = "correction", jurisdiction = "canada", province = "on", subject = new { residentId = "r-3" }, channel = "phone", correction = new { field = "unit", requestedValue = "u-7" } });
        CorrectionInB2 = await SubmitAsync(new { type = "correction", jurisdiction = "california", subject = new { residentId = "r-9" }, channel = "phone", correction = new { field = "unit", requestedValue = "u-8" } });
        Requests.Add((CorrectionInB1, "correction"));
        Requests.Add((CorrectionInB2, "correction"));

        // The corrections are verified by the person, so they wait for property management (O10, O11).
        foreach (var (request, resident) in new[] { (CorrectionInB1, "r-3"), (CorrectionInB2, "r-9") })
        {
            var code = await CodeAsync(resident + "@console.test", request);
            using var verified = await Host.Http.PostAsJsonAsync($"privacy-requests/{request}/verification", new { code }, ApiJson.Options);
            Assert.True(verified.StatusCode == HttpStatusCode.OK, await verified.Content.ReadAsStringAsync());
        }

        await Host.WaitUntilAsync(async () => await TaskCountAsync("b-1") == 1 && await TaskCountAsync("b-2") == 1, Wait);

        using (var device = await (await Host.ManagerAsync("b-1")).PutAsJsonAsync("buildings/b-1/devices/console-1", new { doorIds = new[] { "door-1", "garage" } }, ApiJson.Options))
        {
            Assert.True(device.IsSuccessStatusCode, await device.Content.ReadAsStringAsync());
        }

        // One upload refused at ingestion (not an MP4: quarantined with its reason), one kept 5 seconds and deleted (O2).
        var recordings = new BlobServiceClient(AzuriteFixture.ConnectionString).GetBlobContainerClient(Host.RecordingsContainer);
        var now = DateTimeOffset.UtcNow;
        await Hardware.UploadAsync(recordings, "b-1/door-1/not-a-video.mp4", "this is not a video"u8.ToArray(), Hardware.Metadata(now));
        await Hardware.UploadAsync(recordings, "b-1/door-1/clip-1.mp4", Hardware.Mp4(10_000, seed: 3), Hardware.Metadata(now));
        var day = now.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await Host.WaitUntilAsync(async () =>
        {
            var audit = await Host.Http.GetStringAsync(new Uri($"audit?from={day}T00:00:00Z&to={now.AddDays(1).UtcDateTime:yyyy-MM-dd}T00:00:00Z&pageSize=1000", UriKind.Relative));
            return audit.Contains("\"quarantined\"", StringComparison.Ordinal) && audit.Contains("\"deleted\"", StringComparison.Ordinal);
        }, Wait);
    }

    /// <summary>
    /// A request about a resident on file as intake builds it at <paramref name="receivedAt"/> (PrivacyRequestService's
    /// <c>NewRecord</c>: the jurisdiction from the record, D1's clocks: the jurisdiction's response period, receipt
    /// confirmed within 10 business days of its calendar), just received. Written by <see cref="StoreRequestsAsync"/>.
    /// </summary>
    public static PrivacyRequestRecord RequestAsReceived(string residentId, string jurisdiction, DateTimeOffset receivedAt)
    {
        var calendars = BusinessCalendars.Default;
        var calendar = calendars.CalendarFor(jurisdiction, null);
        return new PrivacyRequestRecord
        {
            RequestId = "req-" + Guid.NewGuid().ToString("N")[..16],
            Type = RequestType.Access,
            Jurisdiction = jurisdiction,
            JurisdictionSource = "record",
            Calendar = calendar,
            Channel = "phone",
            SubjectId = residentId,
            ReceivedAt = receivedAt,
            AcknowledgeBy = PrivacyRequestService.AcknowledgeBy(calendars, calendar, receivedAt),
            DueAt = receivedAt + PrivacyRequestService.ResponsePeriod(jurisdiction),
            Status = RequestStatus.Received,
            Steps = [new RequestStep("received", "done", receivedAt)],
        };
    }

    /// <summary>
    /// Writes requests into the local host's own record store (the SQLite file the host reads, no mock) as intake's
    /// <c>RegisterAsync</c> does: each record, and its entries in the open index and its month's index. One transaction
    /// per kind instead of a call each: how a test gets many requests, or ones received in the past (the API has no way to
    /// backdate one), without waiting for intake.
    /// </summary>
    public async Task StoreRequestsAsync(IReadOnlyCollection<PrivacyRequestRecord> records)
    {
        var store = Host.OpenStore();
        await store.ImportAsync(Containers.Requests, records.Select(r => (r.RequestId, PrivacyRequestRecord.DocumentId, r)));
        await store.ImportAsync(Containers.Requests, records.SelectMany(r =>
        {
            var entry = new RequestIndexEntry(r.RequestId, r.Type, r.ReceivedAt, r.DueAt, r.Status.ToString());
            return new[] { ("open", r.RequestId, entry), (PrivacyRequestService.ReceivedPartition(r.ReceivedAt), r.RequestId, entry) };
        }));
    }

    public async Task<int> TaskCountAsync(string building) =>
        JsonDocument.Parse(await Host.Http.GetStringAsync(new Uri($"buildings/{building}/correction-tasks", UriKind.Relative))).RootElement.GetArrayLength();

    private async Task<string> CodeAsync(string address, string requestId)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            var code = (await Mail.Api.ListAsync(address))
                .Where(e => e.Subject == "Your verification code" && e.Text!.Contains(requestId, StringComparison.Ordinal))
                .Select(e => CodePattern().Match(e.Text!).Groups[1].Value)
                .FirstOrDefault();
            if (code is { Length: 6 })
            {
                return code;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no verification code for {requestId}");
            await Task.Delay(200);
        }
    }

    /// <summary>The environment variable that sends the screenshots to docs/console (README, "The console").</summary>
    public const string UpdateScreenshots = "ONEVALET_UPDATE_SCREENSHOTS";

    /// <summary>
    /// Where screenshots go: the temp folder's <c>onevalet-tests/console-screenshots</c>, so that a test run leaves the
    /// repository as it was; docs/console (the committed ones README shows) only when <see cref="UpdateScreenshots"/> is
    /// set to 1 in the environment.
    /// </summary>
    public static string ScreenshotFolder { get; } =
        Environment.GetEnvironmentVariable(UpdateScreenshots) == "1"
            ? Path.Combine(RepositoryPaths.Root, "docs", "console")
            : Path.Combine(Path.GetTempPath(), "onevalet-tests", "console-screenshots");

    /// <summary>Saves a screenshot of the page as {name}.png in <see cref="ScreenshotFolder"/>.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = ScreenshotFolder;
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        await Host.DisposeAsync();
        await Mail.DisposeAsync();
    }

    [GeneratedRegex("code for privacy request [a-z0-9-]+ is ([0-9]{6})")]
    private static partial Regex CodePattern();
}
