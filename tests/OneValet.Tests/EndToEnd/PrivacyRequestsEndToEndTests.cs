using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using OneValet.Client;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;
using Models = OneValet.Client.Models;

namespace OneValet.Tests.EndToEnd;

/// <summary>
/// Step 4 end to end on the real local host with a real SMTP catcher of the test's own (O8–O11, O15, O18): every request
/// type, codes that are wrong, locked out or expired, the extension, California's twice-a-year limit, deletion with a hold
/// in place, an authorized agent, a duplicate joining the first, and a kill -9 in the middle of a request. Every call to the
/// API goes through the client generated from the OpenAPI document (issue 20.2): wrong codes, bad guardians and bad
/// permission documents are values the client sends as it would any other.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed partial class PrivacyRequestsEndToEndTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    /// <summary>A signed permission as an agent sends it (O10): a (tiny) PDF, base64.</summary>
    private const string SignedPermissionPdf = "JVBERi0xLjQKJSBzaWduZWQgcGVybWlzc2lvbgo=";

    [Fact]
    public async Task California_access_is_verified_answered_with_a_short_lived_export_and_limited_to_twice_a_year()
    {
        await using var mail = await MailDevProcess.StartAsync();
        await using var host = await StartAsync("access", mail);
        await ResidentAsync(host, "ann", "b-a", "ann@requests.test", "california");
        await DoorEventsAsync(host, "b-a", new Models.DoorEventBatch_events { EventId = "e-1", DoorId = "d-1", Method = Models.DoorEventBatch_events_method.Fob, SubjectId = "ann", At = DateTimeOffset.UtcNow.AddMinutes(-5), Granted = true });

        var first = await SubmitAsync(host, Request(Models.PrivacyRequestInput_type.Access, "california", "app", "ann"));
        var duplicate = await SubmitAsync(host, Request(Models.PrivacyRequestInput_type.Access, "california", "web", "ann"));
        Assert.Equal(first, duplicate);

        var code = await CodeAsync(mail, "ann@requests.test", first, 1);
        var wrong = await ApiAssert.RefusedAsync(HttpStatusCode.BadRequest, null, () => host.Api.Api.PrivacyRequests[first].Verification.PostAsync(new Models.VerificationInput { Code = code == "000000" ? "111111" : "000000" }));
        Assert.Equal("4", ApiAssert.Extension(wrong, "attemptsLeft"));

        await VerifyAsync(host, first, code);
        var status = await FinalAsync(host, first);
        Assert.Equal(Models.PrivacyRequestStatus_request_status.Completed, status.Request!.Status);
        Assert.NotNull(status.ExportLink);
        Assert.NotNull(status.Request.AcknowledgedAt);
        Assert.Equal(status.Request.ReceivedAt!.Value.AddDays(45), status.Request.DueAt);
        Assert.Contains(status.Request.Steps!, s => s.Name == "verified");
        var exportLink = new Uri(status.ExportLink!);
        using (var download = new HttpClient())
        {
            var export = JsonDocument.Parse(await download.GetStringAsync(exportLink));
            Assert.Equal("ann@requests.test", export.RootElement.GetProperty("identifiers").GetProperty("email").GetString());
            Assert.Equal(1, export.RootElement.GetProperty("hardwareUsage").GetProperty("doorEvents").GetArrayLength());
        }

        Assert.Contains("se=", exportLink.Query, StringComparison.Ordinal);
        Assert.Contains("sp=r", exportLink.Query, StringComparison.Ordinal);

        // A second access request within 12 months is answered; a third is refused (twice per 12 months).
        await Task.Delay(TimeSpan.FromSeconds(1));
        var second = await SubmitAsync(host, Request(Models.PrivacyRequestInput_type.Access, "california", "email", "ann", lookbackFrom: DateTimeOffset.Parse("2022-01-01T00:00:00Z", CultureInfo.InvariantCulture)));
        await VerifyAsync(host, second, await CodeAsync(mail, "ann@requests.test", second, 1));
        Assert.Equal(Models.PrivacyRequestStatus_request_status.Completed, (await FinalAsync(host, second)).Request!.Status);
        var third = await SubmitAsync(host, Request(Models.PrivacyRequestInput_type.Access, "california", "phone", "ann", lookbackFrom: DateTimeOffset.Parse("2023-01-01T00:00:00Z", CultureInfo.InvariantCulture)));
        await VerifyAsync(host, third, await CodeAsync(mail, "ann@requests.test", third, 1));
        var refused = await FinalAsync(host, third);
        Assert.Equal(Models.PrivacyRequestStatus_request_status.Denied, refused.Request!.Status);
        Assert.Equal("limit-twice-per-12-months", refused.Request.DenialReason);
    }

    [Fact]
    public async Task Wrong_codes_lock_out_an_unverified_request_expires_and_nothing_is_released()
    {
        await using var mail = await MailDevProcess.StartAsync();
        await using var host = await StartAsync("codes", mail, new() { ["OneValet:Requests:VerificationWindow"] = "00:00:04" });
        await ResidentAsync(host, "bo", "b-c", "bo@requests.test", "new-york");
        var locked = await SubmitAsync(host, Request(Models.PrivacyRequestInput_type.Access, "new-york", "web", email: "bo@requests.test", buildingId: "b-c"));
        var code = await CodeAsync(mail, "bo@requests.test", locked, 1);
        var wrong = code == "999999" ? "123456" : "999999";
        var verification = host.Api.Api.PrivacyRequests[locked].Verification;
        for (var i = 0; i < 4; i++)
        {
            await ApiAssert.RefusedAsync(HttpStatusCode.BadRequest, null, () => verification.PostAsync(new Models.VerificationInput { Code = wrong }));
        }

        await ApiAssert.RefusedAsync(HttpStatusCode.TooManyRequests, null, () => verification.PostAsync(new Models.VerificationInput { Code = wrong }));
        await ApiAssert.RefusedAsync(HttpStatusCode.NotFound, null, () => verification.PostAsync(new Models.VerificationInput { Code = code }));

        var lockedStatus = await FinalAsync(host, locked);
        Assert.Equal(Models.PrivacyRequestStatus_request_status.Unverified, lockedStatus.Request!.Status);
        Assert.Null(lockedStatus.ExportLink);

        var expired = await SubmitAsync(host, Request(Models.PrivacyRequestInput_type.Deletion, "new-york", "web", "bo"));
        Assert.Equal(Models.PrivacyRequestStatus_request_status.Unverified, (await FinalAsync(host, expired)).Request!.Status);

        // Someone not on file: recorded and closed once the code's window ends, like a person who never answers; the address
        // given gets the same acknowledgement anyone would (issue 13), and no code.
        var stranger = await SubmitAsync(host, Request(Models.PrivacyRequestInput_type.Access, "other", "web", email: "nobody@requests.test", buildingId: "b-c"));
        Assert.Equal("no-matching-person-on-file", (await FinalAsync(host, stranger)).Request!.DenialReason);
        var acknowledged = Assert.Single(await mail.Api.WaitForAsync("nobody@requests.test", 1, Wait));
        Assert.StartsWith("We received your privacy request", acknowledged.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deletion_keeps_what_a_hold_covers_deletes_the_rest_with_audit_and_a_parent_can_have_a_childs_data_deleted()
    {
        await using var mail = await MailDevProcess.StartAsync();
        await using var host = await StartAsync("deletion", mail);
        await ResidentAsync(host, "cy", "b-d", "cy@requests.test", "california");
        await ResidentAsync(host, "di", "b-d", "di@requests.test", "california");
        await ResidentAsync(host, "kid", "b-d", "kid.parent@requests.test", "california");
        var now = DateTimeOffset.UtcNow.AddMinutes(-2);
        await DoorEventsAsync(
            host,
            "b-d",
            new Models.DoorEventBatch_events { EventId = "e-c", DoorId = "d-1", Method = Models.DoorEventBatch_events_method.Pin, SubjectId = "cy", At = now, Granted = true },
            new Models.DoorEventBatch_events { EventId = "e-d", DoorId = "d-1", Method = Models.DoorEventBatch_events_method.Mobile, SubjectId = "di", At = now, Granted = true },
            new Models.DoorEventBatch_events { EventId = "e-k", DoorId = "d-1", Method = Models.DoorEventBatch_events_method.Fob, SubjectId = "kid", At = now, Granted = true });

        await ApiAssert.AnswersAsync(HttpStatusCode.Created, s => host.Api.Api.Holds.PostAsync(
            new Models.HoldInput { Reason = Models.HoldInput_reason.FraudOrIllegalActivity, Scope = new Models.HoldInput_scope { SubjectId = "cy" }, Owner = "office@requests.test", ReviewBy = DateTimeOffset.UtcNow.AddDays(30) },
            c => c.Options.Add(s)));

        var manager = await host.ManagerApiAsync("b-d");
        await ApiAssert.AnswersAsync(HttpStatusCode.OK, s => manager.Api.Residents["di"].MoveOut.PostAsync(new Models.MoveOutInput(), c => c.Options.Add(s)));

        var held = await SubmitAsync(host, Request(Models.PrivacyRequestInput_type.Deletion, "california", "app", "cy"));
        await VerifyAsync(host, held, await CodeAsync(mail, "cy@requests.test", held, 1));
        var heldStatus = await FinalAsync(host, held);
        Assert.Equal(Models.PrivacyRequestStatus_request_status.Completed, heldStatus.Request!.Status);
        Assert.Contains(heldStatus.Request.Outcome!.Kept!, k => k.Reason!.Contains("fraud", StringComparison.Ordinal));
        Assert.Empty(heldStatus.Request.Outcome.Deleted!);
        var store = host.OpenStore();
        Assert.NotNull(await store.ReadAsync<JsonElement>(Containers.DoorEvents, "cy", "e-c"));

        var gone = await SubmitAsync(host, Request(Models.PrivacyRequestInput_type.Deletion, "california", "app", "di"));
        await VerifyAsync(host, gone, await CodeAsync(mail, "di@requests.test", gone, 1));
        var goneStatus = await FinalAsync(host, gone);
        Assert.Contains("hardware usage: door events: 1", goneStatus.Request!.Outcome!.Deleted!);
        Assert.Contains(goneStatus.Request.Outcome.Deleted!, d => d.Contains("anonymized", StringComparison.Ordinal));
        Assert.Null(await store.ReadAsync<JsonElement>(Containers.DoorEvents, "di", "e-d"));
        var di = await host.Api.Api.Residents["di"].GetAsync();
        Assert.Equal("anonymized@invalid", di!.Email);

        var child = await SubmitAsync(host, Request(Models.PrivacyRequestInput_type.ChildDataDeletion, "california", "phone", "kid"));
        await VerifyAsync(host, child, await CodeAsync(mail, "kid.parent@requests.test", child, 1));
        var childStatus = await FinalAsync(host, child);
        Assert.Equal(Models.PrivacyRequestStatus_request_status.Completed, childStatus.Request!.Status);
        Assert.Null(await store.ReadAsync<JsonElement>(Containers.DoorEvents, "kid", "e-k"));
        Assert.Contains(childStatus.Request.Outcome!.Deleted!, d => d.Contains("anonymized", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_deletion_filed_while_the_persons_access_request_is_open_waits_for_the_answer_then_deletes()
    {
        await using var mail = await MailDevProcess.StartAsync();
        await using var host = await StartAsync("waits", mail, new() { ["OneValet:Requests:DeletionWaitPoll"] = "00:00:01" });
        await ResidentAsync(host, "ca", "b-w", "ca@requests.test", "canada");
        await DoorEventsAsync(host, "b-w", new Models.DoorEventBatch_events { EventId = "e-ca", DoorId = "d-1", Method = Models.DoorEventBatch_events_method.Fob, SubjectId = "ca", At = DateTimeOffset.UtcNow.AddMinutes(-2), Granted = true });

        // O6, O9: the access request is open (not even verified yet) when the deletion is filed and verified.
        var access = await SubmitAsync(host, Request(Models.PrivacyRequestInput_type.Access, "canada", "app", "ca"));
        var deletion = await SubmitAsync(host, Request(Models.PrivacyRequestInput_type.Deletion, "canada", "app", "ca"));
        await VerifyAsync(host, deletion, await CodeAsync(mail, "ca@requests.test", deletion, 1));
        await WaitUntilAsync(async () => (await StatusAsync(host, deletion)).Request!.Steps!.Any(s => s.Name == "waiting-for-access-request"), host);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var waiting = await StatusAsync(host, deletion);
        Assert.False(waiting.Request!.Closed);
        Assert.Equal("waiting", waiting.Request.Steps!.Last(s => s.Name == "waiting-for-access-request").Status);
        var store = host.OpenStore();
        Assert.NotNull(await store.ReadAsync<JsonElement>(Containers.DoorEvents, "ca", "e-ca"));

        // The access answer goes out with the door event in it; then the deletion runs and deletes it.
        await VerifyAsync(host, access, await CodeAsync(mail, "ca@requests.test", access, 1));
        Assert.Equal(Models.PrivacyRequestStatus_request_status.Completed, (await FinalAsync(host, access)).Request!.Status);
        var done = await FinalAsync(host, deletion);
        Assert.Equal(Models.PrivacyRequestStatus_request_status.Completed, done.Request!.Status);
        Assert.Contains("hardware usage: door events: 1", done.Request.Outcome!.Deleted!);
        Assert.Equal("done", done.Request.Steps!.Last(s => s.Name == "waiting-for-access-request").Status);
        Assert.Null(await store.ReadAsync<JsonElement>(Containers.DoorEvents, "ca", "e-ca"));

        // The answered access request's recourse hold (PIPEDA s.8(8)) was the person's to end, and their deletion ended it.
        var holds = await host.Api.Api.Holds.GetAsync();
        Assert.DoesNotContain(holds!, x => x.HoldId == "recourse-" + access);
    }

    [Fact]
    public async Task A_minor_has_a_guardian_who_alone_consents_to_facial_entry_and_verifies_the_childs_deletion()
    {
        await using var mail = await MailDevProcess.StartAsync();
        await using var host = await StartAsync("minor", mail);
        await ResidentAsync(host, "pa", "b-m", "pa@requests.test", "california");
        await ResidentAsync(host, "elsewhere", "b-x", "elsewhere@requests.test", "california");
        var manager = await host.ManagerApiAsync("b-m");
        Models.ResidentInput Minor(Models.ResidentInput_guardian? guardian) => new()
        {
            BuildingId = "b-m", UnitId = "u-1", MovedInAt = DateTimeOffset.UtcNow.AddYears(-1), Email = "kid@requests.test", Jurisdiction = "california", Minor = true, Guardian = guardian,
        };

        // O15: a minor has a guardian: an adult resident of the same building, or a contact with an email.
        foreach (var wrong in new Models.ResidentInput_guardian?[] { null, new() { ResidentId = "elsewhere" }, new() { ResidentId = "kid" }, new() { ResidentId = "nobody" }, new() { Email = "not an email" } })
        {
            await ApiAssert.RefusedAsync(HttpStatusCode.BadRequest, null, () => manager.Api.Residents["kid"].PutAsync(Minor(wrong)));
        }

        await ApiAssert.AnswersAsync(HttpStatusCode.Created, s => manager.Api.Residents["kid"].PutAsync(Minor(new Models.ResidentInput_guardian { ResidentId = "pa" }), c => c.Options.Add(s)));

        // The minor cannot consent to Facial Entry; the guardian, signed in as themselves, can (TDPA, O3, O15).
        var kid = await host.ResidentApiAsync("kid", "b-m", "u-1");
        var consent = new Models.ConsentInput { PolicyVersion = "2022-06-29" };
        await ApiAssert.RefusedAsync(HttpStatusCode.Conflict, "guardian-consent-required", () => kid.Api.Residents["kid"].Consents.FacialEntry.PostAsync(consent));

        var guardian = await host.ResidentApiAsync("pa", "b-m", "u-1");
        await ApiAssert.AnswersAsync(HttpStatusCode.OK, s => guardian.Api.Residents["kid"].Consents.FacialEntry.PostAsync(consent, c => c.Options.Add(s)));

        var consents = await kid.Api.Residents["kid"].Consents.GetAsync();
        Assert.Equal("pa", consents!.History!.Last().GivenBy);

        // Another resident reaches nothing of the child; the guardian files the child's deletion and the code goes to them.
        var stranger = await host.ResidentApiAsync("elsewhere", "b-x", "u-1");
        await ApiAssert.RefusedAsync(HttpStatusCode.NotFound, null, () => stranger.Api.PrivacyRequests.PostAsync(Request(Models.PrivacyRequestInput_type.ChildDataDeletion, "california", "app", "kid")));

        await DoorEventsAsync(host, "b-m", new Models.DoorEventBatch_events { EventId = "e-kid", DoorId = "d-1", Method = Models.DoorEventBatch_events_method.Fob, SubjectId = "kid", At = DateTimeOffset.UtcNow.AddMinutes(-2), Granted = true });

        var filed = await ApiAssert.AnswersAsync(HttpStatusCode.Accepted, s => guardian.Api.PrivacyRequests.PostAsync(Request(Models.PrivacyRequestInput_type.ChildDataDeletion, "california", "app", "kid"), c => c.Options.Add(s)));
        var deletion = filed.RequestId!;

        await VerifyAsync(host, deletion, await CodeAsync(mail, "pa@requests.test", deletion, 1));
        var done = await FinalAsync(host, deletion);
        Assert.Equal(Models.PrivacyRequestStatus_request_status.Completed, done.Request!.Status);
        Assert.Contains("hardware usage: door events: 1", done.Request.Outcome!.Deleted!);
        Assert.Null(await host.OpenStore().ReadAsync<JsonElement>(Containers.DoorEvents, "kid", "e-kid"));
        Assert.DoesNotContain(await mail.Api.ListAsync("kid@requests.test"), e => e.Text!.Contains(deletion, StringComparison.Ordinal));
        await ApiAssert.AnswersAsync(HttpStatusCode.OK, s => guardian.Api.PrivacyRequests[deletion].GetAsync(c => c.Options.Add(s)));
    }

    [Fact]
    public async Task Categories_shared_come_from_the_ledger_a_correction_goes_to_property_management_and_an_agent_is_kept_informed()
    {
        await using var mail = await MailDevProcess.StartAsync();
        // Escalation "60 days before due" is at once: the test sees the privacy office alerted without waiting weeks (O11).
        await using var host = await StartAsync("categories", mail, new()
        {
            ["OneValet:Email:PropertyManagementByBuilding:b-e"] = "pm-b-e@requests.test",
            ["OneValet:Requests:CorrectionEscalation"] = "60.00:00:00",
        });
        await ResidentAsync(host, "el", "b-e", "el@requests.test", "canada");
        await ApiAssert.AnswersAsync(HttpStatusCode.Created, s => host.Api.Api.Disclosures.PostAsync(
            new Models.DisclosureInput
            {
                SubjectId = "el", DataCategories = ["identifiers"], RecipientCategory = Models.DisclosureInput_recipientCategory.PropertyManagement, RecipientName = "Acme PM",
                Purpose = Models.DisclosureInput_purpose.PropertyManagement, LegalBasis = "lease",
            },
            c => c.Options.Add(s)));

        var agentRequest = await SubmitAsync(host, Request(
            Models.PrivacyRequestInput_type.CategoriesShared, "canada", "email", "el", province: "on",
            agent: new() { Name = "Advocate LLP", Email = "agent@requests.test", PermissionReference = "signed 2026-11-20", SignedPermission = true, PermissionDocument = SignedPermissionPdf }));
        Assert.Single(await mail.Api.WaitForAsync("agent@requests.test", 1, Wait));

        // O10: the signed permission is a document kept under the request; a flag or a document that is not one is refused.
        var withDocument = (await StatusAsync(host, agentRequest)).Request!;
        Assert.Equal($"{agentRequest}/agent-permission.pdf", withDocument.Agent!.PermissionDocument);
        Assert.StartsWith("sha256:", withDocument.Steps!.Single(s => s.Name == "agent-permission-received").Status, StringComparison.Ordinal);
        var kept = new Azure.Storage.Blobs.BlobServiceClient(AzuriteFixture.ConnectionString).GetBlobContainerClient(host.RequestDocumentsContainer).GetBlobClient(withDocument.Agent.PermissionDocument);
        Assert.Equal(Convert.FromBase64String(SignedPermissionPdf), (await kept.DownloadContentAsync()).Value.Content.ToArray());
        foreach (var document in new string?[] { null, "", Convert.ToBase64String("I agree"u8.ToArray()), "%%%not base64%%%" })
        {
            await ApiAssert.RefusedAsync(HttpStatusCode.BadRequest, null, () => host.Api.Api.PrivacyRequests.PostAsync(Request(
                Models.PrivacyRequestInput_type.Access, "canada", "email", "el",
                agent: new() { Name = "Advocate LLP", Email = "agent@requests.test", PermissionReference = "signed", SignedPermission = true, PermissionDocument = document })));
        }

        await VerifyAsync(host, agentRequest, await CodeAsync(mail, "el@requests.test", agentRequest, 1));
        var shared = await FinalAsync(host, agentRequest);
        Assert.Equal(["identifiers"], shared.Request!.Outcome!.CategoriesShared!);
        Assert.Equal(["property-management"], shared.Request.Outcome.RecipientCategories!);
        Assert.Equal(RequestWork.MarketingStatement, shared.Request.Outcome.MarketingStatement);
        Assert.Equal(shared.Request.ReceivedAt!.Value.AddDays(30), shared.Request.DueAt);
        Assert.Equal(2, (await mail.Api.WaitForAsync("agent@requests.test", 2, Wait)).Count);
        await WaitUntilAsync(async () => (await StatusAsync(host, agentRequest)).Request!.MinimizedAt is not null, host);
        Assert.Equal("(removed at close)", (await StatusAsync(host, agentRequest)).Request!.Agent!.Email);

        var correction = await SubmitAsync(host, Request(Models.PrivacyRequestInput_type.Correction, "canada", "app", "el", correction: new() { Field = "unit", RequestedValue = "u-9" }));
        var extension = host.Api.Api.PrivacyRequests[correction].Extension;
        await ApiAssert.AnswersAsync(HttpStatusCode.OK, s => extension.PostAsync(new Models.ExtensionInput { Reason = "property management needs the lease file" }, c => c.Options.Add(s)));
        await ApiAssert.RefusedAsync(HttpStatusCode.Conflict, null, () => extension.PostAsync(new Models.ExtensionInput { Reason = "again" }));

        await VerifyAsync(host, correction, await CodeAsync(mail, "el@requests.test", correction, 1));
        await WaitUntilAsync(async () => (await StatusAsync(host, correction)).Request!.Status == Models.PrivacyRequestStatus_request_status.AwaitingPropertyManagement, host);

        // O11: the task goes to property management of the person's building, with the field and the requested value; the
        // portal lists it; unanswered near its due date, the privacy office is alerted and property management reminded.
        Assert.All(await mail.Api.WaitForAsync("pm-b-e@requests.test", 2, Wait), task => Assert.Contains("'unit' to: u-9", task.Text, StringComparison.Ordinal));
        var tasks = await (await host.ManagerApiAsync("b-e")).Api.Buildings["b-e"].CorrectionTasks.GetAsync();
        Assert.Equal("u-9", Assert.Single(tasks!).RequestedValue);
        await WaitUntilAsync(async () => (await StatusAsync(host, correction)).Request!.Steps!.Any(s => s.Name == "escalated"), host);
        Assert.Contains(await mail.Api.WaitForAsync("privacy-office@onevalet.local", 1, Wait), e => e.Subject!.Contains($"Correction request {correction} is unanswered", StringComparison.Ordinal));
        var outcome = host.Api.Api.PrivacyRequests[correction].CorrectionOutcome;
        await ApiAssert.RefusedAsync(HttpStatusCode.BadRequest, null, () => outcome.PostAsync(new Models.CorrectionOutcomeInput { Outcome = "declined" }));
        await ApiAssert.AnswersAsync(HttpStatusCode.Accepted, s => outcome.PostAsync(new Models.CorrectionOutcomeInput { Outcome = "corrected" }, c => c.Options.Add(s)));

        var corrected = await FinalAsync(host, correction);
        Assert.Equal(Models.PrivacyRequestStatus_request_status.Completed, corrected.Request!.Status);
        Assert.Equal(corrected.Request.DueAt!.Value.AddDays(30), corrected.Request.ExtendedDueAt);
        await WaitUntilAsync(async () => (await StatusAsync(host, correction)).Request!.MinimizedAt is not null, host);
        Assert.Equal("(removed at close)", (await StatusAsync(host, correction)).Request!.Correction!.RequestedValue);
    }

    [Fact]
    public async Task Kill_9_while_a_request_waits_for_its_code_then_the_request_resumes_and_completes()
    {
        await using var mail = await MailDevProcess.StartAsync();
        var host = await StartAsync("request-kill", mail);
        await ResidentAsync(host, "fay", "b-f", "fay@requests.test", "new-york");
        var id = await SubmitAsync(host, Request(Models.PrivacyRequestInput_type.CategoriesShared, "new-york", "app", "fay"));
        var code = await CodeAsync(mail, "fay@requests.test", id, 1);
        await host.KillAsync();
        var restarted = new LocalHostProcess(host.Name, host.Settings);
        await using (restarted)
        {
            LocalHostProcess.Reuse(restarted, host);
            await restarted.StartAsync();
            await VerifyAsync(restarted, id, code);
            Assert.Equal(Models.PrivacyRequestStatus_request_status.Completed, (await FinalAsync(restarted, id)).Request!.Status);
        }

        await host.DisposeAsync();
    }

    private static async Task<LocalHostProcess> StartAsync(string name, MailDevProcess mail, Dictionary<string, string>? settings = null)
    {
        await AzuriteFixture.EnsureRunningAsync();
        var all = new Dictionary<string, string>(settings ?? [])
        {
            ["OneValet:Email:SmtpPort"] = mail.SmtpPort.ToString(CultureInfo.InvariantCulture),
            ["OneValet:Requests:MinimizeAfter"] = "00:00:03",
            ["OneValet:Retention:BucketWidth"] = "00:00:01",
            ["OneValet:Retention:PlanInterval"] = "00:00:01",
            ["OneValet:Retention:PlanningHorizon"] = "00:05:00",
        };
        var host = new LocalHostProcess(name, all);
        await host.StartAsync();
        return host;
    }

    private static async Task ResidentAsync(LocalHostProcess host, string id, string building, string email, string jurisdiction)
    {
        var manager = await host.ManagerApiAsync(building);
        await ApiAssert.AnswersAsync(HttpStatusCode.Created, s => manager.Api.Residents[id].PutAsync(
            new Models.ResidentInput { BuildingId = building, UnitId = "u-1", MovedInAt = DateTimeOffset.UtcNow.AddYears(-2), Email = email, Jurisdiction = jurisdiction }, c => c.Options.Add(s)));
    }

    /// <summary>A privacy request as the document describes it: about a resident on file, or an email (and building).</summary>
    private static Models.PrivacyRequestInput Request(
        Models.PrivacyRequestInput_type type,
        string jurisdiction,
        string channel,
        string? residentId = null,
        string? email = null,
        string? buildingId = null,
        DateTimeOffset? lookbackFrom = null,
        string? province = null,
        Models.PrivacyRequestInput_agent? agent = null,
        Models.PrivacyRequestInput_correction? correction = null) => new()
        {
            Type = type,
            Jurisdiction = jurisdiction,
            Channel = channel,
            Subject = new Models.PrivacyRequestInput_subject { ResidentId = residentId, Email = email, BuildingId = buildingId },
            LookbackFrom = lookbackFrom,
            Province = province,
            Agent = agent,
            Correction = correction,
        };

    private static async Task<string> SubmitAsync(LocalHostProcess host, Models.PrivacyRequestInput request) =>
        (await ApiAssert.AnswersAsync(HttpStatusCode.Accepted, s => host.Api.Api.PrivacyRequests.PostAsync(request, c => c.Options.Add(s)))).RequestId!;

    private static async Task DoorEventsAsync(LocalHostProcess host, string buildingId, params Models.DoorEventBatch_events[] events)
    {
        var device = await host.DeviceApiAsync("console-1", buildingId, [.. events.Select(e => e.DoorId!).Distinct()]);
        await ApiAssert.AnswersAsync(HttpStatusCode.Accepted, s => device.Api.Buildings[buildingId].DoorEvents.PostAsync(new Models.DoorEventBatch { Events = [.. events] }, c => c.Options.Add(s)));
    }

    /// <summary>The one-time code, read from the email the person received.</summary>
    private static async Task<string> CodeAsync(MailDevProcess mail, string address, string requestId, int count)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            var codes = (await mail.Api.ListAsync(address))
                .Where(e => e.Subject == "Your verification code" && e.Text!.Contains(requestId, StringComparison.Ordinal))
                .Select(e => CodePattern().Match(e.Text!).Groups[1].Value)
                .ToList();
            if (codes.Count >= count)
            {
                return codes[^1];
            }

            Assert.True(DateTime.UtcNow < deadline, $"no verification code for {requestId}");
            await Task.Delay(100);
        }
    }

    private static Task VerifyAsync(LocalHostProcess host, string requestId, string code) =>
        ApiAssert.AnswersAsync(HttpStatusCode.OK, s => host.Api.Api.PrivacyRequests[requestId].Verification.PostAsync(new Models.VerificationInput { Code = code }, c => c.Options.Add(s)));

    private static async Task<Models.PrivacyRequestStatus> StatusAsync(LocalHostProcess host, string requestId) =>
        (await host.Api.Api.PrivacyRequests[requestId].GetAsync())!;

    private static async Task<Models.PrivacyRequestStatus> FinalAsync(LocalHostProcess host, string requestId)
    {
        Models.PrivacyRequestStatus? status = null;
        await WaitUntilAsync(async () => (status = await StatusAsync(host, requestId)).Request!.Closed == true, host);
        return status!;
    }

    private static Task WaitUntilAsync(Func<Task<bool>> condition, LocalHostProcess host) => host.WaitUntilAsync(condition, Wait);

    [GeneratedRegex("code for privacy request [a-z0-9-]+ is ([0-9]{6})")]
    private static partial Regex CodePattern();
}
