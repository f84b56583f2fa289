using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Kiota.Abstractions.Serialization;
using OneValet.Client;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;
using Models = OneValet.Client.Models;

namespace OneValet.Tests.EndToEnd;

/// <summary>
/// Facial Entry on the real local host (no Face API there, O3–O5): the resident enrolls with their own token once they
/// consent; the reference is kept as a private blob; the API says everywhere that verification is not configured, and a
/// door capture's check says so too (never a match); a verified check shows whom it matched to the privacy officer only,
/// never to the building's manager; bad images are problem details; withdrawal ends the enrollment at once and its O5
/// deadline deletes the blob and the record with an audit entry. Calls go through the client generated from the OpenAPI
/// document (issue 20.2); only the wrong media type is raw HTTP (the client sends only the declared <c>image/jpeg</c>).
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
        var manager = await host.ManagerApiAsync("b-f");
        foreach (var id in new[] { "r-face", "r-other" })
        {
            await ApiAssert.AnswersAsync(HttpStatusCode.Created, s => manager.Api.Residents[id].PutAsync(
                new Models.ResidentInput { BuildingId = "b-f", UnitId = "u-1", MovedInAt = DateTimeOffset.UtcNow.AddYears(-1), Email = $"{id}@facial.test" }, c => c.Options.Add(s)));
        }

        var residentHttp = await host.ResidentAsync("r-face", "b-f", "u-1");
        var resident = LocalHostProcess.ApiOf(residentHttp);
        var other = await host.ResidentApiAsync("r-other", "b-f", "u-1");
        var reference = Hardware.Jpeg(40_000, seed: 5);

        var status = await StatusAsync(resident);
        Assert.False(status.Enrolled);
        Assert.Equal("not-configured", status.Verification);

        // No consent: refused, nothing stored.
        await ApiAssert.RefusedAsync(HttpStatusCode.Conflict, "consent-required", () => EnrollAsync(resident, "r-face", reference));
        await ApiAssert.AnswersAsync(HttpStatusCode.OK, s => resident.Api.Residents["r-face"].Consents.FacialEntry.PostAsync(new Models.ConsentInput { PolicyVersion = "2022-06-29" }, c => c.Options.Add(s)));

        // Bad bodies: problem details, never a 500. The other media type is raw HTTP: the client sends only image/jpeg.
        await AssertProblemAsync(await EnrollRawAsync(residentHttp, "r-face", reference, "text/plain"), HttpStatusCode.UnsupportedMediaType, null);
        await ApiAssert.RefusedAsync(HttpStatusCode.BadRequest, "not-a-jpeg", () => EnrollAsync(resident, "r-face", "GIF89a-not-a-jpeg"u8.ToArray()));
        await ApiAssert.RefusedAsync(HttpStatusCode.RequestEntityTooLarge, null, () => EnrollAsync(resident, "r-face", Hardware.Jpeg((6 * 1024 * 1024) + 10)));

        // Only the resident themself: another resident does not even learn that the record exists; a manager may not.
        await ApiAssert.RefusedAsync(HttpStatusCode.NotFound, null, () => EnrollAsync(other, "r-face", reference));
        await ApiAssert.RefusedAsync(HttpStatusCode.Forbidden, null, () => EnrollAsync(manager, "r-face", reference));

        var enrolled = await ApiAssert.AnswersAsync(HttpStatusCode.Created, s => EnrollAsync(resident, "r-face", reference, s));
        Assert.Equal("stored-image", enrolled.Reference);
        Assert.Equal("not-configured", enrolled.Verification);

        var store = host.OpenStore();
        var enrollment = (await store.ReadAsync<FacialEnrollmentRecord>(Containers.Residents, "r-face", FacialEnrollmentRecord.DocumentId))!.Document;
        var blob = new BlobServiceClient(AzuriteFixture.ConnectionString).GetBlobContainerClient(host.FacialReferencesContainer).GetBlobClient(enrollment.ReferenceBlobName);
        Assert.Equal(reference, (await blob.DownloadContentAsync()).Value.Content.ToArray());
        status = await StatusAsync(resident);
        Assert.True(status.Enrolled);
        Assert.True(status.Active);

        // A door capture: catalogued with a check that says, truthfully, that nothing was verified.
        var recordings = new BlobServiceClient(AzuriteFixture.ConnectionString).GetBlobContainerClient(host.RecordingsContainer);
        await Hardware.UploadAsync(recordings, "b-f/lobby/cap-1.jpg", Hardware.Jpeg(30_000, seed: 6), Hardware.Metadata(DateTimeOffset.UtcNow, kind: "facial-entry"));
        Models.RecordingRecord_faceCheck? check = null;
        await host.WaitUntilAsync(async () =>
        {
            try
            {
                check = (await manager.Api.Recordings["b-f"]["lobby"]["cap-1"].GetAsync())?.FaceCheck;
                return check is not null;
            }
            catch (Models.Problem problem) when (problem.ResponseStatusCode == 404)
            {
                return false;
            }
        }, Wait);
        Assert.Equal(Models.RecordingRecord_faceCheck_status.NotConfigured, check!.Status);
        Assert.Null(check.ResidentId);
        Assert.Null(check.Confidence);

        // Who a check matched is for the privacy officer only (O3, O4). No Face API runs here, so the verified check a Face
        // API deployment would store is written into this host's store; the views are then read through the real gate
        // with a manager's token and the officer's.
        var captured = (await store.ReadAsync<RecordingRecord>(Containers.Recordings, "b-f", RecordingRecord.IdFor("lobby", "cap-1")))!;
        await store.ReplaceAsync(Containers.Recordings, "b-f", captured.Id, captured.Document with
        {
            FaceCheck = new FaceCheck(Pipeline.Faces.FaceVerificationStatus.Verified, DateTimeOffset.UtcNow, 0.93, "r-face", new Pipeline.Faces.FaceRectangle(10, 20, 90, 90)),
        }, captured.ETag);
        foreach (var (client, shown) in new[] { (manager, false), (host.Api, true) })
        {
            var one = (await client.Api.Recordings["b-f"]["lobby"]["cap-1"].GetAsync())!;
            Assert.Equal(Models.RecordingRecord_faceCheck_status.Verified, one.FaceCheck!.Status);
            Assert.Equal(90, one.FaceCheck.Face!.Width);
            Assert.Equal(shown, one.FaceCheck.ResidentId is not null);
            var page = (await client.Api.Buildings["b-f"].Recordings.GetAsync())!;
            var listed = Assert.Single(page.Items!);
            Assert.Equal(Models.RecordingPage_items_faceCheck_status.Verified, listed.FaceCheck!.Status);
            Assert.Equal(90, listed.FaceCheck.Face!.Width);
            Assert.Equal(shown, listed.FaceCheck.ResidentId is not null);

            // Nothing else names the resident either: everything the client read (declared members and any others).
            var text = await KiotaJsonSerializer.SerializeAsStringAsync(one) + await KiotaJsonSerializer.SerializeAsStringAsync(page);
            Assert.Equal(shown, text.Contains("r-face", StringComparison.Ordinal));
        }

        // Withdrawal: processing stops now; at the O5 deadline (5 s here) blob and record are deleted, with an audit entry.
        var withdrawnAt = DateTimeOffset.UtcNow;
        await ApiAssert.AnswersAsync(HttpStatusCode.OK, s => resident.Api.Residents["r-face"].Consents.FacialEntry.DeleteAsync(c => c.Options.Add(s)));

        await host.WaitUntilAsync(async () => await store.ReadAsync<FacialEnrollmentRecord>(Containers.Residents, "r-face", FacialEnrollmentRecord.DocumentId) is null, Wait);
        Assert.False((await blob.ExistsAsync()).Value);
        var audit = Assert.Single(await Audits.AroundAsync(store, withdrawnAt), a => a.Action == "deleted" && a.Category == "facial-entry-reference");
        Assert.Equal("completed", audit.Outcome);
        Assert.Equal("O5", audit.Obligation);
        Assert.Equal("deleted: reference-blob, enrollment-record", audit.How);
        Assert.False((await StatusAsync(resident)).Enrolled);
        Assert.DoesNotContain("Unhandled exception", host.Output, StringComparison.Ordinal);
    }

    private static async Task<Models.FacialEntryStatus?> EnrollAsync(OneValetClient client, string residentId, byte[] image, Contract.ResponseStatus? status = null)
    {
        using var body = new MemoryStream(image);
        return await client.Api.Residents[residentId].FacialEntry.Enrollment.PutAsync(body, c =>
        {
            if (status is not null)
            {
                c.Options.Add(status);
            }
        });
    }

    private static async Task<HttpResponseMessage> EnrollRawAsync(HttpClient client, string residentId, byte[] image, string contentType)
    {
        using var content = new ByteArrayContent(image);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return await client.PutAsync(new Uri($"residents/{residentId}/facial-entry/enrollment", UriKind.Relative), content);
    }

    private static async Task<Models.FacialEntryStatus> StatusAsync(OneValetClient resident) =>
        (await resident.Api.Residents["r-face"].GetAsync())!.FacialEntryStatus!;

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
