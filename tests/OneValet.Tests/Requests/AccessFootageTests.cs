using OneValet.Pipeline.Faces;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Faces;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Requests;

/// <summary>
/// Which recordings an access answer includes, and how each is redacted (O8; PIPEDA s.9(1)), in-process on real Azurite,
/// SQLite and ffmpeg: the person's verified captures and the footage at the doors and times of their door events and
/// verified captures, within the window and the look-back, catalogued only, capped; a copy per recording in the exports
/// container scheduled with the export; a recording gone meanwhile withheld; every step safe to repeat.
/// </summary>
public sealed class AccessFootageTests
{
    private const string Subject = "r-ana";
    private const string Building = "b-x";
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task The_plan_takes_the_persons_verified_captures_and_the_footage_at_their_doors_and_times_and_nothing_else()
    {
        await using var h = await PipelineHarness.StartAsync();
        await PlanScenarioAsync(h.Store, h.Get<AccessFootage>(), h.Get<RetentionPolicy>(), h.Clock.GetUtcNow(), Subject, Building);
    }

    /// <summary>The plan's choice, on any record store (also run on the Cosmos-protocol server: single-partition queries
    /// with AND-ed conditions, nested fields and ranges, no ORDER BY).</summary>
    internal static async Task PlanScenarioAsync(IRecordStore store, AccessFootage footage, RetentionPolicy policy, DateTimeOffset now, string subject, string building)
    {
        var w = new Writer(store, policy, subject, building);
        var entry = now.AddMinutes(-30);
        var old = now.AddDays(-40);
        await ResidentAsync(w);
        await DoorEventAsync(w, "e-1", "lobby", entry);
        await DoorEventAsync(w, "e-old", "lobby", old); // before the look-back
        var mine = Verified(subject);
        var theirs = Verified("r-other");
        var expected = new Dictionary<string, string>
        {
            ["clip-in"] = AccessFootage.AtDoorEvent,
            ["clip-edge"] = AccessFootage.AtDoorEvent,
            ["face-mine"] = AccessFootage.VerifiedCapture,
            ["clip-at-face"] = AccessFootage.AtVerifiedCapture,
        };
        await RecordAsync(w, "lobby", "clip-in", RecordingKind.Surveillance, entry.AddSeconds(40));
        await RecordAsync(w, "lobby", "clip-edge", RecordingKind.Surveillance, entry - Window);
        await RecordAsync(w, "lobby", "clip-late", RecordingKind.Surveillance, entry + Window + TimeSpan.FromSeconds(1));
        await RecordAsync(w, "garage", "clip-door", RecordingKind.Surveillance, entry);
        await RecordAsync(w, "lobby", "clip-anon", RecordingKind.Surveillance, entry, status: RecordingStatus.Anonymized);
        await RecordAsync(w, "lobby", "clip-old", RecordingKind.Surveillance, old);
        await RecordAsync(w, "side", "face-mine", RecordingKind.FacialEntry, now.AddHours(-3), mine);
        await RecordAsync(w, "side", "clip-at-face", RecordingKind.Surveillance, now.AddHours(-3).AddSeconds(-50));
        await RecordAsync(w, "side", "face-theirs", RecordingKind.FacialEntry, now.AddHours(-2), theirs);
        await RecordAsync(w, "side", "face-unverified", RecordingKind.FacialEntry, now.AddHours(-1), new FaceCheck(FaceVerificationStatus.NotVerified, now, 0.2));
        await RecordAsync(w, "side", "face-local", RecordingKind.FacialEntry, now.AddHours(-1), new FaceCheck(FaceVerificationStatus.NotConfigured, now));

        var (planned, all) = ("req-plan-" + subject, "req-all-" + subject);
        Assert.Equal(4, await footage.PlanAsync(planned, subject, now.AddDays(-30), now.AddDays(7), default));
        var plan = (await store.ReadAsync<FootagePlan>(Containers.Requests, planned, FootagePlan.DocumentId))!.Document;
        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), plan.Items.ToDictionary(i => i.CaptureId, i => i.Why).OrderBy(e => e.Key, StringComparer.Ordinal));
        Assert.Equal(plan.Items.OrderByDescending(i => i.CapturedAt).Select(i => i.CaptureId), plan.Items.Select(i => i.CaptureId));
        Assert.Equal((4, subject, now.AddDays(7)), (plan.Found, plan.SubjectId, plan.ExportExpiresAt));

        // No look-back (outside California): the old event's footage too.
        Assert.Equal(5, await footage.PlanAsync(all, subject, null, now.AddDays(7), default));

        // A retried work step keeps the plan it wrote, whatever arrived since.
        await RecordAsync(w, "lobby", "clip-new", RecordingKind.Surveillance, entry.AddSeconds(10));
        Assert.Equal(4, await footage.PlanAsync(planned, subject, now.AddDays(-30), now.AddDays(7), default));
    }

    [Fact]
    public async Task Past_the_cap_the_newest_are_included_and_the_answer_says_how_many_there_were()
    {
        await using var h = await PipelineHarness.StartAsync(new Dictionary<string, string?> { ["OneValet:Requests:MaxFootageItems"] = "2" });
        var entry = h.Clock.GetUtcNow().AddMinutes(-10);
        var w = Writer.Of(h);
        await ResidentAsync(w);
        await DoorEventAsync(w, "e-1", "lobby", entry);
        for (var i = 0; i < 4; i++)
        {
            await RecordAsync(w, "lobby", $"clip-{i}", RecordingKind.Surveillance, entry.AddSeconds(10 * i));
        }

        var footage = h.Get<AccessFootage>();
        Assert.Equal(2, await footage.PlanAsync("req-cap", Subject, null, entry.AddDays(7), default));
        var section = await footage.SectionAsync("req-cap", default);
        Assert.Equal((4, true), (section.Found, section.Capped));
        Assert.Equal(["clip-3", "clip-2"], section.Json["items"]!.AsArray().Select(i => i!["captureId"]!.GetValue<string>()));
        Assert.Equal("The newest 2 of 4 recordings are included; ask the privacy office for the others.", section.Json["cappedNote"]!.GetValue<string>());
    }

    [Fact]
    public async Task Each_recording_is_redacted_once_into_the_exports_container_with_its_deletion_scheduled_and_one_gone_meanwhile_is_withheld()
    {
        await using var h = await PipelineHarness.StartAsync();
        var entry = h.Clock.GetUtcNow().AddMinutes(-10);
        var w = Writer.Of(h);
        await ResidentAsync(w);
        await DoorEventAsync(w, "e-1", "lobby", entry);
        var clip = FootageSamples.Mp4(3, FootageSamples.Left, FootageSamples.Right);
        var name = new UploadName(Building, "lobby", "clip-1", "mp4");
        await Hardware.UploadAsync(h.Recordings, name.BlobName, clip, Hardware.Metadata(entry));
        await RecordAsync(w, "lobby", "clip-1", RecordingKind.Surveillance, entry);
        await RecordAsync(w, "lobby", "clip-2", RecordingKind.Surveillance, entry.AddSeconds(-5));

        var footage = h.Get<AccessFootage>();
        var expires = h.Clock.GetUtcNow().AddDays(7);
        Assert.Equal(2, await footage.PlanAsync("req-redact", Subject, null, expires, default));
        await h.Store.DeleteAsync(Containers.Recordings, Building, RecordingRecord.IdFor("lobby", "clip-2")); // deleted by retention meanwhile

        Assert.True(await footage.RedactAsync("req-redact", 0, default));
        Assert.False(await footage.RedactAsync("req-redact", 1, default));
        var copy = h.Exports.GetBlobClient("req-redact/recordings/b-x/lobby/clip-1.mp4");
        var etag = (await copy.GetPropertiesAsync()).Value.ETag;
        Assert.True(await footage.RedactAsync("req-redact", 0, default)); // a retry: the stored result, no second redaction
        Assert.Equal(etag, (await copy.GetPropertiesAsync()).Value.ETag);
        Assert.All(FootageSamples.FacesPerFrame((await copy.DownloadContentAsync()).Value.Content.ToArray()), Assert.Empty);
        Assert.Equal(Hardware.Sha256(clip), Hardware.Sha256((await h.Recordings.GetBlobClient(name.BlobName).DownloadContentAsync()).Value.Content.ToArray()));

        var bucket = h.Get<RetentionSchedule>().BucketFor(expires).Key;
        var scheduled = (await h.Store.ReadAsync<ScheduleEntry>(Containers.Schedule, bucket, "export~req-redact~footage-000~0"))!.Document;
        Assert.Equal((ItemKind.Export, copy.Name, expires, "O8"), (scheduled.Kind, scheduled.BlobName, scheduled.Deadline, scheduled.Rule.Obligation));

        var section = await footage.SectionAsync("req-redact", default);
        Assert.Equal((1, 1), (section.Redacted, section.Withheld));
        Assert.Equal([copy.Name], section.Files);
        var withheld = section.Json["items"]!.AsArray()[1]!;
        Assert.Equal(("withheld", BlobRedaction.Gone), (withheld["status"]!.GetValue<string>(), withheld["reasonCode"]!.GetValue<string>()));

        // Once the answer holds them, the plan and results (doors and times of the person) leave the request's partition.
        await footage.ForgetAsync("req-redact", default);
        Assert.Null(await h.Store.ReadAsync<FootagePlan>(Containers.Requests, "req-redact", FootagePlan.DocumentId));
        Assert.Null(await h.Store.ReadAsync<FootageResult>(Containers.Requests, "req-redact", FootageResult.DocumentIdFor(0)));
        Assert.False(await footage.RedactAsync("req-redact", 0, default));
    }

    [Fact]
    public async Task The_recordings_of_an_open_access_request_outlive_their_deadline_until_its_answer_is_assembled()
    {
        // PIPEDA s.8(8), O6: footage kept ten minutes falls due while an access request that concerns it is open.
        await using var h = await PipelineHarness.StartAsync(new Dictionary<string, string?> { ["OneValet:Retention:SurveillanceFootage"] = "00:10:00" });
        var w = Writer.Of(h);
        await ResidentAsync(w);
        var names = await Retention.RetentionEngineTests.UploadAndIngestAsync(h, Building, 2);
        await DoorEventAsync(w, "e-1", "door-1", h.Clock.GetUtcNow());
        var footage = h.Get<AccessFootage>();
        Assert.Equal(2, await footage.PlanAsync("req-held", Subject, null, h.Clock.GetUtcNow().AddDays(7), default));
        Assert.Equal(2, await footage.PlanAsync("req-held", Subject, null, h.Clock.GetUtcNow().AddDays(7), default)); // a retry
        var registry = h.Get<HoldRegistry>();
        var hold = (await registry.ReadAsync(AccessFootage.HoldIdFor("req-held"), default))!.Document;
        Assert.Equal((HoldReason.OpenRequest, true, "privacy-office@onevalet.test"), (hold.Reason, hold.Active, hold.Owner));
        Assert.Equal(names.Select(n => $"{Building}/door-1/{n.CaptureId}").Order(StringComparer.Ordinal), hold.Scope.Items!.Order(StringComparer.Ordinal));

        h.Clock.Advance(TimeSpan.FromMinutes(11));
        var held = await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.Equal((0, 2), (held.Deleted, held.Held));
        foreach (var name in names)
        {
            Assert.True((await h.Recordings.GetBlobClient(name.BlobName).ExistsAsync()).Value);
        }

        // The answer is assembled: the hold is released (audited) and the next sweep deletes what fell due meanwhile.
        await footage.ForgetAsync("req-held", default);
        Assert.False((await registry.ReadAsync(AccessFootage.HoldIdFor("req-held"), default))!.Document.Active);
        var released = await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.Equal((2, 0), (released.Deleted, released.Held));
        foreach (var name in names)
        {
            Assert.False((await h.Recordings.GetBlobClient(name.BlobName).ExistsAsync()).Value);
        }

        var audits = await h.AuditsAsync();
        Assert.Equal(1, audits.Count(a => a.Action == "hold-placed" && a.ItemRef == "holds/" + AccessFootage.HoldIdFor("req-held")));
        Assert.Equal(1, audits.Count(a => a.Action == "hold-released" && a.ItemRef == "holds/" + AccessFootage.HoldIdFor("req-held")));
    }

    /// <summary>
    /// O4, O6 (PIPEDA s.8(5), s.8(8), s.11(3)): the hold on an answer's recordings ends by itself at the latest due date the
    /// law allows the request (its one extension included) plus its recourse period, so an answer never assembled (the
    /// orchestration failed between the plan and the answer) does not keep them for ever: past it the sweep deletes them,
    /// although the hold was never released. Before the fix the hold had no end.
    /// </summary>
    [Fact]
    public async Task The_hold_on_an_answer_never_assembled_ends_with_the_requests_own_clock()
    {
        await using var h = await PipelineHarness.StartAsync(new Dictionary<string, string?> { ["OneValet:Retention:SurveillanceFootage"] = "00:10:00" });
        var w = Writer.Of(h);
        var now = h.Clock.GetUtcNow();
        await ResidentAsync(w);
        var names = await Retention.RetentionEngineTests.UploadAndIngestAsync(h, Building, 2);
        await DoorEventAsync(w, "e-1", "door-1", now);
        await h.Store.CreateAsync(Containers.Requests, "req-lost", PrivacyRequestRecord.DocumentId, new PrivacyRequestRecord
        {
            RequestId = "req-lost", Type = RequestType.Access, Jurisdiction = "canada", Channel = "app", SubjectId = Subject,
            ReceivedAt = now, AcknowledgeBy = now.AddDays(10), DueAt = now.AddDays(30), Status = RequestStatus.InProgress,
        });
        Assert.Equal(2, await h.Get<AccessFootage>().PlanAsync("req-lost", Subject, null, now.AddDays(7), default));
        var hold = (await h.Get<HoldRegistry>().ReadAsync(AccessFootage.HoldIdFor("req-lost"), default))!.Document;
        Assert.Equal(now.AddDays(30 + 30 + 183), hold.Until);

        // A day before that end the recordings, long due, are still kept; a day after it they go, the hold never released.
        var sweep = h.Get<RetentionSweep>();
        h.Clock.Advance(TimeSpan.FromDays(30 + 30 + 183 - 1));
        var kept = await sweep.EnforceDueAsync(default);
        Assert.Equal((0, 2), (kept.Deleted, kept.Held));
        h.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(2, (await sweep.EnforceDueAsync(default)).Deleted);
        Assert.True((await h.Get<HoldRegistry>().ReadAsync(AccessFootage.HoldIdFor("req-lost"), default))!.Document.Active);
        foreach (var name in names)
        {
            Assert.False((await h.Recordings.GetBlobClient(name.BlobName).ExistsAsync()).Value);
        }
    }

    private static FaceCheck Verified(string residentId) =>
        new(FaceVerificationStatus.Verified, DateTimeOffset.UtcNow, 0.9, residentId, new FaceRectangle(10, 10, 50, 50));

    private static Task ResidentAsync(Writer w) =>
        w.Store.UpsertAsync(Containers.Residents, w.Subject, ResidentRecord.DocumentId, new ResidentRecord
        {
            ResidentId = w.Subject, BuildingId = w.Building, UnitId = "u-1", MovedInAt = DateTimeOffset.UtcNow.AddYears(-1), Email = "ana@footage.test", Jurisdiction = "california",
        });

    private static Task DoorEventAsync(Writer w, string eventId, string doorId, DateTimeOffset at)
    {
        var rule = w.Policy.ForAuthenticationEvent();
        return w.Store.UpsertAsync(Containers.DoorEvents, w.Subject, eventId, new DoorEventRecord
        {
            EventId = eventId, BuildingId = w.Building, DoorId = doorId, Method = EntryMethod.Fob, SubjectId = w.Subject, At = at, Granted = true,
            DataCategory = "authentication-data", Purpose = "keyless entry", Retention = rule, Deadline = at + rule.Period,
        });
    }

    /// <summary>A catalogue record as ingestion writes it (the blob itself only where a test redacts it).</summary>
    private static Task RecordAsync(Writer w, string doorId, string captureId, RecordingKind kind, DateTimeOffset capturedAt, FaceCheck? check = null, RecordingStatus status = RecordingStatus.Catalogued)
    {
        var rule = w.Policy.ForRecording(kind, w.Building);
        var extension = kind == RecordingKind.FacialEntry ? "jpg" : "mp4";
        var version = new RecordingVersion(1, "00", 1, capturedAt, "console-1", capturedAt, capturedAt + rule.Period, null, []);
        return w.Store.UpsertAsync(Containers.Recordings, w.Building, RecordingRecord.IdFor(doorId, captureId), new RecordingRecord
        {
            BuildingId = w.Building, DoorId = doorId, CaptureId = captureId, BlobName = $"{w.Building}/{doorId}/{captureId}.{extension}", Kind = kind, DeviceId = "console-1",
            CapturedAt = capturedAt, SizeBytes = 1, Sha256 = "00", ContentType = kind == RecordingKind.FacialEntry ? "image/jpeg" : "video/mp4",
            DataCategory = kind == RecordingKind.FacialEntry ? DataCategories.FacialEntryAuthentication : DataCategories.Sensory, Purpose = "test", Source = "entry-console",
            Retention = rule, Deadline = capturedAt + rule.Period, Status = status, CataloguedAt = capturedAt, Versions = [version], FaceCheck = check,
        });
    }

    /// <summary>Where the scenario's records go.</summary>
    private sealed record Writer(IRecordStore Store, RetentionPolicy Policy, string Subject, string Building)
    {
        public static Writer Of(PipelineHarness h) => new(h.Store, h.Get<RetentionPolicy>(), AccessFootageTests.Subject, AccessFootageTests.Building);
    }
}

