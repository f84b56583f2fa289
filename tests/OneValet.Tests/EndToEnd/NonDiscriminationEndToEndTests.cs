using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OneValet.Pipeline.Api;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.EndToEnd;

/// <summary>
/// O17 (exercising a right never changes the service a person gets), on the real local host: the same calls for one
/// resident before and after each kind of request they make (access, categories shared, correction, deletion while they
/// live here) answer the same: their record and its flags, their message preferences, their consent, their Facial Entry
/// status, and the service calls they make (door events, preferences, the policy to consent to) still succeed.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed partial class NonDiscriminationEndToEndTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task The_service_a_resident_gets_is_the_same_before_and_after_each_kind_of_request()
    {
        await using var mail = await MailDevProcess.StartAsync();
        await AzuriteFixture.EnsureRunningAsync();
        await using var host = new LocalHostProcess("o17", new Dictionary<string, string>
        {
            ["OneValet:Email:SmtpPort"] = mail.SmtpPort.ToString(CultureInfo.InvariantCulture),
            ["OneValet:Requests:CorrectionEscalation"] = "00:00:00",
        });
        await host.StartAsync();
        var manager = await host.ManagerAsync("b-o");
        using (var put = await manager.PutAsJsonAsync("residents/r-o", new { buildingId = "b-o", unitId = "u-1", movedInAt = DateTimeOffset.UtcNow.AddYears(-1), email = "r-o@o17.test", name = "Olu Adeyemi", phone = "+1 212 555 0170", jurisdiction = "california" }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var resident = await host.ResidentAsync("r-o", "b-o", "u-1");
        var device = await host.DeviceAsync("console-1", "b-o", "d-1");
        Assert.Equal(HttpStatusCode.OK, (await resident.PostAsJsonAsync("residents/r-o/consents/facial-entry", new { policyVersion = "2022-06-29" }, ApiJson.Options)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await resident.PutAsJsonAsync("residents/r-o/message-preferences", new { informational = false, offers = true }, ApiJson.Options)).StatusCode);
        var before = await ServiceAsync(resident, device, "before");

        var index = 0;
        foreach (var request in new object[]
        {
            new { type = "access", jurisdiction = "california", subject = new { residentId = "r-o" }, channel = "app" },
            new { type = "categories-shared", jurisdiction = "california", subject = new { residentId = "r-o" }, channel = "app" },
            new { type = "correction", jurisdiction = "california", subject = new { residentId = "r-o" }, channel = "app", correction = new { field = "phone", requestedValue = "+1 212 555 0171" } },
            new { type = "deletion", jurisdiction = "california", subject = new { residentId = "r-o" }, channel = "app" },
        })
        {
            index++;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            string id;
            using (var filed = await resident.PostAsJsonAsync("privacy-requests", request, ApiJson.Options))
            {
                Assert.Equal(HttpStatusCode.Accepted, filed.StatusCode);
                id = JsonDocument.Parse(await filed.Content.ReadAsStringAsync()).RootElement.GetProperty("requestId").GetString()!;
            }

            var code = await CodeAsync(mail, id);
            output.WriteLine($"request {index}: code after {watch.Elapsed.TotalSeconds:F1} s");
            Assert.Equal(HttpStatusCode.OK, (await resident.PostAsJsonAsync($"privacy-requests/{id}/verification", new { code }, ApiJson.Options)).StatusCode);
            if (index == 3)
            {
                // Property management declines the correction, with its reason: the service stays as it was.
                await host.WaitUntilAsync(async () => (await host.Http.GetFromJsonAsync<JsonElement>($"privacy-requests/{id}", ApiJson.Options)).GetProperty("request").GetProperty("status").GetString() == "awaiting-property-management", Wait);
                Assert.Equal(HttpStatusCode.Accepted, (await manager.PostAsJsonAsync($"privacy-requests/{id}/correction-outcome", new { outcome = "declined", note = "the lease names the old number" }, ApiJson.Options)).StatusCode);
            }

            await host.WaitUntilAsync(async () => (await host.Http.GetFromJsonAsync<JsonElement>($"privacy-requests/{id}", ApiJson.Options)).GetProperty("request").TryGetProperty("closedAt", out _), Wait);
            output.WriteLine($"request {index}: closed after {watch.Elapsed.TotalSeconds:F1} s");
            var after = await ServiceAsync(resident, device, "after-" + index);
            foreach (var (what, value) in before)
            {
                Assert.True(JsonNode.DeepEquals(value, after[what]), $"O17: '{what}' changed after the {index}th request:\nbefore {value?.ToJsonString()}\nafter  {after[what]?.ToJsonString()}");
            }
        }
    }

    /// <summary>What the service gives the resident now, and that its calls still work (each call made afresh).</summary>
    private static async Task<Dictionary<string, JsonNode?>> ServiceAsync(HttpClient resident, HttpClient device, string tag)
    {
        var record = JsonNode.Parse(await resident.GetStringAsync(new Uri("residents/r-o", UriKind.Relative)))!.AsObject();
        var service = new Dictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["record (identifiers, jurisdiction, flags, consent, Facial Entry status)"] = record,
            ["message preferences"] = JsonNode.Parse(await resident.GetStringAsync(new Uri("residents/r-o/message-preferences", UriKind.Relative))),
            ["consents"] = JsonNode.Parse(await resident.GetStringAsync(new Uri("residents/r-o/consents", UriKind.Relative))),
        };

        // The calls the resident's service is made of still answer as they did.
        using (var events = await device.PostAsJsonAsync("buildings/b-o/door-events", new { events = new[] { new { eventId = "e-" + tag, doorId = "d-1", method = "fob", subjectId = "r-o", at = DateTimeOffset.UtcNow.AddSeconds(-5), granted = true } } }, ApiJson.Options))
        {
            service["door event for them"] = (int)events.StatusCode;
        }

        using (var prefs = await resident.PutAsJsonAsync("residents/r-o/message-preferences", new { informational = false, offers = true }, ApiJson.Options))
        {
            service["changing their preferences"] = (int)prefs.StatusCode;
        }

        using (var policy = await resident.GetAsync(new Uri("facial-entry/policy", UriKind.Relative)))
        {
            service["the Facial Entry policy to consent to"] = (int)policy.StatusCode;
        }

        return service;
    }

    private static async Task<string> CodeAsync(MailDevProcess mail, string requestId)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            var code = (await mail.Api.ListAsync("r-o@o17.test"))
                .Where(e => e.Subject == "Your verification code" && e.Text!.Contains(requestId, StringComparison.Ordinal))
                .Select(e => CodePattern().Match(e.Text!).Groups[1].Value)
                .FirstOrDefault();
            if (code is not null)
            {
                return code;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no verification code for {requestId}");
            await Task.Delay(200);
        }
    }

    [GeneratedRegex("code for privacy request [a-z0-9-]+ is ([0-9]{6})")]
    private static partial Regex CodePattern();
}
