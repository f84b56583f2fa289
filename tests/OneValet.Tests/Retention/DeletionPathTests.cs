using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using OneValet.Pipeline.Faces;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Retention;

/// <summary>
/// One deletion path, holds first, whatever calls it (O6, O9): retention at a deadline, a deletion request and an
/// enrollment's removal each ask every hold scope (subject, building window, items, open access request), and a subject's
/// hold keeps the recordings that concern them (captures verified as them, footage at their door events). In-process on
/// real Azurite and SQLite with a fake clock.
/// </summary>
public sealed class DeletionPathTests
{
    private const string Building = "b-del";

    [Fact]
    public async Task A_deletion_request_asks_every_hold_scope_deletes_verified_captures_and_enrollment_and_says_what_is_kept_why_and_until_when()
    {
        await using var h = await PipelineHarness.StartAsync();
        var now = h.Clock.GetUtcNow();
        const string subject = "r-gone";
        await ResidentAsync(h, subject, movedOut: true);
        await DoorEventAsync(h, subject, "e-in-window", "lobby", now.AddHours(-2));
        await DoorEventAsync(h, subject, "e-outside", "lobby", now.AddMinutes(-30));
        var capture = await CaptureAsync(h, "side", "face-1", now.AddMinutes(-20), subject);
        var other = await CaptureAsync(h, "side", "face-2", now.AddMinutes(-19), "r-someone-else");
        var clip = await ClipAsync(h, "lobby", "clip-1", now.AddMinutes(-29));
        await EnrollmentAsync(h, subject);

        // A security hold on the building's window around the first event: a deletion request must not pass it.
        await h.Get<HoldRegistry>().PlaceAsync(Hold("hold-window", new HoldScope { BuildingId = Building, From = now.AddHours(-3), To = now.AddHours(-1) }, now), default);
        var outcome = await RunDeletionAsync(h, "req-del", subject);

        Assert.NotNull(await h.Store.ReadAsync<DoorEventRecord>(Containers.DoorEvents, subject, "e-in-window"));
        Assert.Null(await h.Store.ReadAsync<DoorEventRecord>(Containers.DoorEvents, subject, "e-outside"));
        Assert.Null(await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, Building, capture.Id));
        Assert.False((await h.Recordings.GetBlobClient(capture.BlobName).ExistsAsync()).Value);
        Assert.NotNull(await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, Building, other.Id));
        Assert.NotNull(await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, Building, clip.Id));
        Assert.Null(await h.Store.ReadAsync<FacialEnrollmentRecord>(Containers.Residents, subject, FacialEnrollmentRecord.DocumentId));
        Assert.Equal(ResidentRecord.AnonymizedEmail, (await h.Store.ReadAsync<ResidentRecord>(Containers.Residents, subject, ResidentRecord.DocumentId))!.Document.Email);

        Assert.Contains("hardware usage: door events: 1", outcome.Deleted);
        Assert.Contains(outcome.Deleted, d => d.StartsWith("Facial Entry captures verified as you", StringComparison.Ordinal) && d.EndsWith(": 1", StringComparison.Ordinal));
        Assert.Contains("Facial Entry enrollment (reference data): 1", outcome.Deleted);
        Assert.Contains(outcome.Deleted, d => d.StartsWith("identifiers", StringComparison.Ordinal));
        var held = Assert.Single(outcome.Kept, k => k.Category.Contains("door events: 1", StringComparison.Ordinal));
        Assert.Contains("security", held.Reason, StringComparison.Ordinal);
        Assert.Contains(now.AddDays(30).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), held.Reason, StringComparison.Ordinal);
        var footage = Assert.Single(outcome.Kept, k => k.Category.Contains("entry-camera recordings", StringComparison.Ordinal));
        Assert.StartsWith("1 ", footage.Category, StringComparison.Ordinal);
        Assert.Equal(clip.Deadline, footage.Until);
        Assert.Contains(outcome.Kept, k => k.Category == "this request's record" && k.Until == now.AddDays(730));
        // O4, O6: the held entry names the event by its building (never the person) and lists the holds in force.
        Assert.Contains(await h.AuditsAsync(), a => a.Action == "held" && a.ItemRef == $"doorEvent/{Building}/e-in-window/0" && a.Holds!.SequenceEqual(["hold-window"])
            && a.SubjectId is null && a.HoldsInForce!.Contains("hold-window"));

        // Released: the held event goes by itself (its entry joined the schedule, due now), without a new request.
        await h.Get<HoldRegistry>().ReleaseAsync("hold-window", h.Clock.GetUtcNow(), default);
        h.Clock.Advance(TimeSpan.FromMinutes(2));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.Null(await h.Store.ReadAsync<DoorEventRecord>(Containers.DoorEvents, subject, "e-in-window"));
    }

    [Theory]
    [InlineData("subject")]
    [InlineData("window")]
    [InlineData("items")]
    [InlineData("open-request")]
    public async Task Removing_an_enrollment_asks_every_hold_scope(string scope)
    {
        await using var h = await PipelineHarness.StartAsync();
        var now = h.Clock.GetUtcNow();
        const string subject = "r-enrolled";
        await ResidentAsync(h, subject, movedOut: false);
        await EnrollmentAsync(h, subject, enrolledAt: now.AddDays(-3));
        if (scope == "open-request")
        {
            await OpenAccessRequestAsync(h, "req-open", subject);
        }
        else
        {
            await h.Get<HoldRegistry>().PlaceAsync(Hold("hold-" + scope, scope switch
            {
                "subject" => new HoldScope { SubjectId = subject },
                "window" => new HoldScope { BuildingId = Building, From = now.AddDays(-4), To = now.AddDays(-2) },
                _ => new HoldScope { Items = [$"facialEnrollment/{subject}/{FacialEnrollmentRecord.DocumentId}/{VersionOf(now.AddDays(-3))}"] },
            }, now), default);
        }

        var result = await h.Get<FacialEnrollments>().DeleteAsync(subject, default);
        Assert.Equal(StatusCodes.Status409Conflict, Assert.IsType<ProblemHttpResult>(result).StatusCode);
        Assert.NotNull(await h.Store.ReadAsync<FacialEnrollmentRecord>(Containers.Residents, subject, FacialEnrollmentRecord.DocumentId));

        if (scope != "window")
        {
            return;
        }

        // A window elsewhere keeps nothing of this person: then the removal goes through.
        await using var free = await PipelineHarness.StartAsync();
        await ResidentAsync(free, subject, movedOut: false);
        await EnrollmentAsync(free, subject, enrolledAt: now.AddDays(-3));
        await free.Get<HoldRegistry>().PlaceAsync(Hold("hold-elsewhere", new HoldScope { BuildingId = "b-other", From = now.AddDays(-4), To = now }, now), default);
        Assert.IsNotType<ProblemHttpResult>(await free.Get<FacialEnrollments>().DeleteAsync(subject, default));
        Assert.Null(await free.Store.ReadAsync<FacialEnrollmentRecord>(Containers.Residents, subject, FacialEnrollmentRecord.DocumentId));
    }

    [Fact]
    public async Task At_a_deadline_an_open_access_request_keeps_the_persons_events_captures_and_footage_and_a_subject_hold_does_too()
    {
        // Ten-minute rules, so that everything falls due within the test.
        await using var h = await PipelineHarness.StartAsync(new Dictionary<string, string?>
        {
            ["OneValet:Retention:SurveillanceFootage"] = "00:10:00",
            ["OneValet:Retention:AuthenticationData"] = "00:10:00",
        });
        var now = h.Clock.GetUtcNow();
        const string subject = "r-asks";
        await ResidentAsync(h, subject, movedOut: false);
        await DoorEventAsync(h, subject, "e-1", "lobby", now.AddMinutes(-1), schedule: true);
        var capture = await CaptureAsync(h, "side", "face-1", now.AddMinutes(-1), subject, schedule: true);
        var clip = await ClipAsync(h, "lobby", "clip-near", now.AddMinutes(-1).AddSeconds(30), schedule: true);
        var far = await ClipAsync(h, "garage", "clip-far", now.AddMinutes(-1), schedule: true);
        await OpenAccessRequestAsync(h, "req-access", subject);

        h.Clock.Advance(TimeSpan.FromMinutes(11));
        var sweep = await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.Equal((1, 3), (sweep.Deleted, sweep.Held));
        Assert.Null(await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, Building, far.Id));
        Assert.NotNull(await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, Building, clip.Id));
        Assert.NotNull(await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, Building, capture.Id));
        Assert.NotNull(await h.Store.ReadAsync<DoorEventRecord>(Containers.DoorEvents, subject, "e-1"));
        Assert.Equal(3, (await h.AuditsAsync()).Count(a => a.Action == "held" && a.Holds!.SequenceEqual([HoldRegistry.OpenRequestPrefix + "req-access"])));

        // The request closes, but the privacy office holds the person: still kept, now by the subject hold.
        await h.Get<HoldRegistry>().PlaceAsync(Hold("hold-subject", new HoldScope { SubjectId = subject }, h.Clock.GetUtcNow()), default);
        await h.Store.DeleteAsync(Containers.Requests, "open", "req-access");
        Assert.Equal((0, 3), Counts(await h.Get<RetentionSweep>().EnforceDueAsync(default)));
        await h.Get<HoldRegistry>().ReleaseAsync("hold-subject", h.Clock.GetUtcNow(), default);
        Assert.Equal((3, 0), Counts(await h.Get<RetentionSweep>().EnforceDueAsync(default)));
        Assert.Null(await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, Building, capture.Id));
        Assert.Null(await h.Store.ReadAsync<DoorEventRecord>(Containers.DoorEvents, subject, "e-1"));
    }

    private static (int, int) Counts((int Buckets, int Deleted, int Held) outcome) => (outcome.Deleted, outcome.Held);

    private static async Task<RequestOutcome> RunDeletionAsync(PipelineHarness h, string requestId, string subject)
    {
        var now = h.Clock.GetUtcNow();
        await h.Store.CreateAsync(Containers.Requests, requestId, PrivacyRequestRecord.DocumentId, new PrivacyRequestRecord
        {
            RequestId = requestId, Type = RequestType.Deletion, Jurisdiction = "california", Channel = "app", SubjectId = subject,
            ReceivedAt = now, AcknowledgeBy = now.AddDays(10), DueAt = now.AddDays(45), Status = RequestStatus.AwaitingVerification,
        });
        var result = await h.Get<RequestWork>().RunAsync(requestId, default);
        Assert.Equal(RequestStatus.Completed, result.Status);
        return (await h.Store.ReadAsync<PrivacyRequestRecord>(Containers.Requests, requestId, PrivacyRequestRecord.DocumentId))!.Document.Outcome!;
    }

    internal static async Task OpenAccessRequestAsync(PipelineHarness h, string requestId, string subject)
    {
        var now = h.Clock.GetUtcNow();
        await h.Store.CreateAsync(Containers.Requests, requestId, PrivacyRequestRecord.DocumentId, new PrivacyRequestRecord
        {
            RequestId = requestId, Type = RequestType.Access, Jurisdiction = "canada", Channel = "app", SubjectId = subject,
            ReceivedAt = now, AcknowledgeBy = now.AddDays(10), DueAt = now.AddDays(30), Status = RequestStatus.AwaitingVerification,
        });
        await h.Store.UpsertAsync(Containers.Requests, "open", requestId, new RequestIndexEntry(requestId, RequestType.Access, now, now.AddDays(30), nameof(RequestStatus.AwaitingVerification)));
    }

    private static HoldRecord Hold(string id, HoldScope scope, DateTimeOffset now) => new()
    {
        HoldId = id, Reason = HoldReason.SecurityIncident, Scope = scope, Owner = "office@holds.test", ReviewBy = now.AddDays(30), PlacedAt = now,
    };

    private static int VersionOf(DateTimeOffset enrolledAt) =>
        (int)(enrolledAt - new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero)).TotalSeconds;

    internal static Task ResidentAsync(PipelineHarness h, string subject, bool movedOut, string building = Building) =>
        h.Store.UpsertAsync(Containers.Residents, subject, ResidentRecord.DocumentId, new ResidentRecord
        {
            ResidentId = subject, BuildingId = building, UnitId = "u-1", MovedInAt = h.Clock.GetUtcNow().AddYears(-1), Email = subject + "@deletion.test", Name = "Pat Doe",
            Jurisdiction = "california", MovedOutAt = movedOut ? h.Clock.GetUtcNow().AddDays(-1) : null,
        });

    private static async Task EnrollmentAsync(PipelineHarness h, string subject, DateTimeOffset? enrolledAt = null)
    {
        var blob = $"{subject}/ref.jpg";
        await h.FacialReferences.GetBlobClient(blob).UploadAsync(BinaryData.FromBytes(Hardware.Jpeg(2_000)), overwrite: true);
        await h.Store.UpsertAsync(Containers.Residents, subject, FacialEnrollmentRecord.DocumentId, new FacialEnrollmentRecord
        {
            ResidentId = subject, BuildingId = Building, EnrolledAt = enrolledAt ?? h.Clock.GetUtcNow().AddDays(-10), ReferenceBlobName = blob,
        });
    }

    internal static async Task DoorEventAsync(PipelineHarness h, string subject, string eventId, string doorId, DateTimeOffset at, bool schedule = false)
    {
        var policy = h.Get<RetentionPolicy>();
        var rule = policy.ForAuthenticationEvent();
        var record = new DoorEventRecord
        {
            EventId = eventId, BuildingId = Building, DoorId = doorId, Method = EntryMethod.Fob, SubjectId = subject, At = at, Granted = true,
            DataCategory = "authentication-data", Purpose = "keyless entry", Retention = rule, Deadline = at + rule.Period,
        };
        if (schedule)
        {
            await h.Get<RetentionSchedule>().AddAsync(new ScheduleEntry
            {
                Kind = ItemKind.DoorEvent, ItemPartition = subject, ItemId = eventId, SubjectId = subject, BuildingId = Building, EventAt = at,
                Category = record.DataCategory, Rule = rule, Deadline = record.Deadline,
            }, default);
        }

        await h.Store.UpsertAsync(Containers.DoorEvents, subject, eventId, record);
    }

    /// <summary>A Facial Entry capture checked as verified for <paramref name="residentId"/>: its blob, its record and,
    /// with <paramref name="schedule"/>, its deadline (no subject on the entry: ingestion does not know whose face it is).</summary>
    private static Task<RecordingRecord> CaptureAsync(PipelineHarness h, string doorId, string captureId, DateTimeOffset at, string residentId, bool schedule = false) =>
        RecordingAsync(h, doorId, captureId, RecordingKind.FacialEntry, at, schedule, new FaceCheck(FaceVerificationStatus.Verified, at, 0.9, residentId, new FaceRectangle(1, 1, 10, 10)));

    private static Task<RecordingRecord> ClipAsync(PipelineHarness h, string doorId, string captureId, DateTimeOffset at, bool schedule = false) =>
        RecordingAsync(h, doorId, captureId, RecordingKind.Surveillance, at, schedule, null);

    private static async Task<RecordingRecord> RecordingAsync(PipelineHarness h, string doorId, string captureId, RecordingKind kind, DateTimeOffset at, bool schedule, FaceCheck? check)
    {
        var policy = h.Get<RetentionPolicy>();
        var rule = policy.ForRecording(kind, Building);
        var facial = kind == RecordingKind.FacialEntry;
        var bytes = facial ? Hardware.Jpeg(3_000, seed: captureId.Length) : Hardware.Mp4(3_000, seed: captureId.Length);
        var name = new UploadName(Building, doorId, captureId, facial ? "jpg" : "mp4");
        await Hardware.UploadAsync(h.Recordings, name.BlobName, bytes, Hardware.Metadata(at, facial ? "facial-entry" : "surveillance"));
        var deadline = at + rule.Period;
        var sha = Hardware.Sha256(bytes);
        var record = new RecordingRecord
        {
            BuildingId = Building, DoorId = doorId, CaptureId = captureId, BlobName = name.BlobName, Kind = kind, DeviceId = "console-1", CapturedAt = at,
            SizeBytes = bytes.Length, Sha256 = sha, ContentType = facial ? "image/jpeg" : "video/mp4",
            DataCategory = facial ? DataCategories.FacialEntryAuthentication : DataCategories.Sensory, Purpose = "test", Source = "entry-console",
            Retention = rule, Deadline = deadline, Status = RecordingStatus.Catalogued, CataloguedAt = at,
            Versions = [new RecordingVersion(1, sha, bytes.Length, at, "console-1", at, deadline, null, [])], FaceCheck = check,
        };
        if (schedule)
        {
            await h.Get<RetentionSchedule>().AddAsync(new ScheduleEntry
            {
                Kind = ItemKind.RecordingVersion, ItemPartition = Building, ItemId = record.Id, Version = 1, BlobName = name.BlobName, Sha256 = sha,
                BuildingId = Building, EventAt = at, Category = record.DataCategory, Rule = rule, Deadline = deadline,
            }, default);
        }

        await h.Store.UpsertAsync(Containers.Recordings, Building, record.Id, record);
        return record;
    }
}
