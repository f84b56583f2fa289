using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Kiota.Abstractions.Serialization;
using OneValet.Client;
using OneValet.Tests.Contract;
using OneValet.Tests.Infrastructure;
using Xunit;
using Models = OneValet.Client.Models;

namespace OneValet.Tests.EndToEnd;

/// <summary>
/// O17 (exercising a right never changes the service a person gets), on the real local host: the same calls for one
/// resident before and after each kind of request they make (access, categories shared, correction, deletion while they
/// live here) answer the same: their record and its flags, their message preferences, their consent, their Facial Entry
/// status, and the service calls they make (door events, preferences, the policy to consent to) still succeed. Every call
/// goes through the client generated from the OpenAPI document (issue 20.2).
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
        var manager = await host.ManagerApiAsync("b-o");
        await ApiAssert.AnswersAsync(HttpStatusCode.Created, s => manager.Api.Residents["r-o"].PutAsync(
            new Models.ResidentInput { BuildingId = "b-o", UnitId = "u-1", MovedInAt = DateTimeOffset.UtcNow.AddYears(-1), Email = "r-o@o17.test", Name = "Olu Adeyemi", Phone = "+1 212 555 0170", Jurisdiction = "california" },
            c => c.Options.Add(s)));

        var resident = await host.ResidentApiAsync("r-o", "b-o", "u-1");
        var device = await host.DeviceApiAsync("console-1", "b-o", "d-1");
        await ApiAssert.AnswersAsync(HttpStatusCode.OK, s => resident.Api.Residents["r-o"].Consents.FacialEntry.PostAsync(new Models.ConsentInput { PolicyVersion = "2022-06-29" }, c => c.Options.Add(s)));
        await ApiAssert.AnswersAsync(HttpStatusCode.OK, s => resident.Api.Residents["r-o"].MessagePreferences.PutAsync(new Models.MessagePreferencesInput { Informational = false, Offers = true }, c => c.Options.Add(s)));
        var before = await ServiceAsync(resident, device, "before");

        var index = 0;
        foreach (var (type, correction) in new (Models.PrivacyRequestInput_type, Models.PrivacyRequestInput_correction?)[]
        {
            (Models.PrivacyRequestInput_type.Access, null),
            (Models.PrivacyRequestInput_type.CategoriesShared, null),
            (Models.PrivacyRequestInput_type.Correction, new Models.PrivacyRequestInput_correction { Field = "phone", RequestedValue = "+1 212 555 0171" }),
            (Models.PrivacyRequestInput_type.Deletion, null),
        })
        {
            index++;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var filed = await ApiAssert.AnswersAsync(HttpStatusCode.Accepted, s => resident.Api.PrivacyRequests.PostAsync(
                new Models.PrivacyRequestInput { Type = type, Jurisdiction = "california", Subject = new Models.PrivacyRequestInput_subject { ResidentId = "r-o" }, Channel = "app", Correction = correction },
                c => c.Options.Add(s)));
            var id = filed.RequestId!;

            var code = await CodeAsync(mail, id);
            output.WriteLine($"request {index}: code after {watch.Elapsed.TotalSeconds:F1} s");
            await ApiAssert.AnswersAsync(HttpStatusCode.OK, s => resident.Api.PrivacyRequests[id].Verification.PostAsync(new Models.VerificationInput { Code = code }, c => c.Options.Add(s)));
            if (index == 3)
            {
                // Property management declines the correction, with its reason: the service stays as it was.
                await host.WaitUntilAsync(async () => (await host.Api.Api.PrivacyRequests[id].GetAsync())!.Request!.Status == Models.PrivacyRequestStatus_request_status.AwaitingPropertyManagement, Wait);
                await ApiAssert.AnswersAsync(HttpStatusCode.Accepted, s => manager.Api.PrivacyRequests[id].CorrectionOutcome.PostAsync(
                    new Models.CorrectionOutcomeInput { Outcome = "declined", Note = "the lease names the old number" }, c => c.Options.Add(s)));
            }

            await host.WaitUntilAsync(async () => (await host.Api.Api.PrivacyRequests[id].GetAsync())!.Request!.ClosedAt is not null, Wait);
            output.WriteLine($"request {index}: closed after {watch.Elapsed.TotalSeconds:F1} s");
            var after = await ServiceAsync(resident, device, "after-" + index);
            foreach (var (what, value) in before)
            {
                Assert.True(JsonNode.DeepEquals(value, after[what]), $"O17: '{what}' changed after the {index}th request:\nbefore {value?.ToJsonString()}\nafter  {after[what]?.ToJsonString()}");
            }
        }
    }

    /// <summary>What the service gives the resident now, and that its calls still work (each call made afresh).</summary>
    /// <remarks>The typed answers are compared as the JSON the client read (declared members and any others).</remarks>
    private static async Task<Dictionary<string, JsonNode?>> ServiceAsync(OneValetClient resident, OneValetClient device, string tag)
    {
        var service = new Dictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["record (identifiers, jurisdiction, flags, consent, Facial Entry status)"] = await JsonAsync(await resident.Api.Residents["r-o"].GetAsync()),
            ["message preferences"] = await JsonAsync(await resident.Api.Residents["r-o"].MessagePreferences.GetAsync()),
            ["consents"] = await JsonAsync(await resident.Api.Residents["r-o"].Consents.GetAsync()),
        };

        // The calls the resident's service is made of still answer as they did.
        var events = new ResponseStatus();
        await device.Api.Buildings["b-o"].DoorEvents.PostAsync(
            new Models.DoorEventBatch { Events = [new Models.DoorEventBatch_events { EventId = "e-" + tag, DoorId = "d-1", Method = Models.DoorEventBatch_events_method.Fob, SubjectId = "r-o", At = DateTimeOffset.UtcNow.AddSeconds(-5), Granted = true }] },
            c => c.Options.Add(events));
        service["door event for them"] = (int?)events.Code;

        var prefs = new ResponseStatus();
        await resident.Api.Residents["r-o"].MessagePreferences.PutAsync(new Models.MessagePreferencesInput { Informational = false, Offers = true }, c => c.Options.Add(prefs));
        service["changing their preferences"] = (int?)prefs.Code;

        var policy = new ResponseStatus();
        await resident.Api.FacialEntry.Policy.GetAsync(c => c.Options.Add(policy));
        service["the Facial Entry policy to consent to"] = (int?)policy.Code;
        return service;
    }

    private static async Task<JsonNode?> JsonAsync<T>(T? value)
        where T : IParsable => JsonNode.Parse(await KiotaJsonSerializer.SerializeAsStringAsync(Assert.IsAssignableFrom<T>(value)));

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
