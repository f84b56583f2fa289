using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Requests;
using OneValet.Tests.Faces;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.EndToEnd;

/// <summary>
/// Issue 15.4, end to end on the local host with real mail (O8–O10, O18): people no record describes — a visitor an entry
/// camera recorded, a former resident whose identifiers are gone — can exercise their rights. The privacy office files
/// for them and verifies them itself (who, when and how recorded and audited); the clock runs from receipt; an access
/// answer holds the recordings of the place and time they gave with every face blurred, theirs too; nothing found is
/// answered "nothing held", in writing, at the address they gave.
/// </summary>
public sealed partial class PrivacyRequestsEndToEndTests
{
    [Fact]
    public async Task People_not_on_file_are_verified_by_the_privacy_office_and_answered_in_writing_from_the_place_and_time_they_give()
    {
        await using var mail = await MailDevProcess.StartAsync();
        await using var host = await StartAsync("not-on-file", mail);
        var at = DateTimeOffset.UtcNow.AddMinutes(-30);
        at = at.AddTicks(-(at.Ticks % TimeSpan.TicksPerMillisecond));
        var clip = FootageSamples.Mp4(4, FootageSamples.Left, FootageSamples.Right);
        var recordings = new BlobContainerClient(AzuriteFixture.ConnectionString, host.RecordingsContainer);
        var uploads = new (string Name, DateTimeOffset At)[]
        {
            ("b-n/lobby/cap-visit.mp4", at), // where and when the visitor was
            ("b-n/garage/cap-garage.mp4", at), // another door
            ("b-n/lobby/cap-later.mp4", at.AddHours(-3)), // another time
            ("b-other/lobby/cap-other.mp4", at), // the right door and time in the wrong building
        };
        foreach (var (name, capturedAt) in uploads)
        {
            await Hardware.UploadAsync(recordings, name, clip, Hardware.Metadata(capturedAt, "surveillance"));
        }

        var store = host.OpenStore();
        await host.WaitUntilAsync(async () => (await Task.WhenAll(uploads.Select(u => RecordAsync(store, u.Name)))).All(r => r is not null), Wait);

        // Only the privacy office files for a person not on file (they have no account); the body is checked like any other.
        var visit = new { email = "visitor@outside.test", relationship = "visitor", buildingId = "b-n", doorId = "lobby", from = at.AddMinutes(-5), to = at.AddMinutes(5) };
        var resident = await host.ResidentAsync("nia", "b-n", "u-1");
        using (var asResident = await resident.PostAsJsonAsync("privacy-requests", new { type = "access", jurisdiction = "new-york", notOnFile = visit, channel = "web" }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.Forbidden, asResident.StatusCode);
        }

        foreach (var (body, why) in new (object Body, string Why)[]
        {
            (new { type = "access", jurisdiction = "new-york", subject = new { residentId = "nia" }, notOnFile = visit, channel = "phone" }, "both a subject and notOnFile"),
            (new { type = "correction", jurisdiction = "new-york", notOnFile = visit, channel = "phone", correction = new { field = "name", requestedValue = "X" } }, "a correction of no record"),
            (new { type = "access", jurisdiction = "new-york", notOnFile = visit with { to = at.AddDays(2) }, channel = "phone" }, "a window over a day"),
            (new { type = "access", jurisdiction = "new-york", notOnFile = visit with { to = at.AddMinutes(-10) }, channel = "phone" }, "a window ending before it starts"),
            (new { type = "access", jurisdiction = "new-york", notOnFile = new { visit.email, visit.relationship, visit.buildingId, visit.doorId }, channel = "phone" }, "access without a window"),
            (new { type = "access", jurisdiction = "new-york", notOnFile = visit with { relationship = "landlord's friend" }, channel = "phone" }, "an unknown relationship"),
            (new { type = "access", jurisdiction = "new-york", notOnFile = visit with { email = "not an address" }, channel = "phone" }, "no address to answer"),
            (new { type = "access", jurisdiction = "new-york", notOnFile = visit with { buildingId = "B N/../x" }, channel = "phone" }, "a building that is not an id"),
        })
        {
            using var refused = await host.Http.PostAsJsonAsync("privacy-requests", body, ApiJson.Options);
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{why}: {refused.StatusCode}");
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }

        // 1. A visitor's access request: acknowledged to the address they gave, waiting for the office, clock from receipt.
        var access = await SubmitRawAsync(host, new { type = "access", jurisdiction = "new-york", notOnFile = visit, channel = "phone" });
        var received = Assert.Single(await mail.Api.WaitForAsync("visitor@outside.test", 1, Wait));
        Assert.Contains("privacy office will contact you", received.Text, StringComparison.Ordinal);
        PrivacyRequestStatus waiting = null!;
        await WaitUntilAsync(async () => (waiting = await RawStatusAsync(host, access)).Request.Steps.Any(s => s.Name == "manual-verification"), host);
        Assert.Equal(RequestStatus.AwaitingVerification, waiting.Request.Status);
        Assert.Equal(waiting.Request.ReceivedAt.AddDays(45), waiting.Request.DueAt);
        Assert.Null(waiting.Request.SubjectId);
        Assert.Equal("request", waiting.Request.JurisdictionSource);

        // Nobody but the office verifies; a method it does not know, or "other" without saying how, is refused.
        using (var byResident = await resident.PostAsJsonAsync($"privacy-requests/{access}/manual-verification", new { outcome = "verified", method = "government-id-in-person" }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.Forbidden, byResident.StatusCode);
        }

        foreach (var body in new object[] { new { outcome = "verified", method = "looked-trustworthy" }, new { outcome = "verified", method = "other" }, new { outcome = "maybe", method = "signed-declaration" } })
        {
            using var refused = await host.Http.PostAsJsonAsync($"privacy-requests/{access}/manual-verification", body, ApiJson.Options);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        using (var verified = await host.Http.PostAsJsonAsync($"privacy-requests/{access}/manual-verification", new { outcome = "verified", method = "government-id-by-video-call", note = "Passport shown on a call." }, ApiJson.Options))
        {
            Assert.True(verified.StatusCode == HttpStatusCode.OK, await verified.Content.ReadAsStringAsync());
        }

        using (var again = await host.Http.PostAsJsonAsync($"privacy-requests/{access}/manual-verification", new { outcome = "verified", method = "signed-declaration" }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        }

        PrivacyRequestStatus answered = null!;
        await host.WaitUntilAsync(async () => (answered = await RawStatusAsync(host, access)).Request.Closed, TimeSpan.FromMinutes(2));
        Assert.Equal(RequestStatus.Completed, answered.Request.Status);
        var check = answered.Request.ManualVerification!;
        Assert.Equal(("government-id-by-video-call", true), (check.Method, check.Verified));
        Assert.False(string.IsNullOrEmpty(check.By));
        Assert.InRange(check.At, answered.Request.ReceivedAt, answered.Request.ClosedAt!.Value);
        Assert.Contains("1 recordings with every face blurred, yours too", answered.Request.Outcome!.Summary, StringComparison.Ordinal);

        // The export: only the clip of the place and time given, every face blurred in every frame, and what they gave.
        using var download = new HttpClient();
        var export = JsonDocument.Parse(await download.GetStringAsync(answered.ExportLink)).RootElement;
        Assert.Equal("visitor", export.GetProperty("whatYouGave").GetProperty("relationship").GetString());
        var item = Assert.Single(export.GetProperty("recordings").GetProperty("items").EnumerateArray());
        Assert.Equal(("cap-visit", "b-n", "redacted", PersonRecordings.InYourWindow), (Text(item, "captureId"), Text(item, "buildingId"), Text(item, "status"), Text(item, "why")));
        var frames = FootageSamples.FacesPerFrame(await download.GetByteArrayAsync(Assert.Single(answered.FileLinks!).Link));
        Assert.Equal(4, frames.Count);
        Assert.All(frames, Assert.Empty);

        // The answer in writing, at the address given (they cannot sign in).
        var done = (await mail.Api.WaitForAsync("visitor@outside.test", 2, Wait)).Single(e => e.Subject == $"Your privacy request {access} is answered");
        Assert.Contains("Our answer: We hold no record that describes you.", done.Text, StringComparison.Ordinal);
        Assert.Contains("from our privacy office", done.Text, StringComparison.Ordinal);

        // 2. A former resident whose identifiers are gone: nothing at the place and time given is "nothing held", in writing.
        var former = await SubmitRawAsync(host, new
        {
            type = "access",
            jurisdiction = "canada",
            notOnFile = new { email = "former@outside.test", relationship = "former-resident", buildingId = "b-n", doorId = "garage", from = at.AddHours(-6), to = at.AddHours(-5) },
            channel = "mail",
        });
        await WaitUntilAsync(async () => (await RawStatusAsync(host, former)).Request.Status == RequestStatus.AwaitingVerification, host);
        using (await host.Http.PostAsJsonAsync($"privacy-requests/{former}/manual-verification", new { outcome = "verified", method = "details-only-the-person-knows" }, ApiJson.Options))
        {
        }

        var nothing = await RawFinalAsync(host, former);
        Assert.Equal(RequestStatus.Completed, nothing.Request.Status);
        Assert.Equal(nothing.Request.ReceivedAt.AddDays(30), nothing.Request.DueAt);
        Assert.StartsWith("Nothing held:", nothing.Request.Outcome!.Summary, StringComparison.Ordinal);
        Assert.Null(nothing.ExportLink);
        var nothingMail = (await mail.Api.WaitForAsync("former@outside.test", 2, Wait)).Single(e => e.Subject == $"Your privacy request {former} is answered");
        Assert.Contains("Our answer: Nothing held:", nothingMail.Text, StringComparison.Ordinal);

        // 3. Deletion: no record to delete; the footage of the place and time is kept for the building's security, until its deadline.
        var deletion = await SubmitRawAsync(host, new { type = "deletion", jurisdiction = "california", notOnFile = visit with { email = "visitor2@outside.test" }, channel = "email" });
        await WaitUntilAsync(async () => (await RawStatusAsync(host, deletion)).Request.Status == RequestStatus.AwaitingVerification, host);
        using (await host.Http.PostAsJsonAsync($"privacy-requests/{deletion}/manual-verification", new { outcome = "verified", method = "signed-declaration" }, ApiJson.Options))
        {
        }

        var kept = await RawFinalAsync(host, deletion);
        var footage = Assert.Single(kept.Request.Outcome!.Kept);
        Assert.StartsWith("1 recordings of building b-n, door lobby", footage.Category, StringComparison.Ordinal);
        Assert.NotNull(footage.Until);
        Assert.NotNull(await RecordAsync(store, "b-n/lobby/cap-visit.mp4"));

        // 4. The categories shared: none can name them, and the marketing statement.
        var categories = await SubmitRawAsync(host, new { type = "categories-shared", jurisdiction = "california", notOnFile = new { email = "partner@outside.test", relationship = "partner", buildingId = "b-n" }, channel = "web" });
        await WaitUntilAsync(async () => (await RawStatusAsync(host, categories)).Request.Status == RequestStatus.AwaitingVerification, host);
        using (await host.Http.PostAsJsonAsync($"privacy-requests/{categories}/manual-verification", new { outcome = "verified", method = "details-only-the-person-knows" }, ApiJson.Options))
        {
        }

        var none = await RawFinalAsync(host, categories);
        Assert.StartsWith("Nothing held:", none.Request.Outcome!.Summary, StringComparison.Ordinal);
        Assert.Equal(RequestWork.MarketingStatement, none.Request.Outcome.MarketingStatement);

        // 5. Found not to be who they say: closed unverified, nothing released, and they are told.
        var impostor = await SubmitRawAsync(host, new { type = "access", jurisdiction = "new-york", notOnFile = visit with { email = "impostor@outside.test" }, channel = "web" });
        await WaitUntilAsync(async () => (await RawStatusAsync(host, impostor)).Request.Status == RequestStatus.AwaitingVerification, host);
        using (await host.Http.PostAsJsonAsync($"privacy-requests/{impostor}/manual-verification", new { outcome = "not-verified", method = "government-id-by-video-call", note = "The ID did not match." }, ApiJson.Options))
        {
        }

        var refusedStatus = await RawFinalAsync(host, impostor);
        Assert.Equal((RequestStatus.Unverified, "identity-not-verified"), (refusedStatus.Request.Status, refusedStatus.Request.DenialReason));
        Assert.Null(refusedStatus.ExportLink);
        Assert.Contains(await mail.Api.WaitForAsync("impostor@outside.test", 2, Wait), e => e.Subject == $"Your privacy request {impostor} could not be verified");

        // The office's checks are in the audit trail (O18): the request and the method, no name, no address, no note.
        var audits = await Audits.AroundAsync(store, DateTimeOffset.UtcNow);
        var checks = audits.Where(a => a.Action == "request-manually-verified").ToList();
        Assert.Contains(checks, a => a.ItemRef == "requests/" + access && a.Outcome == "verified:government-id-by-video-call");
        Assert.Contains(checks, a => a.ItemRef == "requests/" + impostor && a.Outcome == "not-verified:government-id-by-video-call");
        var trail = JsonSerializer.Serialize(checks, ApiJson.Options);
        Assert.DoesNotContain("outside.test", trail, StringComparison.Ordinal);
        Assert.DoesNotContain("Passport", trail, StringComparison.Ordinal);

        // Closed requests lose the address and the note once the final notices are out (O18: minimized).
        await WaitUntilAsync(async () => (await RawStatusAsync(host, access)).Request.MinimizedAt is not null, host);
        var minimized = (await RawStatusAsync(host, access)).Request;
        Assert.Equal(("(removed at close)", null), (minimized.NotOnFile!.Email, minimized.ManualVerification!.Note));
        Assert.Null(minimized.GivenEmail);
    }

    // Raw JSON on purpose: these bodies are typed here as the pipeline's own records (the answer's outcome, kept data, the
    // office's check), which the generated client models as loose objects. The contract handler in host.Http still checks
    // every response against the document.
    private static async Task<string> SubmitRawAsync(LocalHostProcess host, object body)
    {
        using var response = await host.Http.PostAsJsonAsync("privacy-requests", body, ApiJson.Options);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("requestId").GetString()!;
    }

    private static async Task<PrivacyRequestStatus> RawStatusAsync(LocalHostProcess host, string requestId) =>
        (await host.Http.GetFromJsonAsync<PrivacyRequestStatus>($"privacy-requests/{requestId}", ApiJson.Options))!;

    private static async Task<PrivacyRequestStatus> RawFinalAsync(LocalHostProcess host, string requestId)
    {
        PrivacyRequestStatus? status = null;
        await host.WaitUntilAsync(async () => (status = await RawStatusAsync(host, requestId)).Request.Closed, Wait);
        return status!;
    }
}
