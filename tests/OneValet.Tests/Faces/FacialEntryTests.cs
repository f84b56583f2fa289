using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Faces;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;
using static OneValet.Tests.Retention.RetentionEngineTests;

namespace OneValet.Tests.Faces;

/// <summary>
/// Facial Entry through the pipeline's real services on Azurite and SQLite with a fake clock (O3, O4, O5): enrollment,
/// the check of door captures, and the deletion of reference data. The Face API has no emulator: where it is configured,
/// <see cref="FakeFaceService"/> answers with the documented responses and records every request, so a test can prove
/// that nothing reached it.
/// </summary>
public sealed class FacialEntryTests
{
    private static readonly byte[] AliceReference = Hardware.Jpeg(20_000, seed: 11);
    private static readonly byte[] AliceAtTheDoor = Hardware.Jpeg(30_000, seed: 12);
    private static readonly byte[] BobReference = Hardware.Jpeg(20_000, seed: 21);
    private static readonly byte[] BobAtTheDoor = Hardware.Jpeg(30_000, seed: 22);
    private static readonly byte[] Stranger = Hardware.Jpeg(30_000, seed: 31);
    private static readonly byte[] EmptyHall = Hardware.Jpeg(30_000, seed: 41);
    private static readonly byte[] TwoPeople = Hardware.Jpeg(20_000, seed: 51);

