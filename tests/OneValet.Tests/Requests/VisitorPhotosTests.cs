using System.Security.Claims;
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Faces;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Faces;
using OneValet.Tests.Infrastructure;
using OpenCvSharp;
using Xunit;
using Xunit.Abstractions;

namespace OneValet.Tests.Requests;

/// <summary>
/// Issue 15.4, a visitor's photo (O8–O10; PIPEDA s.9(1)), in-process on real Azurite, SQLite, ffmpeg and the face model,
/// with the Face API played by <see cref="FakeFaceService"/> (it has no emulator; the test tells it who each picture shows
/// and where). The privacy office gives the photo of a person not on file with their consent; where the Face API runs,
/// the face it matches in a recording stays and every other face is blurred (judged by the independent verifiers, never
/// by the detector that did it); bad photos are refused with problem details; the photo serves its own request only, and
/// goes at close through the audited deletion path with no personal data in the trail.
/// </summary>
public sealed class VisitorPhotosTests(ITestOutputHelper output)
{
    private const string Building = "b-v";
    private const int Width = 640;
    private const int Height = 360;

    private static readonly (string Type, string Value)[] Officer = [("sub", "officer-1"), ("roles", "privacy-officer")];

    [Fact]
    public async Task With_a_photo_the_visitors_face_matched_by_the_face_api_is_kept_and_every_other_face_blurred_and_the_photo_goes_at_close()
    {
        var face = new FakeFaceService();
        await using var h = await StartAsync(face);
        var at = h.Clock.GetUtcNow().AddMinutes(-30);
        var tiles = TileRects();

        // A picture of three faces at the visitor's door: the visitor's top left, two other people at the bottom right.
        var scene = Picture(tiles);
        var found = FaceSamples.Detector.Detect(scene);
        FaceRectangle In(Rect tile) => found.First(f => Inside(tile, f));
        face.Shows(scene, ("visitor", In(tiles[0])), ("alice", In(tiles[1])), ("bob", In(tiles[2])));

        // Another picture of the same place and time, without the visitor; and one taken by the face service for a stranger.
        var others = Picture(tiles[1..]);
        var othersFound = FaceSamples.Detector.Detect(others);
        face.Shows(others, ("alice", othersFound.First(f => Inside(tiles[1], f))), ("bob", othersFound.First(f => Inside(tiles[2], f))));
        var photo = Portrait();
        face.Shows(photo, "visitor");
        await UploadAsync(h, "lobby", "pic-1", scene, at);
        await UploadAsync(h, "lobby", "pic-2", others, at.AddMinutes(1));
        await UploadAsync(h, "lobby", "clip-1", FootageSamples.Mp4(3, FootageSamples.Left, FootageSamples.Right), at.AddMinutes(2), "video/mp4");

        // Request A gives the photo; request B, the same place and time, gives none.
        var a = await FileAsync(h, "req-visitor-a", at);
        var b = await FileAsync(h, "req-visitor-b", at);
        var put = await PutPhotoAsync(h, a.RequestId, photo);
        Assert.True(put.Status == StatusCodes.Status200OK, put.Body);
        var status = JsonDocument.Parse(put.Body).RootElement;
        Assert.Equal(("one-face", true), (status.GetProperty("faceCheck").GetString(), status.GetProperty("usable").GetBoolean()));
        var recorded = (await h.Get<PrivacyRequestService>().ReadAsync(a.RequestId, default))!.Document.VisitorPhoto!;
        Assert.Equal((VisitorPhotos.BlobNameFor(a.RequestId), "officer-1", VisitorPhotos.ConsentPurpose, null), (recorded.BlobName, recorded.By, recorded.ConsentPurpose, recorded.DeletedAt));
        Assert.Equal(h.Clock.GetUtcNow(), recorded.ConsentGivenAt);

        var answerA = await AnswerAsync(h, a);
        var answerB = await AnswerAsync(h, b);

        // A: the visitor's face is the only one either verifier still finds in the picture that shows them.
        var keptA = FaceSamples.Verify(await CopyAsync(h, a.RequestId, "pic-1.jpg"));
        output.WriteLine("A pic-1 after: " + string.Join("; ", keptA));
        Assert.NotEmpty(keptA);
        Assert.All(keptA, f => Assert.True(Inside(tiles[0], f), $"a face other than the visitor's survived: {f}"));
        Assert.Empty(FaceSamples.Verify(await CopyAsync(h, a.RequestId, "pic-2.jpg")));
        Assert.All(FootageSamples.FacesPerFrame(await CopyAsync(h, a.RequestId, "clip-1.mp4")), Assert.Empty);
        var items = answerA.Items;
        Assert.True(items["pic-1"].GetProperty("requesterFaceKept").GetBoolean());
        Assert.Contains("matched with your photo", items["pic-1"].GetProperty("redaction").GetString(), StringComparison.Ordinal);
        Assert.False(items["pic-2"].GetProperty("requesterFaceKept").GetBoolean());
        Assert.Contains("No face here matched your photo", items["pic-2"].GetProperty("redaction").GetString(), StringComparison.Ordinal);
        Assert.Contains("No face in this video matched your photo", items["clip-1"].GetProperty("redaction").GetString(), StringComparison.Ordinal);
        Assert.Contains("your face, matched with your photo, kept in 1 of them", answerA.Summary, StringComparison.Ordinal);

        // B: nobody's photo, every face blurred, the visitor's too; A's photo was never read for B.
        Assert.Empty(FaceSamples.Verify(await CopyAsync(h, b.RequestId, "pic-1.jpg")));
        Assert.All(answerB.Items.Values, i => Assert.False(i.GetProperty("requesterFaceKept").GetBoolean()));
        Assert.Contains("every face blurred, yours too", answerB.Summary, StringComparison.Ordinal);
        Assert.Null((await h.Get<PrivacyRequestService>().ReadAsync(b.RequestId, default))!.Document.VisitorPhoto);

        // The photo is read only through its own request's record: another record naming it gets nothing.
        var photos = h.Get<VisitorPhotos>();
        var bRecord = (await h.Get<PrivacyRequestService>().ReadAsync(b.RequestId, default))!.Document;
        Assert.Null(await photos.ReadAsync(bRecord with { VisitorPhoto = recorded }, default));
        Assert.NotNull(await photos.ReadAsync((await h.Get<PrivacyRequestService>().ReadAsync(a.RequestId, default))!.Document, default));

        // Nothing of the photo in the audit trail: the step, consent and check as codes.
        var step = Assert.Single(await h.AuditsAsync(), x => x.Action == "request-visitor-photo");
        Assert.Equal(("requests/" + a.RequestId, "consent:given;face-check:one-face"), (step.ItemRef, step.Outcome));

        // Closed: the photo goes with the identity data, through the engine's one deletion path, audited without personal data.
        await h.Get<PrivacyRequestService>().CloseAsync(new RequestClose(a.RequestId, RequestStatus.Completed, null), default);
        Assert.True((await Documents(h).GetBlobClient(VisitorPhotos.BlobNameFor(a.RequestId)).ExistsAsync()).Value);
        h.Clock.Advance(TimeSpan.FromHours(2));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.False((await Documents(h).GetBlobClient(VisitorPhotos.BlobNameFor(a.RequestId)).ExistsAsync()).Value);
        var minimized = (await h.Get<PrivacyRequestService>().ReadAsync(a.RequestId, default))!.Document;
        Assert.NotNull(minimized.VisitorPhoto!.DeletedAt);
        Assert.Equal(VisitorPhotos.ConsentPurpose, minimized.VisitorPhoto.ConsentPurpose); // what was consented to, and when, stays on the record
        Assert.Null(await photos.ReadAsync(minimized, default));
        var deletion = Assert.Single(await h.AuditsAsync(), x => x.Action == "deleted" && x.ItemRef.Contains(a.RequestId, StringComparison.Ordinal) && x.How?.Contains("visitor photo", StringComparison.Ordinal) == true);
        Assert.Contains("visitor photo: deleted", deletion.How, StringComparison.Ordinal);
        var trail = JsonSerializer.Serialize(await h.AuditsAsync(), ApiJson.Options);
        Assert.DoesNotContain("outside.test", trail, StringComparison.Ordinal);
        Assert.DoesNotContain("blue coat", trail, StringComparison.Ordinal);
        Assert.DoesNotContain("visitor-photo.jpg", trail, StringComparison.Ordinal);

        // A closed request takes no photo.
        Assert.Equal(StatusCodes.Status409Conflict, (await PutPhotoAsync(h, a.RequestId, photo)).Status);
    }