/// <summary>The plan's queries on the Cosmos-protocol server (what Azure runs): the same choice as on SQLite.</summary>
[Collection(CosmosServerDefinition.Name)]
public sealed class AccessFootageCosmosTests(CosmosServerFixture server)
{
    [Fact]
    public async Task The_plan_makes_the_same_choice_on_the_cosmos_protocol()
    {
        var store = new CosmosRecordStore(server.Client, CosmosServerFixture.DatabaseName);
        var retention = Microsoft.Extensions.Options.Options.Create(new RetentionOptions());
        // The plan reads and writes the store only (the plan, the hold, the audit and its day's rule): no blobs or redaction.
        var options = Microsoft.Extensions.Options.Options.Create(new RequestOptions());
        var recordings = new PersonRecordings(store, options);
        var footage = new AccessFootage(
            store,
            recordings,
            null!,
            null!,
            null!,
            new HoldRegistry(store, new Pipeline.Auditing.AuditLog(store, new RetentionSchedule(store, retention, TimeProvider.System), new RetentionPolicy(retention)), recordings, options, TimeProvider.System),
            TimeProvider.System,
            Microsoft.Extensions.Options.Options.Create(new Pipeline.Notifications.EmailOptions { PrivacyOfficerAddress = "privacy-office@onevalet.test" }),
            Microsoft.Extensions.Options.Options.Create(new Pipeline.Configuration.StorageOptions()),
            options,
            null!);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        await AccessFootageTests.PlanScenarioAsync(store, footage, new RetentionPolicy(retention), DateTimeOffset.UtcNow, "r-" + suffix, "b-" + suffix);
    }
}