    [Fact]
    public async Task Without_a_live_consent_nothing_biometric_is_processed_and_no_request_reaches_the_face_api()
    {
        var face = Fake();
        await using var h = await StartAsync(face);
        await RegisterAsync(h, "r-alice", "b-1", consent: false);

        var refused = await EnrollAsync(h, "r-alice", AliceReference);
        var capture = await CaptureAsync(h, "b-1", "cap-1", AliceAtTheDoor);

        Assert.Equal(StatusCodes.Status409Conflict, refused.Status);
        Assert.Equal("consent-required", Parse(refused.Body).GetProperty("code").GetString());
        Assert.Null(await EnrollmentAsync(h, "r-alice"));
        Assert.Equal(FaceVerificationStatus.NoConsent, capture.FaceCheck!.Status);
        Assert.Null(capture.FaceCheck.ResidentId);
        Assert.Empty(face.Requests);

        // Consent, enrollment, then withdrawal: from the withdrawal on, captures are not sent either (O3).
        await ConsentAsync(h, "r-alice");
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-alice", AliceReference)).Status);
        var before = face.Requests.Count;
        Assert.Equal(StatusCodes.Status200OK, (await InvokeAsync(_ => h.Get<ResidentsApi>().WithdrawFacialEntryConsentAsync("r-alice", default))).Status);
        var after = await CaptureAsync(h, "b-1", "cap-2", AliceAtTheDoor);

        Assert.Equal(FaceVerificationStatus.NoConsent, after.FaceCheck!.Status);
        Assert.Equal(before, face.Requests.Count);
        Assert.DoesNotContain(face.Requests, r => r.Path is "/identify" || r.Query.Contains("returnFaceId=true", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_capture_of_an_enrolled_resident_is_verified_once_and_the_check_is_on_the_catalogue_record()
    {
        var face = Fake();
        await using var h = await StartAsync(face);
        await RegisterAsync(h, "r-alice", "b-1", consent: true);

        var enrolled = await EnrollAsync(h, "r-alice", AliceReference);
        Assert.Equal(StatusCodes.Status201Created, enrolled.Status);
        var status = Parse(enrolled.Body);
        Assert.True(status.GetProperty("enrolled").GetBoolean());
        Assert.Equal("face-api", status.GetProperty("reference").GetString());
        Assert.Equal("configured", status.GetProperty("verification").GetString());

        // The group did not exist: the first person creates it; the face is added, the group trained.
        Assert.Equal(
            ["POST /detect", "POST /largepersongroups/residents-test/persons", "PUT /largepersongroups/residents-test", "POST /largepersongroups/residents-test/persons", "POST persistedfaces", "POST /largepersongroups/residents-test/train"],
            face.Requests.Select(r => r.Path.EndsWith("/persistedfaces", StringComparison.Ordinal) ? "POST persistedfaces" : $"{r.Method} {r.Path}"));
        var enrollment = (await EnrollmentAsync(h, "r-alice"))!;
        Assert.Equal(face.Persons.Single().ToString(), enrollment.FacePersonId);
        Assert.Null(enrollment.ReferenceBlobName); // with a Face API the image itself is not kept (O1)

        var capture = await CaptureAsync(h, "b-1", "cap-1", AliceAtTheDoor);
        var check = capture.FaceCheck!;
        Assert.Equal(FaceVerificationStatus.Verified, check.Status);
        Assert.Equal("r-alice", check.ResidentId);
        Assert.Equal(0.92, check.Confidence!.Value, 3);
        Assert.Equal(new FaceRectangle(40, 30, 100, 100), check.Face);
        Assert.Equal(h.Clock.GetUtcNow(), check.CheckedAt);

        // Redelivered: catalogued already and checked already, so the Face API hears nothing more.
        var requests = face.Requests.Count;
        Assert.Equal(IngestionResult.AlreadyCatalogued, (await h.Get<RecordingIngestor>().IngestAsync("b-1/door-1/cap-1.jpg", default)).Result);
        Assert.Equal(check, await h.Get<FacialEntryChecks>().CheckAsync("b-1", RecordingRecord.IdFor("door-1", "cap-1"), default));
        Assert.Equal(requests, face.Requests.Count);

        // What a property manager sees through the recordings API.
        var api = await InvokeAsync(_ => h.Get<RecordingsApi>().GetRecordingAsync("b-1", "door-1", "cap-1", default));
        var shown = Parse(api.Body).GetProperty("faceCheck");
        Assert.Equal("verified", shown.GetProperty("status").GetString());
        Assert.Equal("r-alice", shown.GetProperty("residentId").GetString());
        Assert.Equal(100, shown.GetProperty("face").GetProperty("width").GetInt32());
    }

    [Fact]
    public async Task Strangers_empty_halls_videos_and_residents_of_other_buildings_are_never_verified()
    {
        var face = Fake();
        await using var h = await StartAsync(face);
        await RegisterAsync(h, "r-alice", "b-1", consent: true);
        await RegisterAsync(h, "r-bob", "b-2", consent: true);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-alice", AliceReference)).Status);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-bob", BobReference)).Status);

        Assert.Equal(FaceVerificationStatus.NotVerified, (await CaptureAsync(h, "b-1", "stranger", Stranger)).FaceCheck!.Status);
        Assert.Equal(FaceVerificationStatus.NoFace, (await CaptureAsync(h, "b-1", "empty", EmptyHall)).FaceCheck!.Status);
        var video = await CaptureAsync(h, "b-1", "clip", Hardware.Mp4(50_000), "mp4");
        Assert.Equal(FaceVerificationStatus.NotAnImage, video.FaceCheck!.Status);

        // Bob is enrolled and identified by the Face API, but he lives in b-2: at b-1's door he is not accepted, and his id
        // is not written anywhere on the capture.
        var bobAtB1 = await CaptureAsync(h, "b-1", "bob", BobAtTheDoor);
        Assert.Equal(FaceVerificationStatus.NotVerified, bobAtB1.FaceCheck!.Status);
        Assert.Null(bobAtB1.FaceCheck.ResidentId);
        Assert.Equal(FaceVerificationStatus.Verified, (await CaptureAsync(h, "b-2", "bob", BobAtTheDoor)).FaceCheck!.Status);

        // Below the configured threshold the answer is NotVerified too.
        face.MatchConfidence = 0.6;
        Assert.Equal(FaceVerificationStatus.NotVerified, (await CaptureAsync(h, "b-1", "alice-blurry", AliceAtTheDoor)).FaceCheck!.Status);
    }

    [Fact]
    public async Task A_face_api_failure_leaves_the_capture_catalogued_and_unchecked_and_the_retry_checks_it()
    {
        var face = Fake();
        await using var h = await StartAsync(face);
        await RegisterAsync(h, "r-alice", "b-1", consent: true);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-alice", AliceReference)).Status);
        await Hardware.UploadAsync(h.Recordings, "b-1/door-1/cap-1.jpg", AliceAtTheDoor, Hardware.Metadata(h.Clock.GetUtcNow(), kind: "facial-entry"));

        face.Outage = (System.Net.HttpStatusCode.ServiceUnavailable, "ServiceUnavailable");
        await Assert.ThrowsAsync<Azure.RequestFailedException>(() => h.Get<RecordingIngestor>().IngestAsync("b-1/door-1/cap-1.jpg", default));
        var failed = (await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, "b-1", RecordingRecord.IdFor("door-1", "cap-1")))!.Document;
        Assert.Null(failed.FaceCheck);

