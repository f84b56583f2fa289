using System.Security.Claims;
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
/// that nothing reached it, and keeps each building's large person group, so a test can see who is in it.
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

        // Consent, enrollment, then withdrawal: the withdrawal itself deletes the person from b-1's group and retrains it
        // (O3), and from then on captures are not sent either.
        await ConsentAsync(h, "r-alice");
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-alice", AliceReference)).Status);
        var person = face.Persons.Single();
        var before = face.Requests.Count;
        Assert.Equal(StatusCodes.Status200OK, (await InvokeAsync(_ => h.Get<ResidentsApi>().WithdrawFacialEntryConsentAsync("r-alice", default))).Status);
        Assert.Equal([$"DELETE /largepersongroups/{GroupOf("b-1")}/persons/{person}", $"POST /largepersongroups/{GroupOf("b-1")}/train"], face.Requests.Skip(before).Select(r => $"{r.Method} {r.Path}"));
        before = face.Requests.Count;
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

        // b-1's group did not exist: its first person creates it (named by the building's pseudonymous group id, O3); the
        // face is added, the group trained.
        var group = GroupOf("b-1");
        Assert.Equal(
            ["POST /detect", $"POST /largepersongroups/{group}/persons", $"PUT /largepersongroups/{group}", $"POST /largepersongroups/{group}/persons", "POST persistedfaces", $"POST /largepersongroups/{group}/train"],
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

        Assert.Equal([face.Persons.Single()], face.PersonsIn(group));
    }

    [Fact]
    public async Task A_property_manager_sees_that_a_capture_was_verified_but_only_the_privacy_officer_sees_whose_face_it_was()
    {
        var face = Fake();
        await using var h = await StartAsync(face);
        await RegisterAsync(h, "r-alice", "b-1", consent: true);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-alice", AliceReference)).Status);
        Assert.Equal(FaceVerificationStatus.Verified, (await CaptureAsync(h, "b-1", "cap-1", AliceAtTheDoor)).FaceCheck!.Status);

        // O3, O4: one record, three callers: the building's manager, the privacy officer, and one holding both roles.
        var manager = new[] { ("roles", "property-manager"), ("building_ids", "b-1") };
        var officer = new[] { ("roles", "privacy-officer") };
        foreach (var (claims, shown) in new[] { (manager, false), (officer, true), (manager.Append(("roles", "privacy-officer")).ToArray(), true), ([], false) })
        {
            var one = await InvokeAsync(ctx => h.Get<RecordingsApi>().GetRecordingAsync("b-1", "door-1", "cap-1", As(ctx, claims), default));
            var listed = await InvokeAsync(ctx => h.Get<RecordingsApi>().ListBuildingRecordingsAsync("b-1", null, null, null, null, As(ctx, claims), default));
            foreach (var check in new[] { Parse(one.Body).GetProperty("faceCheck"), Parse(listed.Body).GetProperty("items")[0].GetProperty("faceCheck") })
            {
                Assert.Equal("verified", check.GetProperty("status").GetString());
                Assert.Equal(100, check.GetProperty("face").GetProperty("width").GetInt32());
                Assert.Equal(shown, check.TryGetProperty("residentId", out var who));
                Assert.True(!shown || who.GetString() == "r-alice");
            }

            Assert.Equal(shown, one.Body.Contains("r-alice", StringComparison.Ordinal));
            Assert.Equal(shown, listed.Body.Contains("r-alice", StringComparison.Ordinal));
        }

        // The stored record keeps the match (the access export and the officer need it); only the manager's view omits it.
        Assert.Equal("r-alice", (await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, "b-1", RecordingRecord.IdFor("door-1", "cap-1")))!.Document.FaceCheck!.ResidentId);
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
    public async Task Withdrawal_removes_the_person_from_identification_at_once_and_the_O5_deadline_deletes_the_rest_with_audit_entries()
    {
        var face = Fake();
        await using var h = await StartAsync(face);
        await RegisterAsync(h, "r-alice", "b-1", consent: true);
        await RegisterAsync(h, "r-bob", "b-1", consent: true);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-alice", AliceReference)).Status);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-bob", BobReference)).Status);
        var alice = Guid.Parse((await EnrollmentAsync(h, "r-alice"))!.FacePersonId!);
        var bob = Guid.Parse((await EnrollmentAsync(h, "r-bob"))!.FacePersonId!);
        Assert.Equal(FaceVerificationStatus.Verified, (await CaptureAsync(h, "b-1", "cap-0", AliceAtTheDoor)).FaceCheck!.Status);

        await InvokeAsync(_ => h.Get<ResidentsApi>().WithdrawFacialEntryConsentAsync("r-alice", default));

        // O3 at once, in the same call: Alice's person is gone from b-1's group and the group was retrained without her;
        // identification of her face (Bob still consents, so captures are sent) finds nobody.
        Assert.Equal([bob], face.PersonsIn(GroupOf("b-1")));
        Assert.Equal([bob], face.TrainedIn(GroupOf("b-1")));
        var identifies = face.Requests.Count(r => r.Path == "/identify");
        var after = await CaptureAsync(h, "b-1", "cap-1", AliceAtTheDoor);
        Assert.Equal(identifies + 1, face.Requests.Count(r => r.Path == "/identify"));
        Assert.Equal(FaceVerificationStatus.NotVerified, after.FaceCheck!.Status);
        Assert.Null(after.FaceCheck.ResidentId);
        var removal = Assert.Single(await DeletionAuditsAsync(h));
        Assert.Equal($"faceApiPerson/r-alice/{alice}/0", removal.ItemRef);
        Assert.Equal(("completed", "O3", FacialEntryWithdrawals.RuleId), (removal.Outcome, removal.Obligation, removal.RuleId));
        Assert.Equal("removed from identification: face-api-person deleted, group retrained", removal.How);

        // The rest of the reference data (the record) waits for the O5 deadline; the enrollment is ended, not live.
        var resident = await ResidentAsync(h, "r-alice");
        Assert.Equal(h.Clock.GetUtcNow().AddMinutes(10), resident.ReferenceDataDeadline);
        Assert.Equal(h.Clock.GetUtcNow(), (await EnrollmentAsync(h, "r-alice"))!.EndedAt);
        var status = Parse((await InvokeAsync(_ => h.Get<ResidentsApi>().GetResidentAsync("r-alice", default))).Body).GetProperty("facialEntryStatus");
        Assert.False(status.GetProperty("enrolled").GetBoolean());
        h.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(0, (await h.Get<RetentionSweep>().EnforceDueAsync(default)).Deleted);
        Assert.NotNull(await EnrollmentAsync(h, "r-alice"));

        h.Clock.Advance(TimeSpan.FromMinutes(7));
        Assert.Equal(1, (await h.Get<RetentionSweep>().EnforceDueAsync(default)).Deleted);
        Assert.Equal([bob], face.Persons);
        Assert.Null(await EnrollmentAsync(h, "r-alice"));
        var audit = Assert.Single(await DeletionAuditsAsync(h), a => a.ItemRef == "facialEnrollment/r-alice/facial-enrollment/0");
        Assert.Equal("completed", audit.Outcome);
        Assert.Equal("O5", audit.Obligation);
        Assert.Equal("deleted: face-api-person (already gone), enrollment-record", audit.How);
        Assert.DoesNotContain("alice", JsonSerializer.Serialize(audit).Replace("r-alice", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(FaceVerificationStatus.Verified, (await CaptureAsync(h, "b-1", "bob", BobAtTheDoor)).FaceCheck!.Status);
    }

    [Fact]
    public async Task Move_out_removes_the_person_from_identification_at_once()
    {
        var face = Fake();
        await using var h = await StartAsync(face);
        await RegisterAsync(h, "r-alice", "b-1", consent: true);
        await RegisterAsync(h, "r-bob", "b-1", consent: true);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-alice", AliceReference)).Status);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-bob", BobReference)).Status);
        var bob = Guid.Parse((await EnrollmentAsync(h, "r-bob"))!.FacePersonId!);

        Assert.Equal(StatusCodes.Status200OK, (await InvokeAsync(ctx => h.Get<ResidentsApi>().MoveOutAsync("r-alice", Json(ctx, "{}"), default))).Status);

        // O3, O5: gone from the group and from its training in the same call; at the door she is nobody.
        Assert.Equal([bob], face.PersonsIn(GroupOf("b-1")));
        Assert.Equal([bob], face.TrainedIn(GroupOf("b-1")));
        var after = await CaptureAsync(h, "b-1", "cap-1", AliceAtTheDoor);
        Assert.Equal(FaceVerificationStatus.NotVerified, after.FaceCheck!.Status);
        Assert.Null(after.FaceCheck.ResidentId);
        Assert.Equal("O3", Assert.Single(await DeletionAuditsAsync(h)).Obligation);
    }

    [Fact]
    public async Task A_face_api_failure_during_removal_still_refuses_the_resident_at_the_door_and_the_schedule_retries_the_removal()
    {
        var face = Fake();
        await using var h = await StartAsync(face);
        await RegisterAsync(h, "r-alice", "b-1", consent: true);
        await RegisterAsync(h, "r-bob", "b-1", consent: true);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-alice", AliceReference)).Status);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-bob", BobReference)).Status);
        var alice = Guid.Parse((await EnrollmentAsync(h, "r-alice"))!.FacePersonId!);

        // Deletions fail (the rest of the Face API works): the withdrawal still succeeds for the resident.
        face.FailWhen = (method, _) => method == "DELETE";
        Assert.Equal(StatusCodes.Status200OK, (await InvokeAsync(_ => h.Get<ResidentsApi>().WithdrawFacialEntryConsentAsync("r-alice", default))).Status);
        Assert.Contains(alice, face.TrainedIn(GroupOf("b-1")));

        // Her person is still in the group, and identification returns it, but the record refuses it (O3).
        var atTheDoor = await CaptureAsync(h, "b-1", "cap-1", AliceAtTheDoor);
        Assert.Equal(FaceVerificationStatus.NotVerified, atTheDoor.FaceCheck!.Status);
        Assert.Null(atTheDoor.FaceCheck.ResidentId);
        Assert.Empty(await DeletionAuditsAsync(h, completedOnly: true));

        // Still failing at the next sweep: still pending, nothing reported as done.
        h.Clock.Advance(TimeSpan.FromMinutes(2));
        await Assert.ThrowsAnyAsync<Exception>(() => h.Get<RetentionSweep>().EnforceDueAsync(default));
        Assert.Contains(alice, face.Persons);

        // The Face API is back: the retention schedule's retry removes her and retrains the group.
        face.FailWhen = null;
        h.Clock.Advance(TimeSpan.FromMinutes(1));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.DoesNotContain(alice, face.Persons);
        Assert.DoesNotContain(alice, face.TrainedIn(GroupOf("b-1")));
        var removal = Assert.Single(await DeletionAuditsAsync(h, completedOnly: true));
        Assert.Equal($"faceApiPerson/r-alice/{alice}/0", removal.ItemRef);
        Assert.Equal("O3", removal.Obligation);
        Assert.Equal(FaceVerificationStatus.NotVerified, (await CaptureAsync(h, "b-1", "cap-2", AliceAtTheDoor)).FaceCheck!.Status);
    }

    [Fact]
    public async Task A_resident_enrolled_in_building_a_never_matches_at_building_b_s_door_even_with_the_same_face()
    {
        var face = Fake();
        await using var h = await StartAsync(face);
        await RegisterAsync(h, "r-alice", "b-a", consent: true);
        await RegisterAsync(h, "r-bob", "b-b", consent: true);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-alice", AliceReference)).Status);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-bob", BobReference)).Status);

        // Each building has its own group (O3, O4), named by a pseudonymous id, never the building id.
        Assert.Equal(new[] { GroupOf("b-a"), GroupOf("b-b") }.Order(StringComparer.Ordinal), face.GroupIds.Order(StringComparer.Ordinal));
        // (Person ids are GUIDs, whose hyphens can sit between a 'b' and an 'a': they are taken out before looking.)
        Assert.DoesNotContain(face.Requests.Select(r => System.Text.RegularExpressions.Regex.Replace(r.Path, "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "{guid}")),
            path => path.Contains("b-a", StringComparison.Ordinal) || path.Contains("b-b", StringComparison.Ordinal));

        // Alice's face at b-b's door: b-b's group is asked, and it holds only Bob.
        var atB = await CaptureAsync(h, "b-b", "alice", AliceAtTheDoor);
        Assert.Equal(FaceVerificationStatus.NotVerified, atB.FaceCheck!.Status);
        Assert.Null(atB.FaceCheck.ResidentId);
        Assert.Equal(FaceVerificationStatus.Verified, (await CaptureAsync(h, "b-a", "alice", AliceAtTheDoor)).FaceCheck!.Status);

        // Carol of b-b enrolls with the same face as Alice (labelled so for the fake): at b-b's door that face is Carol,
        // never Alice, and at b-a's door it is Alice, never Carol.
        await RegisterAsync(h, "r-carol", "b-b", consent: true);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-carol", CarolWithAlicesFace)).Status);
        Assert.Equal("r-carol", (await CaptureAsync(h, "b-b", "same-face", AliceAtTheDoor)).FaceCheck!.ResidentId);
        Assert.Equal("r-alice", (await CaptureAsync(h, "b-a", "same-face", AliceAtTheDoor)).FaceCheck!.ResidentId);

        // Alice moves to b-b: her enrollment ends (removed from b-a's group at once); she is nobody at either door until she
        // enrolls again, which puts her in b-b's group.
        Assert.Equal(StatusCodes.Status200OK, (await InvokeAsync(ctx => h.Get<ResidentsApi>().PutResidentAsync("r-alice", Json(ctx, """
            {"buildingId":"b-b","unitId":"u-2","movedInAt":"2026-01-01T00:00:00Z","email":"r-alice@example.com"}
            """), default))).Status);
        Assert.Empty(face.PersonsIn(GroupOf("b-a")));
        Assert.Equal(FaceVerificationStatus.NoConsent, (await CaptureAsync(h, "b-a", "moved", AliceAtTheDoor)).FaceCheck!.Status);
        Assert.NotEqual("r-alice", (await CaptureAsync(h, "b-b", "moved", AliceAtTheDoor)).FaceCheck!.ResidentId);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-alice", AliceReference)).Status);
        Assert.Equal(3, face.PersonsIn(GroupOf("b-b")).Count);
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
    public async Task Re_consent_does_not_revive_the_ended_enrollment_the_resident_enrolls_again()
    {
        var face = Fake();
        await using var h = await StartAsync(face);
        await RegisterAsync(h, "r-alice", "b-1", consent: true);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-alice", AliceReference)).Status);
        await InvokeAsync(_ => h.Get<ResidentsApi>().WithdrawFacialEntryConsentAsync("r-alice", default));
        Assert.Equal(FaceVerificationStatus.NoConsent, (await CaptureAsync(h, "b-1", "cap-1", AliceAtTheDoor)).FaceCheck!.Status);

        // O3: consenting again does not put her back: the ended enrollment's remains are deleted now (audited) and the
        // O5 deadline, with nothing left to delete, is cancelled.
        h.Clock.Advance(TimeSpan.FromMinutes(1));
        await ConsentAsync(h, "r-alice");
        Assert.Null(await EnrollmentAsync(h, "r-alice"));
        Assert.Empty(face.Persons);
        Assert.Null((await ResidentAsync(h, "r-alice")).ReferenceDataDeadline);
        var discarded = Assert.Single(await DeletionAuditsAsync(h), a => a.RuleId == "facial-enrollment-ended-before-reconsent");
        Assert.Equal(("completed", "O5"), (discarded.Outcome, discarded.Obligation));
        var status = Parse((await InvokeAsync(_ => h.Get<ResidentsApi>().GetResidentAsync("r-alice", default))).Body).GetProperty("facialEntryStatus");
        Assert.True(status.GetProperty("active").GetBoolean());
        Assert.False(status.GetProperty("enrolled").GetBoolean());
        var requests = face.Requests.Count;
        Assert.Equal(FaceVerificationStatus.NoConsent, (await CaptureAsync(h, "b-1", "cap-2", AliceAtTheDoor)).FaceCheck!.Status);
        Assert.Equal(requests, face.Requests.Count);
        h.Clock.Advance(TimeSpan.FromMinutes(12));
        Assert.Equal(0, (await h.Get<RetentionSweep>().EnforceDueAsync(default)).Deleted);

        // Enrolling again makes a new person in b-1's group; from then on she is checked again.
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-alice", AliceReference)).Status);
        Assert.Single(face.PersonsIn(GroupOf("b-1")));
        Assert.Equal(FaceVerificationStatus.Verified, (await CaptureAsync(h, "b-1", "cap-3", AliceAtTheDoor)).FaceCheck!.Status);
    }

    [Fact]
    public async Task A_withdrawal_under_a_hold_keeps_the_person_but_the_door_refuses_it_and_the_release_removes_it()
    {
        var face = Fake();
        await using var h = await StartAsync(face);
        await RegisterAsync(h, "r-alice", "b-1", consent: true);
        await RegisterAsync(h, "r-bob", "b-1", consent: true);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-alice", AliceReference)).Status);
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-bob", BobReference)).Status);
        var alice = Guid.Parse((await EnrollmentAsync(h, "r-alice"))!.FacePersonId!);
        await h.Get<HoldRegistry>().CreateAsync(new HoldRecord
        {
            HoldId = "hold-alice",
            Reason = HoldReason.SecurityIncident,
            Scope = new HoldScope { SubjectId = "r-alice" },
            Owner = "privacy.office@example.com",
            ReviewBy = h.Clock.GetUtcNow().AddDays(30),
            PlacedAt = h.Clock.GetUtcNow(),
        }, default);

        // O6 keeps her reference data; O3 still stops its use: the door refuses her by the record.
        await InvokeAsync(_ => h.Get<ResidentsApi>().WithdrawFacialEntryConsentAsync("r-alice", default));
        Assert.Contains(alice, face.Persons);
        Assert.Contains(await h.AuditsAsync(), a => a.Action == "held" && a.ItemRef == $"faceApiPerson/r-alice/{alice}/0");
        var atTheDoor = await CaptureAsync(h, "b-1", "cap-1", AliceAtTheDoor);
        Assert.Equal(FaceVerificationStatus.NotVerified, atTheDoor.FaceCheck!.Status);
        Assert.Null(atTheDoor.FaceCheck.ResidentId);

        // Released: the sweep resumes the removal.
        await h.Get<HoldRegistry>().ReleaseAsync("hold-alice", h.Clock.GetUtcNow(), default);
        h.Clock.Advance(TimeSpan.FromMinutes(2));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.DoesNotContain(alice, face.Persons);
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

    private static readonly byte[] CarolWithAlicesFace = Hardware.Jpeg(20_000, seed: 61);

    /// <summary>The large person group of a building, as the pipeline names it.</summary>
    private static string GroupOf(string buildingId) => new FaceOptions { LargePersonGroupPrefix = FakeFaceService.GroupPrefix }.LargePersonGroupIdFor(buildingId);

    /// <summary>The request as the gate leaves it for a caller with these claims.</summary>
    private static HttpRequest As(HttpContext context, (string Type, string Value)[] claims)
    {
        context.User = claims.Length == 0 ? new ClaimsPrincipal(new ClaimsIdentity()) : new ClaimsPrincipal(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)), "test"));
        return context.Request;
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
        face.Shows(CarolWithAlicesFace, "alice");
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
        settings["OneValet:Faces:LargePersonGroupPrefix"] = FakeFaceService.GroupPrefix;
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

    private static async Task<List<AuditRecord>> DeletionAuditsAsync(PipelineHarness h, bool completedOnly = false) =>
        [.. (await h.AuditsAsync()).Where(a => a.Action == "deleted" && (!completedOnly || a.Outcome == "completed"))];

    private static JsonElement Parse(string body) => JsonDocument.Parse(body).RootElement;
}
