using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.EndToEnd;

/// <summary>
/// Step 4 end to end on the real local host with a real SMTP catcher of the test's own (O8–O11, O15, O18): every request
/// type, codes that are wrong, locked out or expired, the extension, California's twice-a-year limit, deletion with a hold
/// in place, an authorized agent, a duplicate joining the first, and a kill -9 in the middle of a request.
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
        using (var events = await (await host.DeviceAsync("console-1", "b-a", "d-1")).PostAsJsonAsync("buildings/b-a/door-events", new { events = new[] { new { eventId = "e-1", doorId = "d-1", method = "fob", subjectId = "ann", at = DateTimeOffset.UtcNow.AddMinutes(-5), granted = true } } }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.Accepted, events.StatusCode);
        }

        var first = await SubmitAsync(host, new { type = "access", jurisdiction = "california", subject = new { residentId = "ann" }, channel = "app" });
        var duplicate = await SubmitAsync(host, new { type = "access", jurisdiction = "california", subject = new { residentId = "ann" }, channel = "web" });
        Assert.Equal(first, duplicate);

        var code = await CodeAsync(mail, "ann@requests.test", first, 1);
        using (var wrong = await host.Http.PostAsJsonAsync($"privacy-requests/{first}/verification", new { code = code == "000000" ? "111111" : "000000" }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
            Assert.Contains("\"attemptsLeft\":4", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await VerifyAsync(host, first, code);
        var status = await FinalAsync(host, first);
        Assert.Equal(RequestStatus.Completed, status.Request.Status);
        Assert.NotNull(status.ExportLink);
        Assert.NotNull(status.Request.AcknowledgedAt);
        Assert.Equal(status.Request.ReceivedAt.AddDays(45), status.Request.DueAt);
        Assert.Contains(status.Request.Steps, s => s.Name == "verified");
        using (var download = new HttpClient())
        {
            var export = JsonDocument.Parse(await download.GetStringAsync(status.ExportLink));
            Assert.Equal("ann@requests.test", export.RootElement.GetProperty("identifiers").GetProperty("email").GetString());
            Assert.Equal(1, export.RootElement.GetProperty("hardwareUsage").GetProperty("doorEvents").GetArrayLength());
        }

        Assert.Contains("se=", status.ExportLink!.Query, StringComparison.Ordinal);
        Assert.Contains("sp=r", status.ExportLink.Query, StringComparison.Ordinal);

        // A second access request within 12 months is answered; a third is refused (twice per 12 months).
        await Task.Delay(TimeSpan.FromSeconds(1));
        var second = await SubmitAsync(host, new { type = "access", jurisdiction = "california", subject = new { residentId = "ann" }, channel = "email", lookbackFrom = "2022-01-01T00:00:00Z" });
        await VerifyAsync(host, second, await CodeAsync(mail, "ann@requests.test", second, 1));
        Assert.Equal(RequestStatus.Completed, (await FinalAsync(host, second)).Request.Status);
        var third = await SubmitAsync(host, new { type = "access", jurisdiction = "california", subject = new { residentId = "ann" }, channel = "phone", lookbackFrom = "2023-01-01T00:00:00Z" });
        await VerifyAsync(host, third, await CodeAsync(mail, "ann@requests.test", third, 1));
        var refused = await FinalAsync(host, third);
        Assert.Equal(RequestStatus.Denied, refused.Request.Status);
        Assert.Equal("limit-twice-per-12-months", refused.Request.DenialReason);
    }

    [Fact]
    public async Task Wrong_codes_lock_out_an_unverified_request_expires_and_nothing_is_released()
    {
        await using var mail = await MailDevProcess.StartAsync();
        await using var host = await StartAsync("codes", mail, new() { ["OneValet:Requests:VerificationWindow"] = "00:00:04" });
        await ResidentAsync(host, "bo", "b-c", "bo@requests.test", "new-york");
        var locked = await SubmitAsync(host, new { type = "access", jurisdiction = "new-york", subject = new { email = "bo@requests.test", buildingId = "b-c" }, channel = "web" });
        var code = await CodeAsync(mail, "bo@requests.test", locked, 1);
        var wrong = code == "999999" ? "123456" : "999999";
        for (var i = 0; i < 4; i++)
        {
            using var attempt = await host.Http.PostAsJsonAsync($"privacy-requests/{locked}/verification", new { code = wrong }, ApiJson.Options);
            Assert.Equal(HttpStatusCode.BadRequest, attempt.StatusCode);
        }

        using (var last = await host.Http.PostAsJsonAsync($"privacy-requests/{locked}/verification", new { code = wrong }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, last.StatusCode);
        }

        using (var tooLate = await host.Http.PostAsJsonAsync($"privacy-requests/{locked}/verification", new { code }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.NotFound, tooLate.StatusCode);
        }

        var lockedStatus = await FinalAsync(host, locked);
        Assert.Equal(RequestStatus.Unverified, lockedStatus.Request.Status);
        Assert.Null(lockedStatus.ExportLink);

        var expired = await SubmitAsync(host, new { type = "deletion", jurisdiction = "new-york", subject = new { residentId = "bo" }, channel = "web" });
        Assert.Equal(RequestStatus.Unverified, (await FinalAsync(host, expired)).Request.Status);

        // Someone not on file: recorded and closed once the code's window ends, like a person who never answers; the address
        // given gets the same acknowledgement anyone would (issue 13), and no code.
        var stranger = await SubmitAsync(host, new { type = "access", jurisdiction = "other", subject = new { email = "nobody@requests.test", buildingId = "b-c" }, channel = "web" });
        Assert.Equal("no-matching-person-on-file", (await FinalAsync(host, stranger)).Request.DenialReason);
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
        using (var events = await (await host.DeviceAsync("console-1", "b-d", "d-1")).PostAsJsonAsync("buildings/b-d/door-events", new
        {
            events = new object[]
            {
                new { eventId = "e-c", doorId = "d-1", method = "pin", subjectId = "cy", at = now, granted = true },
                new { eventId = "e-d", doorId = "d-1", method = "mobile", subjectId = "di", at = now, granted = true },
                new { eventId = "e-k", doorId = "d-1", method = "fob", subjectId = "kid", at = now, granted = true },
            },
        }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.Accepted, events.StatusCode);
        }

        using (var hold = await host.Http.PostAsJsonAsync("holds", new { reason = "fraud-or-illegal-activity", scope = new { subjectId = "cy" }, owner = "office@requests.test", reviewBy = DateTimeOffset.UtcNow.AddDays(30) }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.Created, hold.StatusCode);
        }

        using (var moved = await (await host.ManagerAsync("b-d")).PostAsJsonAsync("residents/di/move-out", new { }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        }

        var held = await SubmitAsync(host, new { type = "deletion", jurisdiction = "california", subject = new { residentId = "cy" }, channel = "app" });
        await VerifyAsync(host, held, await CodeAsync(mail, "cy@requests.test", held, 1));
        var heldStatus = await FinalAsync(host, held);
        Assert.Equal(RequestStatus.Completed, heldStatus.Request.Status);
        Assert.Contains(heldStatus.Request.Outcome!.Kept, k => k.Reason.Contains("fraud", StringComparison.Ordinal));
        Assert.Empty(heldStatus.Request.Outcome.Deleted);
        var store = host.OpenStore();
        Assert.NotNull(await store.ReadAsync<JsonElement>(Containers.DoorEvents, "cy", "e-c"));

        var gone = await SubmitAsync(host, new { type = "deletion", jurisdiction = "california", subject = new { residentId = "di" }, channel = "app" });
        await VerifyAsync(host, gone, await CodeAsync(mail, "di@requests.test", gone, 1));
        var goneStatus = await FinalAsync(host, gone);
        Assert.Contains("hardware usage: door events: 1", goneStatus.Request.Outcome!.Deleted);
        Assert.Contains(goneStatus.Request.Outcome.Deleted, d => d.Contains("anonymized", StringComparison.Ordinal));
        Assert.Null(await store.ReadAsync<JsonElement>(Containers.DoorEvents, "di", "e-d"));
        var di = await host.Http.GetFromJsonAsync<JsonElement>("residents/di", ApiJson.Options);
        Assert.Equal("anonymized@invalid", di.GetProperty("email").GetString());

        var child = await SubmitAsync(host, new { type = "child-data-deletion", jurisdiction = "california", subject = new { residentId = "kid" }, channel = "phone" });
        await VerifyAsync(host, child, await CodeAsync(mail, "kid.parent@requests.test", child, 1));
        var childStatus = await FinalAsync(host, child);
        Assert.Equal(RequestStatus.Completed, childStatus.Request.Status);
        Assert.Null(await store.ReadAsync<JsonElement>(Containers.DoorEvents, "kid", "e-k"));
        Assert.Contains(childStatus.Request.Outcome!.Deleted, d => d.Contains("anonymized", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_deletion_filed_while_the_persons_access_request_is_open_waits_for_the_answer_then_deletes()
    {
        await using var mail = await MailDevProcess.StartAsync();
        await using var host = await StartAsync("waits", mail, new() { ["OneValet:Requests:DeletionWaitPoll"] = "00:00:01" });
        await ResidentAsync(host, "ca", "b-w", "ca@requests.test", "canada");
        using (var events = await (await host.DeviceAsync("console-1", "b-w", "d-1")).PostAsJsonAsync("buildings/b-w/door-events", new
        {
            events = new object[] { new { eventId = "e-ca", doorId = "d-1", method = "fob", subjectId = "ca", at = DateTimeOffset.UtcNow.AddMinutes(-2), granted = true } },
        }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.Accepted, events.StatusCode);
        }

        // O6, O9: the access request is open (not even verified yet) when the deletion is filed and verified.
        var access = await SubmitAsync(host, new { type = "access", jurisdiction = "canada", subject = new { residentId = "ca" }, channel = "app" });
        var deletion = await SubmitAsync(host, new { type = "deletion", jurisdiction = "canada", subject = new { residentId = "ca" }, channel = "app" });
        await VerifyAsync(host, deletion, await CodeAsync(mail, "ca@requests.test", deletion, 1));
        await WaitUntilAsync(async () => (await StatusAsync(host, deletion)).Request.Steps.Any(s => s.Name == "waiting-for-access-request"), host);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var waiting = await StatusAsync(host, deletion);
        Assert.False(waiting.Request.Closed);
        Assert.Equal("waiting", waiting.Request.Steps.Last(s => s.Name == "waiting-for-access-request").Status);
        var store = host.OpenStore();
        Assert.NotNull(await store.ReadAsync<JsonElement>(Containers.DoorEvents, "ca", "e-ca"));

        // The access answer goes out with the door event in it; then the deletion runs and deletes it.
        await VerifyAsync(host, access, await CodeAsync(mail, "ca@requests.test", access, 1));
        Assert.Equal(RequestStatus.Completed, (await FinalAsync(host, access)).Request.Status);
        var done = await FinalAsync(host, deletion);
        Assert.Equal(RequestStatus.Completed, done.Request.Status);
        Assert.Contains("hardware usage: door events: 1", done.Request.Outcome!.Deleted);
        Assert.Equal("done", done.Request.Steps.Last(s => s.Name == "waiting-for-access-request").Status);
        Assert.Null(await store.ReadAsync<JsonElement>(Containers.DoorEvents, "ca", "e-ca"));

        // The answered access request's recourse hold (PIPEDA s.8(8)) was the person's to end, and their deletion ended it.
        var holds = await host.Http.GetFromJsonAsync<JsonElement>("holds", ApiJson.Options);
        Assert.DoesNotContain(holds.EnumerateArray(), x => x.GetProperty("holdId").GetString() == "recourse-" + access);
    }

    [Fact]
    public async Task A_minor_has_a_guardian_who_alone_consents_to_facial_entry_and_verifies_the_childs_deletion()
    {
        await using var mail = await MailDevProcess.StartAsync();
        await using var host = await StartAsync("minor", mail);
        await ResidentAsync(host, "pa", "b-m", "pa@requests.test", "california");
        await ResidentAsync(host, "elsewhere", "b-x", "elsewhere@requests.test", "california");
        var manager = await host.ManagerAsync("b-m");
        object Minor(object? guardian) => new { buildingId = "b-m", unitId = "u-1", movedInAt = DateTimeOffset.UtcNow.AddYears(-1), email = "kid@requests.test", jurisdiction = "california", minor = true, guardian };

        // O15: a minor has a guardian: an adult resident of the same building, or a contact with an email.
        foreach (var wrong in new object?[] { null, new { residentId = "elsewhere" }, new { residentId = "kid" }, new { residentId = "nobody" }, new { email = "not an email" } })
        {
            using var refused = await manager.PutAsJsonAsync("residents/kid", Minor(wrong), ApiJson.Options);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        using (var put = await manager.PutAsJsonAsync("residents/kid", Minor(new { residentId = "pa" }), ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        // The minor cannot consent to Facial Entry; the guardian, signed in as themselves, can (TDPA, O3, O15).
        var kid = await host.ResidentAsync("kid", "b-m", "u-1");
        using (var self = await kid.PostAsJsonAsync("residents/kid/consents/facial-entry", new { policyVersion = "2022-06-29" }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.Conflict, self.StatusCode);
            Assert.Contains("guardian-consent-required", await self.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var guardian = await host.ResidentAsync("pa", "b-m", "u-1");
        using (var given = await guardian.PostAsJsonAsync("residents/kid/consents/facial-entry", new { policyVersion = "2022-06-29" }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.OK, given.StatusCode);
        }

        var consents = await kid.GetFromJsonAsync<JsonElement>("residents/kid/consents", ApiJson.Options);
        Assert.Equal("pa", consents.GetProperty("history").EnumerateArray().Last().GetProperty("givenBy").GetString());

        // Another resident reaches nothing of the child; the guardian files the child's deletion and the code goes to them.
        var stranger = await host.ResidentAsync("elsewhere", "b-x", "u-1");
        using (var foreign = await stranger.PostAsJsonAsync("privacy-requests", new { type = "child-data-deletion", jurisdiction = "california", subject = new { residentId = "kid" }, channel = "app" }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        }

        using (var events = await (await host.DeviceAsync("console-1", "b-m", "d-1")).PostAsJsonAsync("buildings/b-m/door-events", new
        {
            events = new object[] { new { eventId = "e-kid", doorId = "d-1", method = "fob", subjectId = "kid", at = DateTimeOffset.UtcNow.AddMinutes(-2), granted = true } },
        }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.Accepted, events.StatusCode);
        }

        string deletion;
        using (var filed = await guardian.PostAsJsonAsync("privacy-requests", new { type = "child-data-deletion", jurisdiction = "california", subject = new { residentId = "kid" }, channel = "app" }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.Accepted, filed.StatusCode);
            deletion = JsonDocument.Parse(await filed.Content.ReadAsStringAsync()).RootElement.GetProperty("requestId").GetString()!;
        }

        await VerifyAsync(host, deletion, await CodeAsync(mail, "pa@requests.test", deletion, 1));
        var done = await FinalAsync(host, deletion);
        Assert.Equal(RequestStatus.Completed, done.Request.Status);
        Assert.Contains("hardware usage: door events: 1", done.Request.Outcome!.Deleted);
        Assert.Null(await host.OpenStore().ReadAsync<JsonElement>(Containers.DoorEvents, "kid", "e-kid"));
        Assert.DoesNotContain(await mail.Api.ListAsync("kid@requests.test"), e => e.Text!.Contains(deletion, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, (await guardian.GetAsync(new Uri($"privacy-requests/{deletion}", UriKind.Relative))).StatusCode);
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
        using (var disclosed = await host.Http.PostAsJsonAsync("disclosures", new { subjectId = "el", dataCategories = new[] { "identifiers" }, recipientCategory = "property-management", recipientName = "Acme PM", purpose = "property-management", legalBasis = "lease" }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.Created, disclosed.StatusCode);
        }

        var agentRequest = await SubmitAsync(host, new
        {
            type = "categories-shared", jurisdiction = "canada", province = "on", subject = new { residentId = "el" }, channel = "email",
            agent = new { name = "Advocate LLP", email = "agent@requests.test", permissionReference = "signed 2026-11-20", signedPermission = true, permissionDocument = SignedPermissionPdf },
        });
        Assert.Single(await mail.Api.WaitForAsync("agent@requests.test", 1, Wait));

        // O10: the signed permission is a document kept under the request; a flag or a document that is not one is refused.
        var withDocument = (await StatusAsync(host, agentRequest)).Request;
        Assert.Equal($"{agentRequest}/agent-permission.pdf", withDocument.Agent!.PermissionDocument);
        Assert.StartsWith("sha256:", withDocument.Steps.Single(s => s.Name == "agent-permission-received").Status, StringComparison.Ordinal);
        var kept = new Azure.Storage.Blobs.BlobServiceClient(AzuriteFixture.ConnectionString).GetBlobContainerClient(host.RequestDocumentsContainer).GetBlobClient(withDocument.Agent.PermissionDocument);
        Assert.Equal(Convert.FromBase64String(SignedPermissionPdf), (await kept.DownloadContentAsync()).Value.Content.ToArray());
        foreach (var document in new string?[] { null, "", Convert.ToBase64String("I agree"u8.ToArray()), "%%%not base64%%%" })
        {
            using var refused = await host.Http.PostAsJsonAsync("privacy-requests", new
            {
                type = "access", jurisdiction = "canada", subject = new { residentId = "el" }, channel = "email",
                agent = new { name = "Advocate LLP", email = "agent@requests.test", permissionReference = "signed", signedPermission = true, permissionDocument = document },
            }, ApiJson.Options);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        await VerifyAsync(host, agentRequest, await CodeAsync(mail, "el@requests.test", agentRequest, 1));
        var shared = await FinalAsync(host, agentRequest);
        Assert.Equal(["identifiers"], shared.Request.Outcome!.CategoriesShared);
        Assert.Equal(["property-management"], shared.Request.Outcome.RecipientCategories);
        Assert.Equal(RequestWork.MarketingStatement, shared.Request.Outcome.MarketingStatement);
        Assert.Equal(shared.Request.ReceivedAt.AddDays(30), shared.Request.DueAt);
        Assert.Equal(2, (await mail.Api.WaitForAsync("agent@requests.test", 2, Wait)).Count);
        await WaitUntilAsync(async () => (await StatusAsync(host, agentRequest)).Request.MinimizedAt is not null, host);
        Assert.Equal("(removed at close)", (await StatusAsync(host, agentRequest)).Request.Agent!.Email);

        var correction = await SubmitAsync(host, new { type = "correction", jurisdiction = "canada", subject = new { residentId = "el" }, channel = "app", correction = new { field = "unit", requestedValue = "u-9" } });
        using (var extended = await host.Http.PostAsJsonAsync($"privacy-requests/{correction}/extension", new { reason = "property management needs the lease file" }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.OK, extended.StatusCode);
        }

        using (var twice = await host.Http.PostAsJsonAsync($"privacy-requests/{correction}/extension", new { reason = "again" }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        }

        await VerifyAsync(host, correction, await CodeAsync(mail, "el@requests.test", correction, 1));
        await WaitUntilAsync(async () => (await StatusAsync(host, correction)).Request.Status == RequestStatus.AwaitingPropertyManagement, host);

        // O11: the task goes to property management of the person's building, with the field and the requested value; the
        // portal lists it; unanswered near its due date, the privacy office is alerted and property management reminded.
        Assert.All(await mail.Api.WaitForAsync("pm-b-e@requests.test", 2, Wait), task => Assert.Contains("'unit' to: u-9", task.Text, StringComparison.Ordinal));
        var tasks = await (await host.ManagerAsync("b-e")).GetFromJsonAsync<JsonElement>("buildings/b-e/correction-tasks", ApiJson.Options);
        Assert.Equal("u-9", Assert.Single(tasks.EnumerateArray()).GetProperty("requestedValue").GetString());
        await WaitUntilAsync(async () => (await StatusAsync(host, correction)).Request.Steps.Any(s => s.Name == "escalated"), host);
        Assert.Contains(await mail.Api.WaitForAsync("privacy-office@onevalet.local", 1, Wait), e => e.Subject!.Contains($"Correction request {correction} is unanswered", StringComparison.Ordinal));
        using (var noReason = await host.Http.PostAsJsonAsync($"privacy-requests/{correction}/correction-outcome", new { outcome = "declined" }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        }

        using (var answered = await host.Http.PostAsJsonAsync($"privacy-requests/{correction}/correction-outcome", new { outcome = "corrected" }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.Accepted, answered.StatusCode);
        }

        var corrected = await FinalAsync(host, correction);
        Assert.Equal(RequestStatus.Completed, corrected.Request.Status);
        Assert.Equal(corrected.Request.DueAt.AddDays(30), corrected.Request.ExtendedDueAt);
        await WaitUntilAsync(async () => (await StatusAsync(host, correction)).Request.MinimizedAt is not null, host);
        Assert.Equal("(removed at close)", (await StatusAsync(host, correction)).Request.Correction!.RequestedValue);
    }

    [Fact]
    public async Task Kill_9_while_a_request_waits_for_its_code_then_the_request_resumes_and_completes()
    {
        await using var mail = await MailDevProcess.StartAsync();
        var host = await StartAsync("request-kill", mail);
        await ResidentAsync(host, "fay", "b-f", "fay@requests.test", "new-york");
        var id = await SubmitAsync(host, new { type = "categories-shared", jurisdiction = "new-york", subject = new { residentId = "fay" }, channel = "app" });
        var code = await CodeAsync(mail, "fay@requests.test", id, 1);
        await host.KillAsync();
        var restarted = new LocalHostProcess(host.Name, host.Settings);
        await using (restarted)
        {
            LocalHostProcess.Reuse(restarted, host);
            await restarted.StartAsync();
            await VerifyAsync(restarted, id, code);
            Assert.Equal(RequestStatus.Completed, (await FinalAsync(restarted, id)).Request.Status);
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
        using var put = await (await host.ManagerAsync(building)).PutAsJsonAsync($"residents/{id}", new { buildingId = building, unitId = "u-1", movedInAt = DateTimeOffset.UtcNow.AddYears(-2), email, jurisdiction }, ApiJson.Options);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    private static async Task<string> SubmitAsync(LocalHostProcess host, object body)
    {
        using var response = await host.Http.PostAsJsonAsync("privacy-requests", body, ApiJson.Options);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("requestId").GetString()!;
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

    private static async Task VerifyAsync(LocalHostProcess host, string requestId, string code)
    {
        using var response = await host.Http.PostAsJsonAsync($"privacy-requests/{requestId}/verification", new { code }, ApiJson.Options);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private static async Task<PrivacyRequestStatus> StatusAsync(LocalHostProcess host, string requestId) =>
        (await host.Http.GetFromJsonAsync<PrivacyRequestStatus>($"privacy-requests/{requestId}", ApiJson.Options))!;

    private static async Task<PrivacyRequestStatus> FinalAsync(LocalHostProcess host, string requestId)
    {
        PrivacyRequestStatus? status = null;
        await WaitUntilAsync(async () => (status = await StatusAsync(host, requestId)).Request.Closed, host);
        return status!;
    }

    private static Task WaitUntilAsync(Func<Task<bool>> condition, LocalHostProcess host) => host.WaitUntilAsync(condition, Wait);

    [GeneratedRegex("code for privacy request [a-z0-9-]+ is ([0-9]{6})")]
    private static partial Regex CodePattern();
}
