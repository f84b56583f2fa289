using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using OneValet.Pipeline.Api;
using OneValet.Tests.EndToEnd;
using OneValet.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OneValet.Tests.Privacy;

/// <summary>
/// No personal data where it does not belong (issue 7, item 4): runs the end-to-end scenarios on the real local host with
/// real names, emails and phone numbers on file, then reads every log line (Information and up), every orchestration
/// instance id, input, output and history event in the task hub, and every queue message left behind (dead letters
/// included), and fails on any email address, name or phone number, any piece of a Facial Entry face image (as base64 or
/// hex), and the privacy request's one-time code. Resident ids are
/// pseudonymous by design (r-...), so they may appear.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed partial class NoPersonalDataTests(ITestOutputHelper output)
{
    private static readonly (string Id, string Name, string Email, string Phone)[] People =
    [
        ("r-p1", "Amelia Hartwell", "amelia.hartwell@private.test", "+1 212 555 0143"),
        ("r-p2", "Bartholomew Quince", "bart.quince@private.test", "+1 646 555 0178"),
        ("r-p3", "Consuelo Ibarra", "consuelo.ibarra@private.test", "+1 917 555 0111"),
    ];

    [Fact]
    public async Task Logs_orchestrations_and_queues_carry_no_email_name_or_phone()
    {
        await using var mail = await MailDevProcess.StartAsync();
        await AzuriteFixture.EnsureRunningAsync();
        var journal = Path.Combine(Path.GetTempPath(), "onevalet-journal-" + Guid.NewGuid().ToString("N") + ".log");
        var host = new LocalHostProcess("no-pii", new Dictionary<string, string>
        {
            ["OneValet:Email:SmtpPort"] = mail.SmtpPort.ToString(CultureInfo.InvariantCulture),

            // Every log at Debug, every category (the SDKs', ASP.NET Core's, the durable sidecar's), not only ours.
            ["Logging:LogLevel:Default"] = "Debug",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Debug",
            ["Logging:LogLevel:Azure"] = "Debug",
            ["Logging:LogLevel:Grpc"] = "Debug",
            ["Logging:LogLevel:OneValet"] = "Debug",

            // Every message ever queued, not only those still waiting (issue 13).
            ["Local:MessageJournal"] = journal,
        });
        await using (host)
        {
            await host.StartAsync();
            var manager = await host.ManagerAsync("b-p");
            foreach (var p in People)
            {
                using var put = await manager.PutAsJsonAsync($"residents/{p.Id}", new { buildingId = "b-p", unitId = "u-1", movedInAt = DateTimeOffset.UtcNow.AddYears(-1), email = p.Email, name = p.Name, phone = p.Phone, jurisdiction = "california" }, ApiJson.Options);
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            }

            // Facial Entry: a face image is personal data too. r-p1 consents and enrolls; a capture at the door is checked.
            var face = Hardware.Jpeg(30_000, seed: 77);
            var p1 = await host.ResidentAsync(People[0].Id, "b-p", "u-1");
            using (var consent = await p1.PostAsJsonAsync($"residents/{People[0].Id}/consents/facial-entry", new { policyVersion = "2022-06-29" }, ApiJson.Options))
            {
                Assert.Equal(HttpStatusCode.OK, consent.StatusCode);
            }

            using (var image = new ByteArrayContent(face))
            {
                image.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/jpeg");
                using var enrolled = await p1.PutAsync(new Uri($"residents/{People[0].Id}/facial-entry/enrollment", UriKind.Relative), image);
                Assert.Equal(HttpStatusCode.Created, enrolled.StatusCode);
            }

            var recordings = new Azure.Storage.Blobs.BlobServiceClient(AzuriteFixture.ConnectionString).GetBlobContainerClient(host.RecordingsContainer);
            await Hardware.UploadAsync(recordings, "b-p/d-1/cap-1.jpg", face, Hardware.Metadata(DateTimeOffset.UtcNow, kind: "facial-entry"));
            await host.WaitUntilAsync(async () =>
            {
                using var got = await host.Http.GetAsync(new Uri("recordings/b-p/d-1/cap-1", UriKind.Relative));
                return got.IsSuccessStatusCode && (await got.Content.ReadAsStringAsync()).Contains("faceCheck", StringComparison.Ordinal);
            }, TimeSpan.FromSeconds(60));

            var device = await host.DeviceAsync("console-1", "b-p", "d-1");
            using (var events = await device.PostAsJsonAsync("buildings/b-p/door-events", new { events = new[] { new { eventId = "e-1", doorId = "d-1", method = "fob", subjectId = "r-p1", at = DateTimeOffset.UtcNow.AddMinutes(-1), granted = true } } }, ApiJson.Options))
            {
                Assert.Equal(HttpStatusCode.Accepted, events.StatusCode);
            }

            using (var change = await device.PostAsJsonAsync("buildings/b-p/units/u-1/settings", new { setting = "guest-access", value = People[0].Name, changedBy = "r-p1" }, ApiJson.Options))
            {
                Assert.Equal(HttpStatusCode.Accepted, change.StatusCode);
            }

            // Personal data in every free-text field a caller can fill (issue 13): it may be stored where it belongs, and must
            // travel nowhere else (this scan found a setting's value, an extension's reason and an incident's description in
            // queue messages; they are now read from their records at send time, or not carried at all).
            using (var hold = await host.Http.PostAsJsonAsync("holds", new { reason = "fraud-or-illegal-activity", scope = new { subjectId = "r-p3" }, owner = Staff.Email, reviewBy = DateTimeOffset.UtcNow.AddDays(1), note = $"{People[2].Name} ({People[2].Phone}) reported by {Staff.Name}" }, ApiJson.Options))
            {
                Assert.Equal(HttpStatusCode.Created, hold.StatusCode);
            }

            using (var disclosure = await host.Http.PostAsJsonAsync("disclosures", new { subjectId = "r-p2", dataCategories = new[] { "identifiers" }, recipientCategory = "property-management", recipientName = Staff.Name, purpose = "property-management", legalBasis = $"lease of {People[1].Name}, {People[1].Email}", authorization = People[1].Phone }, ApiJson.Options))
            {
                Assert.Equal(HttpStatusCode.Created, disclosure.StatusCode);
            }

            using (var incident = await host.Http.PostAsJsonAsync("incidents", new { discoveredAt = DateTimeOffset.UtcNow.AddHours(-1), buildings = new[] { "b-p" }, dataCategories = new[] { "identifiers" }, windowFrom = DateTimeOffset.UtcNow.AddDays(-10), windowTo = DateTimeOffset.UtcNow.AddHours(-2), description = $"laptop of {Staff.Name} ({Staff.Email}) with {People[0].Name}'s lease" }, ApiJson.Options))
            {
                Assert.Equal(HttpStatusCode.Accepted, incident.StatusCode);
            }

            string requestId;
            using (var request = await host.Http.PostAsJsonAsync("privacy-requests", new { type = "access", jurisdiction = "california", subject = new { email = People[1].Email, buildingId = "b-p" }, channel = "web", agent = new { name = "Dorothea Lindqvist", email = "dorothea.lindqvist@private.test", permissionReference = "signed", signedPermission = true, permissionDocument = "JVBERi0xLjQKJSBzaWduZWQgcGVybWlzc2lvbgo=" } }, ApiJson.Options))
            {
                Assert.Equal(HttpStatusCode.Accepted, request.StatusCode);
                requestId = JsonDocument.Parse(await request.Content.ReadAsStringAsync()).RootElement.GetProperty("requestId").GetString()!;
            }

            using (var extension = await host.Http.PostAsJsonAsync($"privacy-requests/{requestId}/extension", new { reason = $"{Staff.Name} must first redact {People[0].Name} from the footage" }, ApiJson.Options))
            {
                Assert.True(extension.IsSuccessStatusCode, await extension.Content.ReadAsStringAsync());
            }

            // Let the campaign, the alerts and the request reach their mail, then wrong codes (an error path) and the right one.
            await mail.Api.WaitForAsync(People[2].Email, 2, TimeSpan.FromSeconds(60));
            var code = await CodeAsync(mail, People[1].Email);
            using (var wrong = await host.Http.PostAsJsonAsync($"privacy-requests/{requestId}/verification", new { code = code == "000000" ? "111111" : "000000" }, ApiJson.Options))
            {
                Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
            }

            using (var right = await host.Http.PostAsJsonAsync($"privacy-requests/{requestId}/verification", new { code }, ApiJson.Options))
            {
                Assert.Equal(HttpStatusCode.OK, right.StatusCode);
            }

            await host.WaitUntilAsync(async () => (await host.Http.GetFromJsonAsync<JsonElement>($"privacy-requests/{requestId}", ApiJson.Options)).GetProperty("request").GetProperty("status").GetString() == "completed", TimeSpan.FromSeconds(60));

            // A correction whose field and requested value are the person's own words (issue 15): they reach property
            // management's mail (here the privacy office's, no building mailbox being set) and travel nowhere else.
            string correctionId;
            using (var correction = await host.Http.PostAsJsonAsync("privacy-requests", new { type = "correction", jurisdiction = "california", subject = new { residentId = People[2].Id }, channel = "app", correction = new { field = $"name ({People[2].Name})", requestedValue = $"{People[2].Name}, {People[2].Phone}" } }, ApiJson.Options))
            {
                Assert.Equal(HttpStatusCode.Accepted, correction.StatusCode);
                correctionId = JsonDocument.Parse(await correction.Content.ReadAsStringAsync()).RootElement.GetProperty("requestId").GetString()!;
            }

            var correctionCode = await PollAsync(async () =>
                (await mail.Api.ListAsync(People[2].Email)).Where(e => e.Text!.Contains(correctionId, StringComparison.Ordinal)).Select(e => CodePattern().Match(e.Text!)).FirstOrDefault(m => m.Success)?.Groups[1].Value,
                TimeSpan.FromSeconds(60));
            using (var right = await host.Http.PostAsJsonAsync($"privacy-requests/{correctionId}/verification", new { code = correctionCode }, ApiJson.Options))
            {
                Assert.Equal(HttpStatusCode.OK, right.StatusCode);
            }

            var task = await PollAsync(async () =>
                (await mail.Api.ListAsync("privacy-office@onevalet.local")).FirstOrDefault(e => e.Subject == $"Correction request {correctionId} for building b-p"),
                TimeSpan.FromSeconds(60));
            Assert.Contains(People[2].Phone, task.Text, StringComparison.Ordinal);

            var places = new Dictionary<string, string> { ["log lines and exception messages"] = host.Output };
            places["orchestration instances, inputs and outputs"] = await TableTextAsync(host.TaskHub + "Instances");
            places["orchestration history"] = await TableTextAsync(host.TaskHub + "History");
            places["queue messages left"] = await QueueTextAsync(host.QueuePrefix);
            places["every message ever queued, dead letters included"] = File.Exists(journal) ? await File.ReadAllTextAsync(journal) : "";
            places["durable large-message blobs"] = await BlobTextAsync(host.TaskHub.ToLowerInvariant() + "-largemessages");

            var needles = People.Append(Staff).SelectMany(p => new[] { p.Email, p.Name, p.Phone, p.Name.Split(' ')[1] })
                .Concat(["dorothea.lindqvist@private.test", "Dorothea Lindqvist"])
                .Concat([Convert.ToBase64String(face, 120, 48), Convert.ToHexString(face, 120, 24), Convert.ToHexStringLower(face, 120, 24)]).ToList();
            // A one-time code is a secret as well as personal data (issue 13): it may be in the person's mail and nowhere else,
            // as a number of its own (not a piece of a longer run of digits such as a timestamp).
            var codeAlone = new Regex($"(?<![0-9]){code}(?![0-9])", RegexOptions.None, TimeSpan.FromSeconds(10));
            var found = new List<string>();
            foreach (var (place, text) in places)
            {
                output.WriteLine($"{place}: {text.Length:N0} characters read");
                found.AddRange(needles.Where(n => text.Contains(n, StringComparison.OrdinalIgnoreCase)).Select(n => $"{place}: {n}"));
                found.AddRange(EmailPattern().Matches(text).Select(m => m.Value).Distinct().Select(e => $"{place}: an email address {e}"));
                if (codeAlone.IsMatch(text) || new Regex($"(?<![0-9]){correctionCode}(?![0-9])", RegexOptions.None, TimeSpan.FromSeconds(10)).IsMatch(text))
                {
                    found.Add($"{place}: a verification code");
                }
            }

            Assert.True(found.Count == 0, "personal data found:\n" + string.Join('\n', found.Distinct()));
            Assert.True(places["every message ever queued, dead letters included"].Length > 0, "the message journal is empty");
            File.Delete(journal);
            Assert.True(places["orchestration instances, inputs and outputs"].Length > 0, "no orchestration was read");
        }
    }

    /// <summary>A member of staff: the hold's owner, the incident's reporter. Staff are people too.</summary>
    private static readonly (string Id, string Name, string Email, string Phone) Staff = ("staff", "Evangeline Mortimer", "evangeline.mortimer@private.test", "+1 718 555 0199");

    /// <summary>The text of every blob of a container (none when it does not exist).</summary>
    private static async Task<string> BlobTextAsync(string container)
    {
        var client = new Azure.Storage.Blobs.BlobServiceClient(AzuriteFixture.ConnectionString).GetBlobContainerClient(container);
        if (!(await client.ExistsAsync()).Value)
        {
            return "";
        }

        var text = new StringBuilder();
        await foreach (var blob in client.GetBlobsAsync())
        {
            var content = (await client.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToArray();
            text.Append(blob.Name).Append('\n');
            try
            {
                using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(content), System.IO.Compression.CompressionMode.Decompress);
                using var reader = new StreamReader(gzip);
                text.Append(await reader.ReadToEndAsync()).Append('\n');
            }
            catch (InvalidDataException)
            {
                text.Append(Encoding.UTF8.GetString(content)).Append('\n'); // stored uncompressed
            }
        }

        return text.ToString();
    }

    private static async Task<string> TableTextAsync(string table)
    {
        var client = new TableServiceClient(AzuriteFixture.ConnectionString).GetTableClient(table);
        var text = new StringBuilder();
        await foreach (var entity in client.QueryAsync<TableEntity>())
        {
            foreach (var (key, value) in entity)
            {
                text.Append(key).Append('=').Append(value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : value?.ToString()).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>The bodies of every message waiting in a host's queues, dead-letter (poison) queues included.</summary>
    internal static async Task<string> QueueTextAsync(string prefix)
    {
        var service = new QueueServiceClient(AzuriteFixture.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var text = new StringBuilder();
        await foreach (var queue in service.GetQueuesAsync(prefix: prefix))
        {
            foreach (var message in (await service.GetQueueClient(queue.Name).PeekMessagesAsync(32)).Value)
            {
                text.Append(message.Body.ToString()).Append('\n');
            }
        }

        return text.ToString();
    }

    private static async Task<T> PollAsync<T>(Func<Task<T?>> probe, TimeSpan timeout)
        where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(200);
        }
    }

    private static async Task<string> CodeAsync(MailDevProcess mail, string address)
    {
        var emails = await mail.Api.WaitForAsync(address, 2, TimeSpan.FromSeconds(60));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var match = emails.Select(e => CodePattern().Match(e.Text ?? string.Empty)).FirstOrDefault(m => m.Success);
            if (match is not null)
            {
                return match.Groups[1].Value;
            }

            Assert.True(DateTime.UtcNow < deadline, "no verification code arrived");
            await Task.Delay(200);
            emails = await mail.Api.ListAsync(address);
        }
    }

    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")]
    private static partial Regex EmailPattern();

    [GeneratedRegex("code for privacy request [a-z0-9-]+ is ([0-9]{6})")]
    private static partial Regex CodePattern();
}