    [Fact]
    public async Task In_a_video_the_visitors_face_is_found_in_each_keyframe_searched_and_kept_and_every_other_face_blurred()
    {
        // The visitor stands at the bottom left; one face crosses the top fast, another enters from the right mid-video.
        // The face service recognises the keyframes the redaction sends it by their faces' places (the test knows them).
        var folder = Directory.CreateTempSubdirectory("onevalet-visitor-").FullName;
        try
        {
            var video = FaceSamples.MovingFacesVideo(folder, seconds: 3);
            var face = new FakeFaceService
            {
                Recognize = jpeg => [.. FaceSamples.Detector.Detect(jpeg).Select(f => (Inside(video.Requester, f) ? "visitor" : "passer-by", f))],
            };
            var photo = Portrait();
            face.Shows(photo, "visitor");
            await using var h = await StartAsync(face);
            var at = h.Clock.GetUtcNow().AddMinutes(-30);
            await UploadAsync(h, "lobby", "clip-1", await File.ReadAllBytesAsync(video.Path), at, "video/mp4");
            var request = await FileAsync(h, "req-visitor-video", at);
            Assert.Equal(StatusCodes.Status200OK, (await PutPhotoAsync(h, request.RequestId, photo)).Status);

            var answer = await AnswerAsync(h, request);

            var perFrame = FootageSamples.FacesPerFrame(await CopyAsync(h, request.RequestId, "clip-1.mp4"));
            var left = perFrame.Select((faces, frame) => (frame, faces: faces.Where(f => video.OthersAt(frame).Any(tile => Inside(tile, f))).ToList()))
                .Where(pair => pair.faces.Count > 0)
                .Select(pair => $"{pair.frame}: {string.Join(", ", pair.faces)}")
                .ToList();
            Assert.True(left.Count == 0, $"faces of other people left in {left.Count} frame(s): {string.Join("; ", left.Take(10))}");
            var kept = perFrame.Count(faces => faces.Any(f => Inside(video.Requester, f)));
            output.WriteLine($"the visitor's face detected in {kept}/{perFrame.Count} redacted frames; {face.Requests.Count(r => r.Path == "/findsimilars")} find-similar calls");
            Assert.True(kept >= perFrame.Count * 6 / 10, $"the visitor's face was detected in only {kept} of {perFrame.Count} frames");
            Assert.True(answer.Items["clip-1"].GetProperty("requesterFaceKept").GetBoolean());
            Assert.Contains("matched with your photo", answer.Items["clip-1"].GetProperty("redaction").GetString(), StringComparison.Ordinal);

            // One detection of the photo for the whole video, then one detect and one find-similar per keyframe with faces.
            Assert.Equal(1, face.Requests.Count(r => r.Path == "/detect" && r.Query.Contains("faceIdTimeToLive=600", StringComparison.Ordinal)));
            Assert.InRange(face.Requests.Count(r => r.Path == "/findsimilars"), 2, (perFrame.Count / 5) + 2);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Bad_photos_are_refused_with_problem_details_and_nothing_is_kept()
    {
        var face = new FakeFaceService();
        await using var h = await StartAsync(face);
        var request = await FileAsync(h, "req-visitor-bad", h.Clock.GetUtcNow().AddMinutes(-30));
        var nobody = Hardware.Jpeg(20_000, seed: 71);
        var two = Hardware.Jpeg(20_000, seed: 72);
        face.Shows(two, "visitor", "stranger");
        var good = Hardware.Jpeg(20_000, seed: 73);
        face.Shows(good, "visitor");
        var cases = new (byte[] Body, string ContentType, string? Consent, int Status, string? Code)[]
        {
            ("GIF89a-not-a-jpeg"u8.ToArray(), "image/jpeg", "given", 400, "not-a-jpeg"),
            (good, "image/png", "given", 415, null),
            (new byte[JpegBodyLimit + 1], "image/jpeg", "given", 413, null),
            ([], "image/jpeg", "given", 400, "empty"),
            (Media.MediaSamples.Jpeg(4097, 3000), "image/jpeg", "given", 422, "dimensions-too-large"),
            (nobody, "image/jpeg", "given", 422, "no-face"),
            (two, "image/jpeg", "given", 422, "more-than-one-face"),
            (good, "image/jpeg", null, 400, "consent-required"),
            (good, "image/jpeg", "yes", 400, "consent-required"),
        };
        foreach (var (body, contentType, consent, expected, code) in cases)
        {
            var (status, text) = await PutPhotoAsync(h, request.RequestId, body, contentType, consent);
            Assert.True(status == expected, $"{code ?? contentType}: {status} {text}");
            Assert.Contains("\"status\":" + expected, text, StringComparison.Ordinal); // problem details
            if (code is not null)
            {
                Assert.Equal(code, JsonDocument.Parse(text).RootElement.GetProperty("code").GetString());
            }
        }

        Assert.False((await Documents(h).GetBlobClient(VisitorPhotos.BlobNameFor(request.RequestId)).ExistsAsync()).Value);
        Assert.Null((await h.Get<PrivacyRequestService>().ReadAsync(request.RequestId, default))!.Document.VisitorPhoto);

        // No such request, or one about a resident on file: not a visitor's photo.
        Assert.Equal(StatusCodes.Status404NotFound, (await PutPhotoAsync(h, "req-nobody", good)).Status);
        Assert.Equal(StatusCodes.Status404NotFound, (await PutPhotoAsync(h, "REQ/../x", good)).Status);
        var resident = await FileAsync(h, "req-resident", h.Clock.GetUtcNow(), notOnFile: false);
        Assert.Equal(StatusCodes.Status409Conflict, (await PutPhotoAsync(h, resident.RequestId, good)).Status);

        // After the office's verification the answer is being made: too late for a photo.
        await h.Get<PrivacyRequestService>().RecordManualVerificationAsync(request.RequestId, "officer-1", new ManualVerificationInput("verified", "signed-declaration", null), default);
        var late = await PutPhotoAsync(h, request.RequestId, good);
        Assert.Equal((StatusCodes.Status409Conflict, "too-late"), (late.Status, JsonDocument.Parse(late.Body).RootElement.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task A_face_service_failure_blurs_every_face_and_says_so_and_without_a_face_api_the_photo_is_kept_but_not_used()
    {
        var tiles = TileRects();
        var scene = Picture(tiles);
        var photo = Portrait();

        // The face service fails after the photo was taken: fail closed, never an error.
        var face = new FakeFaceService();
        face.Shows(photo, "visitor");
        await using (var h = await StartAsync(face))
        {
            var at = h.Clock.GetUtcNow().AddMinutes(-30);
            await UploadAsync(h, "lobby", "pic-1", scene, at);
            var request = await FileAsync(h, "req-visitor-outage", at);
            Assert.Equal(StatusCodes.Status200OK, (await PutPhotoAsync(h, request.RequestId, photo)).Status);
            face.FailWhen = (method, path) => path == "/findsimilars" || path == "/detect";
            var answer = await AnswerAsync(h, request);
            Assert.Empty(FaceSamples.Verify(await CopyAsync(h, request.RequestId, "pic-1.jpg")));
            Assert.Contains("face service failed", answer.Items["pic-1"].GetProperty("redaction").GetString(), StringComparison.Ordinal);

            // And at upload: 503, nothing kept.
            var other = await FileAsync(h, "req-visitor-outage-2", at);
            Assert.Equal(StatusCodes.Status503ServiceUnavailable, (await PutPhotoAsync(h, other.RequestId, photo)).Status);
            Assert.False((await Documents(h).GetBlobClient(VisitorPhotos.BlobNameFor(other.RequestId)).ExistsAsync()).Value);
        }

        // The local host: no Face API. The photo is recorded, the answer blurs every face and says why.
        await using (var h = await StartAsync(null))
        {
            var at = h.Clock.GetUtcNow().AddMinutes(-30);
            await UploadAsync(h, "lobby", "pic-1", scene, at);
            var request = await FileAsync(h, "req-visitor-local", at);
            var put = await PutPhotoAsync(h, request.RequestId, photo);
            Assert.Equal(StatusCodes.Status200OK, put.Status);
            Assert.False(JsonDocument.Parse(put.Body).RootElement.GetProperty("usable").GetBoolean());
            var answer = await AnswerAsync(h, request);
            Assert.Empty(FaceSamples.Verify(await CopyAsync(h, request.RequestId, "pic-1.jpg")));
            Assert.Contains(VisitorPhotos.NotUsableHere, answer.Items["pic-1"].GetProperty("redaction").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Only_the_privacy_office_may_give_a_visitors_photo()
    {
        var route = ApiRoutes.PutVisitorPhoto;
        Assert.Equal(Roles.PrivacyOfficer, route.Callers);
        Assert.Equal(Scope.Global, route.Scope);
        Assert.Contains(route, ApiRoutes.All);

        // No route reads a request's documents back: the photo leaves storage only for the Face API.
        Assert.DoesNotContain(ApiRoutes.All, r => r.Method == "GET" && r.Template.Contains("photo", StringComparison.Ordinal));
    }

    private const int JpegBodyLimit = Pipeline.Media.JpegBody.MaxBytes;

    private static Task<PipelineHarness> StartAsync(FakeFaceService? face)
    {
        var settings = new Dictionary<string, string?>();
        if (face is null)
        {
            return PipelineHarness.StartAsync(settings);
        }

        settings["OneValet:Faces:Endpoint"] = FakeFaceService.Endpoint;
        settings["OneValet:Faces:LargePersonGroupPrefix"] = FakeFaceService.GroupPrefix;
        return PipelineHarness.StartAsync(settings, configure: services => services.AddSingleton(face.CreateApi()));
    }

    /// <summary>A visitor's access request as intake stores it, waiting for the office's verification.</summary>
    private static async Task<PrivacyRequestRecord> FileAsync(PipelineHarness h, string requestId, DateTimeOffset at, bool notOnFile = true)
    {
        var now = h.Clock.GetUtcNow();
        var record = new PrivacyRequestRecord
        {
            RequestId = requestId,
            Type = RequestType.Access,
            Jurisdiction = "new-york",
            JurisdictionSource = "request",
            Channel = "phone",
            ReceivedAt = now,
            AcknowledgeBy = now.AddDays(10),
            DueAt = now.AddDays(45),
            Status = RequestStatus.AwaitingVerification,
            SubjectId = notOnFile ? null : "r-someone",
            NotOnFile = notOnFile ? new NotOnFileInput("visitor@outside.test", "visitor", Building, "lobby", at.AddMinutes(-5), at.AddMinutes(5), "delivery, blue coat") : null,
        };
        await h.Get<PrivacyRequestService>().RegisterAsync(record, default);
        return record;
    }

    /// <summary>The work of the orchestration for a verified visitor's access request: plan, each item redacted, the answer.</summary>
    private static async Task<(string Summary, Dictionary<string, JsonElement> Items)> AnswerAsync(PipelineHarness h, PrivacyRequestRecord filed)
    {
        var service = h.Get<PrivacyRequestService>();
        var record = (await service.ReadAsync(filed.RequestId, default))!.Document;
        var work = h.Get<NotOnFileWork>();
        var planned = await work.AccessAsync(record, record.NotOnFile!, default);
        var footage = h.Get<AccessFootage>();
        var plan = (await footage.ReadPlanAsync(record.RequestId, default))!;
        for (var i = 0; i < plan.Items.Count; i++)
        {
            await footage.RedactAsync(record.RequestId, i, default);
        }

        var section = await footage.SectionAsync(record.RequestId, default);
        var items = section.Json["items"]!.AsArray().ToDictionary(i => i!["captureId"]!.GetValue<string>(), i => JsonDocument.Parse(i!.ToJsonString()).RootElement);
        await work.CompleteAccessAsync(record, record.NotOnFile!, default);
        var answered = (await service.ReadAsync(filed.RequestId, default))!.Document;
        return (answered.Outcome!.Summary, items);
    }

    private static Task<(int Status, string Body)> PutPhotoAsync(PipelineHarness h, string requestId, byte[] photo, string contentType = "image/jpeg", string? consent = VisitorPhotos.ConsentGiven) =>
        Retention.RetentionEngineTests.InvokeAsync(ctx =>
        {
            ctx.User = new ClaimsPrincipal(new ClaimsIdentity(Officer.Select(c => new Claim(c.Type, c.Value)), "test"));
            ctx.Request.ContentType = contentType;
            ctx.Request.Body = new MemoryStream(photo);
            return h.Get<VisitorPhotos>().PutAsync(requestId, consent, ctx.Request, default);
        });

    /// <summary>A recording and its catalogue record as ingestion leaves them (JPEG pictures and an MP4 clip).</summary>
    private static async Task UploadAsync(PipelineHarness h, string doorId, string captureId, byte[] bytes, DateTimeOffset capturedAt, string contentType = "image/jpeg")
    {
        var policy = h.Get<RetentionPolicy>();
        var rule = policy.ForRecording(RecordingKind.Surveillance, Building);
        var extension = contentType == "video/mp4" ? "mp4" : "jpg";
        var blobName = $"{Building}/{doorId}/{captureId}.{extension}";
        await Hardware.UploadAsync(h.Recordings, blobName, bytes, Hardware.Metadata(capturedAt));
        var version = new RecordingVersion(1, "00", bytes.Length, capturedAt, "console-1", capturedAt, capturedAt + rule.Period, null, []);
        await h.Store.UpsertAsync(Containers.Recordings, Building, RecordingRecord.IdFor(doorId, captureId), new RecordingRecord
        {
            BuildingId = Building, DoorId = doorId, CaptureId = captureId, BlobName = blobName, Kind = RecordingKind.Surveillance, DeviceId = "console-1",
            CapturedAt = capturedAt, SizeBytes = bytes.Length, Sha256 = "00", ContentType = contentType,
            DataCategory = DataCategories.Sensory, Purpose = "test", Source = "entry-console",
            Retention = rule, Deadline = capturedAt + rule.Period, Status = RecordingStatus.Catalogued, CataloguedAt = capturedAt, Versions = [version],
        });
    }

    private static BlobContainerClient Documents(PipelineHarness h) =>
        h.Get<BlobServiceClient>().GetBlobContainerClient("doc" + h.Suffix);

    private static async Task<byte[]> CopyAsync(PipelineHarness h, string requestId, string file) =>
        (await h.Exports.GetBlobClient($"{requestId}/recordings/{Building}/lobby/{file}").DownloadContentAsync()).Value.Content.ToArray();

    private static Rect[] TileRects()
    {
        using var tile = FaceSamples.FaceTile();
        return
        [
            new Rect(10, 5, tile.Width, tile.Height),
            new Rect(Width - tile.Width - 10, Height - tile.Height - 5, tile.Width, tile.Height),
            new Rect(Width - (2 * (tile.Width + 10)), Height - tile.Height - 5, tile.Width, tile.Height),
        ];
    }

    private static byte[] Picture(Rect[] tiles)
    {
        using var canvas = FaceSamples.Compose(Width, Height, tiles.Select(t => t.Location).ToArray());
        return FaceSamples.Jpeg(canvas);
    }

    /// <summary>The visitor's photo: their face alone, another picture than any recording.</summary>
    private static byte[] Portrait()
    {
        using var tile = FaceSamples.FaceTile();
        return FaceSamples.Jpeg(tile);
    }

    private static bool Inside(Rect tile, FaceRectangle face) => tile.Contains(face.Left + (face.Width / 2), face.Top + (face.Height / 2));
}
