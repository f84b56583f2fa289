using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.EndToEnd;

/// <summary>
/// Facial Entry on the real local host (no Face API there, O3–O5): the resident enrolls with their own token once they
/// consent; the reference is kept as a private blob; the API says everywhere that verification is not configured, and a
/// door capture's check says so too (never a match); a verified check shows whom it matched to the privacy officer only,
/// never to the building's manager; bad images are problem details; withdrawal ends the enrollment at once and its O5
/// deadline deletes the blob and the record with an audit entry.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class FacialEntryEndToEndTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task Enrollment_is_stored_verification_reports_not_configured_and_withdrawal_deletes_the_reference()
    {
        await AzuriteFixture.EnsureRunningAsync();
        await using var host = new LocalHostProcess("facial-entry", new Dictionary<string, string>
        {
            ["OneValet:Retention:ReferenceDataAfterExit"] = "00:00:05",
            ["OneValet:Retention:BucketWidth"] = "00:00:01",
            ["OneValet:Retention:PlanInterval"] = "00:00:01",
            ["OneValet:Retention:PlanningHorizon"] = "00:02:00",
        });
        await host.StartAsync();
        var manager = await host.ManagerAsync("b-f");
        foreach (var id in new[] { "r-face", "r-other" })
        {
            using var put = await manager.PutAsJsonAsync($"residents/{id}", new { buildingId = "b-f", unitId = "u-1", movedInAt = DateTimeOffset.UtcNow.AddYears(-1), email = $"{id}@facial.test" }, ApiJson.Options);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var resident = await host.ResidentAsync("r-face", "b-f", "u-1");
        var other = await host.ResidentAsync("r-other", "b-f", "u-1");
        var reference = Hardware.Jpeg(40_000, seed: 5);

        var status = await StatusAsync(resident);
        Assert.False(status.GetProperty("enrolled").GetBoolean());
        Assert.Equal("not-configured", status.GetProperty("verification").GetString());

        // No consent: refused, nothing stored.
        await AssertProblemAsync(await EnrollAsync(resident, "r-face", reference), HttpStatusCode.Conflict, "consent-required");
        using (var consent = await resident.PostAsJsonAsync("residents/r-face/consents/facial-entry", new { policyVersion = "2022-06-29" }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.OK, consent.StatusCode);
        }

        // Bad bodies: problem details, never a 500.
        await AssertProblemAsync(await EnrollAsync(resident, "r-face", reference, "text/plain"), HttpStatusCode.UnsupportedMediaType, null);
        await AssertProblemAsync(await EnrollAsync(resident, "r-face", "GIF89a-not-a-jpeg"u8.ToArray()), HttpStatusCode.BadRequest, "not-a-jpeg");
        await AssertProblemAsync(await EnrollAsync(resident, "r-face", Hardware.Jpeg((6 * 1024 * 1024) + 10)), HttpStatusCode.RequestEntityTooLarge, null);

        // Only the resident themself: another resident does not even learn that the record exists; a manager may not.
        Assert.Equal(HttpStatusCode.NotFound, (await EnrollAsync(other, "r-face", reference)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await EnrollAsync(manager, "r-face", reference)).StatusCode);

        using (var enrolled = await EnrollAsync(resident, "r-face", reference))
        {
            Assert.Equal(HttpStatusCode.Created, enrolled.StatusCode);
            var body = JsonDocument.Parse(await enrolled.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("stored-image", body.GetProperty("reference").GetString());
            Assert.Equal("not-configured", body.GetProperty("verification").GetString());
        }

        var store = host.OpenStore();
        var enrollment = (await store.ReadAsync<FacialEnrollmentRecord>(Containers.Residents, "r-face", FacialEnrollmentRecord.DocumentId))!.Document;
        var blob = new BlobServiceClient(AzuriteFixture.ConnectionString).GetBlobContainerClient(host.FacialReferencesContainer).GetBlobClient(enrollment.ReferenceBlobName);
        Assert.Equal(reference, (await blob.DownloadContentAsync()).Value.Content.ToArray());
        status = await StatusAsync(resident);
        Assert.True(status.GetProperty("enrolled").GetBoolean());
        Assert.True(status.GetProperty("active").GetBoolean());

        // A door capture: catalogued with a check that says, truthfully, that nothing was verified.
        var recordings = new BlobServiceClient(AzuriteFixture.ConnectionString).GetBlobContainerClient(host.RecordingsContainer);
        await Hardware.UploadAsync(recordings, "b-f/lobby/cap-1.jpg", Hardware.Jpeg(30_000, seed: 6), Hardware.Metadata(DateTimeOffset.UtcNow, kind: "facial-entry"));
        JsonElement check = default;
        await host.WaitUntilAsync(async () =>
        {
            using var got = await manager.GetAsync(new Uri("recordings/b-f/lobby/cap-1", UriKind.Relative));
            return got.IsSuccessStatusCode && JsonDocument.Parse(await got.Content.ReadAsStringAsync()).RootElement.TryGetProperty("faceCheck", out check);
        }, Wait);
        Assert.Equal("not-configured", check.GetProperty("status").GetString());
        Assert.False(check.TryGetProperty("residentId", out _));
        Assert.False(check.TryGetProperty("confidence", out _));

        // Who a check matched is for the privacy officer only (O3, O4). No Face API runs here, so the verified check a Face
        // API deployment would store is written into this host's store; the views are then read through the real gate
        // with a manager's token and the officer's.
        var captured = (await store.ReadAsync<RecordingRecord>(Containers.Recordings, "b-f", RecordingRecord.IdFor("lobby", "cap-1")))!;
        await store.ReplaceAsync(Containers.Recordings, "b-f", captured.Id, captured.Document with
        {
            FaceCheck = new FaceCheck(Pipeline.Faces.FaceVerificationStatus.Verified, DateTimeOffset.UtcNow, 0.93, "r-face", new Pipeline.Faces.FaceRectangle(10, 20, 90, 90)),
        }, captured.ETag);
        foreach (var (client, shown) in new[] { (manager, false), (host.Http, true) })
        {
            foreach (var path in new[] { "recordings/b-f/lobby/cap-1", "buildings/b-f/recordings" })
            {
                using var got = await client.GetAsync(new Uri(path, UriKind.Relative));
                Assert.Equal(HttpStatusCode.OK, got.StatusCode);
                var text = await got.Content.ReadAsStringAsync();
                var root = JsonDocument.Parse(text).RootElement;
                var seen = (root.TryGetProperty("items", out var items) ? items[0] : root).GetProperty("faceCheck");
                Assert.Equal("verified", seen.GetProperty("status").GetString());
                Assert.Equal(90, seen.GetProperty("face").GetProperty("width").GetInt32());
                Assert.Equal(shown, seen.TryGetProperty("residentId", out _));
                Assert.Equal(shown, text.Contains("r-face", StringComparison.Ordinal));
            }
        }

        // Withdrawal: processing stops now; at the O5 deadline (5 s here) blob and record are deleted, with an audit entry.
        var withdrawnAt = DateTimeOffset.UtcNow;
        using (var withdrawn = await resident.DeleteAsync(new Uri("residents/r-face/consents/facial-entry", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, withdrawn.StatusCode);
        }

        await host.WaitUntilAsync(async () => await store.ReadAsync<FacialEnrollmentRecord>(Containers.Residents, "r-face", FacialEnrollmentRecord.DocumentId) is null, Wait);
        Assert.False((await blob.ExistsAsync()).Value);
        var audit = Assert.Single(await Audits.AroundAsync(store, withdrawnAt), a => a.Action == "deleted" && a.Category == "facial-entry-reference");
        Assert.Equal("completed", audit.Outcome);
        Assert.Equal("O5", audit.Obligation);
        Assert.Equal("deleted: reference-blob, enrollment-record", audit.How);
        Assert.False((await StatusAsync(resident)).GetProperty("enrolled").GetBoolean());
        Assert.DoesNotContain("Unhandled exception", host.Output, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> EnrollAsync(HttpClient client, string residentId, byte[] image, string contentType = "image/jpeg")
    {
        using var content = new ByteArrayContent(image);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return await client.PutAsync(new Uri($"residents/{residentId}/facial-entry/enrollment", UriKind.Relative), content);
    }

    private static async Task<JsonElement> StatusAsync(HttpClient resident)
    {
        using var got = await resident.GetAsync(new Uri("residents/r-face", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        return JsonDocument.Parse(await got.Content.ReadAsStringAsync()).RootElement.GetProperty("facialEntryStatus");
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? code)
    {
        using (response)
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
            if (code is not null)
            {
                Assert.Equal(code, problem.GetProperty("code").GetString());
            }
        }
    }
}