        face.Outage = null;
        Assert.Equal(IngestionResult.AlreadyCatalogued, (await h.Get<RecordingIngestor>().IngestAsync("b-1/door-1/cap-1.jpg", default)).Result);
        var record = (await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, "b-1", RecordingRecord.IdFor("door-1", "cap-1")))!.Document;
        Assert.Equal(FaceVerificationStatus.Verified, record.FaceCheck!.Status);
    }

    [Fact]
    public async Task Re_enrollment_replaces_the_reference_and_deletes_the_earlier_person_through_the_audited_path()
    {
        var face = Fake();
        await using var h = await StartAsync(face);
        await RegisterAsync(h, "r-alice", "b-1", consent: true);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-alice", AliceReference)).Status);
        var first = face.Persons.Single();
        h.Clock.Advance(TimeSpan.FromMinutes(1));

        // A photo of two people is refused before the enrolled reference is touched.
        var refused = await EnrollAsync(h, "r-alice", TwoPeople);
        Assert.Equal(StatusCodes.Status422UnprocessableEntity, refused.Status);
        Assert.Equal("more-than-one-face", Parse(refused.Body).GetProperty("code").GetString());
        Assert.Equal([first], face.Persons);

        var replaced = await EnrollAsync(h, "r-alice", AliceAtTheDoor);
        Assert.Equal(StatusCodes.Status200OK, replaced.Status);
        var second = Assert.Single(face.Persons);
        Assert.NotEqual(first, second);
        Assert.Equal(second.ToString(), (await EnrollmentAsync(h, "r-alice"))!.FacePersonId);
        var audit = Assert.Single(await DeletionAuditsAsync(h), a => a.RuleId == "facial-enrollment-replaced");
        Assert.Equal("completed", audit.Outcome);
        Assert.Equal("deleted: face-api-person, enrollment-record", audit.How);
        Assert.Equal("O5", audit.Obligation);
    }

    [Fact]
    public async Task After_withdrawal_the_O5_deadline_deletes_the_face_api_person_and_the_record_with_an_audit_entry()
    {
        var face = Fake();
        await using var h = await StartAsync(face);
        await RegisterAsync(h, "r-alice", "b-1", consent: true);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-alice", AliceReference)).Status);

        await InvokeAsync(_ => h.Get<ResidentsApi>().WithdrawFacialEntryConsentAsync("r-alice", default));
        var resident = await ResidentAsync(h, "r-alice");
        Assert.Equal(h.Clock.GetUtcNow().AddMinutes(10), resident.ReferenceDataDeadline);

        // Before the deadline nothing is deleted: the reference stays (re-consent could still cancel its deletion).
        h.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(0, (await h.Get<RetentionSweep>().EnforceDueAsync(default)).Deleted);
        Assert.Single(face.Persons);

        h.Clock.Advance(TimeSpan.FromMinutes(7));
        Assert.Equal(1, (await h.Get<RetentionSweep>().EnforceDueAsync(default)).Deleted);
        Assert.Empty(face.Persons);
        Assert.Null(await EnrollmentAsync(h, "r-alice"));
        Assert.Contains(face.Requests, r => r.Method == "DELETE");
        Assert.False(await h.Get<FacialEntryIndex>().AnyLiveAsync("b-1", default));
        var audit = Assert.Single(await DeletionAuditsAsync(h), a => a.ItemRef == "facialEnrollment/r-alice/facial-enrollment/0");
        Assert.Equal("completed", audit.Outcome);
        Assert.Equal("O5", audit.Obligation);
        Assert.Equal("deleted: face-api-person, enrollment-record", audit.How);
        Assert.DoesNotContain("alice", JsonSerializer.Serialize(audit).Replace("r-alice", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_face_api_the_reference_is_a_private_blob_verification_says_not_configured_and_O5_deletes_blob_and_record()
    {
        await using var h = await StartAsync(face: null);
        await RegisterAsync(h, "r-alice", "b-1", consent: true);

        // Nobody enrolled yet: the capture is NoConsent (nobody to check against), whatever the configuration.
        Assert.Equal(FaceVerificationStatus.NoConsent, (await CaptureAsync(h, "b-1", "cap-0", AliceAtTheDoor)).FaceCheck!.Status);

        var enrolled = await EnrollAsync(h, "r-alice", AliceReference);
        Assert.Equal(StatusCodes.Status201Created, enrolled.Status);
        var status = Parse(enrolled.Body);
        Assert.Equal("stored-image", status.GetProperty("reference").GetString());
        Assert.Equal("not-configured", status.GetProperty("verification").GetString());
        var blob = (await EnrollmentAsync(h, "r-alice"))!.ReferenceBlobName!;
        var stored = await h.FacialReferences.GetBlobClient(blob).DownloadContentAsync();
        Assert.Equal(AliceReference, stored.Value.Content.ToArray());
        Assert.Equal("image/jpeg", stored.Value.Details.ContentType);

        // Someone consents and is enrolled, but nothing can verify here: NotConfigured, never a match.
        var capture = await CaptureAsync(h, "b-1", "cap-1", AliceAtTheDoor);
        Assert.Equal(FaceVerificationStatus.NotConfigured, capture.FaceCheck!.Status);
        Assert.Null(capture.FaceCheck.ResidentId);
        Assert.Null(capture.FaceCheck.Confidence);

        // The resident's GET says so too.
        var got = Parse((await InvokeAsync(_ => h.Get<ResidentsApi>().GetResidentAsync("r-alice", default))).Body).GetProperty("facialEntryStatus");
        Assert.True(got.GetProperty("enrolled").GetBoolean());
        Assert.Equal("not-configured", got.GetProperty("verification").GetString());

        // Move-out: O5 deadline; at it, blob and record go, with the audit naming both.
        Assert.Equal(StatusCodes.Status200OK, (await InvokeAsync(ctx => h.Get<ResidentsApi>().MoveOutAsync("r-alice", Json(ctx, "{}"), default))).Status);
        h.Clock.Advance(TimeSpan.FromMinutes(12));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.False((await h.FacialReferences.GetBlobClient(blob).ExistsAsync()).Value);
        Assert.Null(await EnrollmentAsync(h, "r-alice"));
        var audit = Assert.Single(await DeletionAuditsAsync(h), a => a.Category == "facial-entry-reference");
        Assert.Equal("deleted: reference-blob, enrollment-record", audit.How);
    }

    [Fact]
    public async Task Re_consent_before_the_deadline_cancels_the_deletion_and_the_resident_is_checked_again()
    {
        var face = Fake();
        await using var h = await StartAsync(face);
        await RegisterAsync(h, "r-alice", "b-1", consent: true);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-alice", AliceReference)).Status);
        await InvokeAsync(_ => h.Get<ResidentsApi>().WithdrawFacialEntryConsentAsync("r-alice", default));
        Assert.Equal(FaceVerificationStatus.NoConsent, (await CaptureAsync(h, "b-1", "cap-1", AliceAtTheDoor)).FaceCheck!.Status);

        await ConsentAsync(h, "r-alice");
        h.Clock.Advance(TimeSpan.FromMinutes(12));
        Assert.Equal(0, (await h.Get<RetentionSweep>().EnforceDueAsync(default)).Deleted);
        Assert.Single(face.Persons);
        Assert.Equal(FaceVerificationStatus.Verified, (await CaptureAsync(h, "b-1", "cap-2", AliceAtTheDoor)).FaceCheck!.Status);
    }

    [Fact]
    public async Task The_resident_removes_the_enrollment_through_the_audited_path_unless_a_hold_keeps_it()
    {
        var face = Fake();
        await using var h = await StartAsync(face);
        await RegisterAsync(h, "r-alice", "b-1", consent: true);
        await RegisterAsync(h, "r-bob", "b-1", consent: true);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-alice", AliceReference)).Status);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-bob", BobReference)).Status);

        var removed = await InvokeAsync(_ => h.Get<FacialEnrollments>().DeleteAsync("r-alice", default));
        Assert.Equal(StatusCodes.Status200OK, removed.Status);
        Assert.False(Parse(removed.Body).GetProperty("enrolled").GetBoolean());
        Assert.Null(await EnrollmentAsync(h, "r-alice"));
        Assert.Single(face.Persons);
        var audit = Assert.Single(await DeletionAuditsAsync(h));
        Assert.Equal("facial-enrollment-removed-by-resident", audit.RuleId);
        Assert.Equal("deleted: face-api-person, enrollment-record", audit.How);

        // Removing again is harmless.
        Assert.Equal(StatusCodes.Status200OK, (await InvokeAsync(_ => h.Get<FacialEnrollments>().DeleteAsync("r-alice", default))).Status);

        // A hold on Bob (O6) keeps his reference: the resident is told why, and nothing is deleted.
        await h.Get<HoldRegistry>().CreateAsync(new HoldRecord
        {
            HoldId = "hold-bob",
            Reason = HoldReason.SecurityIncident,
            Scope = new HoldScope { SubjectId = "r-bob" },
            Owner = "privacy.office@example.com",
            ReviewBy = h.Clock.GetUtcNow().AddDays(30),
            PlacedAt = h.Clock.GetUtcNow(),
        }, default);
        var held = await InvokeAsync(_ => h.Get<FacialEnrollments>().DeleteAsync("r-bob", default));
        Assert.Equal(StatusCodes.Status409Conflict, held.Status);
        Assert.Equal("held", Parse(held.Body).GetProperty("code").GetString());
        Assert.NotNull(await EnrollmentAsync(h, "r-bob"));
    }

    [Fact]
    public async Task Bad_images_and_an_unavailable_face_service_get_problem_details_and_nothing_is_kept()
    {
        var face = Fake();
        await using var h = await StartAsync(face);
        await RegisterAsync(h, "r-alice", "b-1", consent: true);

        var cases = new (byte[] Body, string ContentType, int Status, string? Code)[]
        {
            (AliceReference, "image/png", 415, null),
            (AliceReference, "application/json", 415, null),
            ([], "image/jpeg", 400, "empty"),
            (Encoding.UTF8.GetBytes("{\"not\":\"an image\"}"), "image/jpeg", 400, "not-a-jpeg"),
            (Hardware.Jpeg(FaceVerifier.MaxImageBytes + 1), "image/jpeg", 413, null),

            // Decoder bombs: a 700-byte JPEG claiming 65500x65500 (12 GB decoded), wider than 4096, or with no readable
            // frame header; refused before the face service or storage sees them.
            (Media.MediaSamples.Jpeg(65500, 65500), "image/jpeg", 422, "dimensions-too-large"),
            (Media.MediaSamples.Jpeg(4097, 3000), "image/jpeg", 422, "dimensions-too-large"),
            ([0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 1, 2, 3], "image/jpeg", 400, "unreadable-image"),
            ([0xFF, 0xD8, 0xFF, 0xDA, 0, 2], "image/jpeg", 400, "unreadable-image"),
            (EmptyHall, "image/jpeg", 422, "no-face"),
            (TwoPeople, "image/jpeg; charset=binary", 422, "more-than-one-face"),
        };
        foreach (var (body, contentType, status, code) in cases)
        {
            var answer = await EnrollAsync(h, "r-alice", body, contentType);
            Assert.True(status == answer.Status, $"{contentType} {body.Length} bytes: {answer.Status} {answer.Body}");
            var problem = Parse(answer.Body);
            Assert.True(problem.TryGetProperty("title", out _));
            if (code is not null)
            {
                Assert.Equal(code, problem.GetProperty("code").GetString());
            }
        }

        // Only the two readable JPEGs were sent (to detect, no faceId); nothing was stored anywhere.
        Assert.Equal(["/detect", "/detect"], face.Requests.Select(r => r.Path));
        Assert.All(face.Requests, r => Assert.Contains("returnFaceId=false", r.Query, StringComparison.Ordinal));
        Assert.Empty(face.Persons);
        Assert.Null(await EnrollmentAsync(h, "r-alice"));

        face.Outage = (System.Net.HttpStatusCode.ServiceUnavailable, "ServiceUnavailable");
        var down = await EnrollAsync(h, "r-alice", AliceReference);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, down.Status);
        Assert.Null(await EnrollmentAsync(h, "r-alice"));

        Assert.Equal(StatusCodes.Status404NotFound, (await EnrollAsync(h, "r-nobody", AliceReference)).Status);
    }

    private static FakeFaceService Fake()
    {
        var face = new FakeFaceService();
        face.Shows(AliceReference, "alice");
        face.Shows(AliceAtTheDoor, "alice");
        face.Shows(BobReference, "bob");
        face.Shows(BobAtTheDoor, "bob");
        face.Shows(Stranger, "stranger");
        face.Shows(TwoPeople, "alice", "bob");
        return face;
    }

    private static Task<PipelineHarness> StartAsync(FakeFaceService? face)
    {
        var settings = new Dictionary<string, string?> { ["OneValet:Retention:ReferenceDataAfterExit"] = "00:10:00" };
        if (face is null)
        {
            return PipelineHarness.StartAsync(settings);
        }

        settings["OneValet:Faces:Endpoint"] = FakeFaceService.Endpoint;
        settings["OneValet:Faces:LargePersonGroupId"] = FakeFaceService.GroupId;
        return PipelineHarness.StartAsync(settings, configure: services => services.AddSingleton(face.CreateApi()));
    }

    private static async Task RegisterAsync(PipelineHarness h, string residentId, string buildingId, bool consent)
    {
        var put = await InvokeAsync(ctx => h.Get<ResidentsApi>().PutResidentAsync(residentId, Json(ctx, $$"""
            {"buildingId":"{{buildingId}}","unitId":"u-1","movedInAt":"2026-01-01T00:00:00Z","email":"{{residentId}}@example.com"}
            """), default));
        Assert.Equal(StatusCodes.Status201Created, put.Status);
        if (consent)
        {
            await ConsentAsync(h, residentId);
        }
    }

    private static async Task ConsentAsync(PipelineHarness h, string residentId) =>
        Assert.Equal(StatusCodes.Status200OK, (await InvokeAsync(ctx => h.Get<ResidentsApi>().GiveFacialEntryConsentAsync(residentId, Json(ctx, """{"policyVersion":"2022-06-29"}"""), default))).Status);

    private static Task<(int Status, string Body)> EnrollAsync(PipelineHarness h, string residentId, byte[] image, string contentType = "image/jpeg") =>
        InvokeAsync(ctx =>
        {
            ctx.Request.ContentType = contentType;
            ctx.Request.Body = new MemoryStream(image);
            return h.Get<FacialEnrollments>().PutAsync(residentId, ctx.Request, default);
        });

    /// <summary>Uploads a Facial Entry capture as the entry console does and ingests it; returns its catalogue record.</summary>
    private static async Task<RecordingRecord> CaptureAsync(PipelineHarness h, string buildingId, string captureId, byte[] bytes, string extension = "jpg")
    {
        var name = $"{buildingId}/door-1/{captureId}.{extension}";
        await Hardware.UploadAsync(h.Recordings, name, bytes, Hardware.Metadata(h.Clock.GetUtcNow(), kind: "facial-entry"));
        await h.Get<RecordingIngestor>().IngestAsync(name, default);
        return (await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, buildingId, RecordingRecord.IdFor("door-1", captureId)))!.Document;
    }

    private static async Task<FacialEnrollmentRecord?> EnrollmentAsync(PipelineHarness h, string residentId) =>
        (await h.Store.ReadAsync<FacialEnrollmentRecord>(Containers.Residents, residentId, FacialEnrollmentRecord.DocumentId))?.Document;

    private static async Task<ResidentRecord> ResidentAsync(PipelineHarness h, string residentId) =>
        (await h.Store.ReadAsync<ResidentRecord>(Containers.Residents, residentId, ResidentRecord.DocumentId))!.Document;

    private static async Task<List<AuditRecord>> DeletionAuditsAsync(PipelineHarness h) =>
        [.. (await h.AuditsAsync()).Where(a => a.Action == "deleted")];

    private static JsonElement Parse(string body) => JsonDocument.Parse(body).RootElement;
}
