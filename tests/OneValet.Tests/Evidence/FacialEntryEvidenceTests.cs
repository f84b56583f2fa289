using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Calendars;
using OneValet.Pipeline.Evidence;
using OneValet.Pipeline.Faces;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Faces;
using OneValet.Tests.Infrastructure;
using Xunit;
using static OneValet.Tests.Retention.RetentionEngineTests;

namespace OneValet.Tests.Evidence;

/// <summary>
/// O3 in the compliance report: every Facial Entry capture's check is audited (capture, building, outcome, and for a
/// processed capture the consent entry it was processed under), and the report judges each check against the consent
/// entries: processed only under a live consent, never matched after a withdrawal or move-out. Through the real pipeline on
/// Azurite and SQLite with a fake clock, the Face API played by <see cref="FakeFaceService"/>; and the judgement itself on
/// hand-made trails for the cases a working pipeline never produces.
/// </summary>
public sealed class FacialEntryEvidenceTests
{
    private static readonly DateTimeOffset Monday = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly byte[] AliceReference = Hardware.Jpeg(20_000, seed: 11);
    private static readonly byte[] AliceAtTheDoor = Hardware.Jpeg(30_000, seed: 21);
    private static readonly byte[] Stranger = Hardware.Jpeg(30_000, seed: 31);

    [Fact]
    public async Task Each_capture_check_is_audited_without_personal_data_and_judged_against_the_consent_in_force_read_by_id_from_before_the_period()
    {
        var face = Fake();
        await using var h = await StartAsync(face);
        var givenAt = await AliceEnrolledAsync(h);

        // Two days later (the consent's day is outside the report's period): Alice at the door, then a stranger; then Alice
        // withdraws, and her next capture is not even sent (nobody in b-1 consents any more).
        h.Clock.Advance(TimeSpan.FromDays(2));
        var verified = await CaptureAsync(h, "b-1", "cap-1", AliceAtTheDoor);
        var stranger = await CaptureAsync(h, "b-1", "cap-2", Stranger);
        h.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(StatusCodes.Status200OK, (await InvokeAsync(_ => h.Get<ResidentsApi>().WithdrawFacialEntryConsentAsync("r-alice", default))).Status);
        h.Clock.Advance(TimeSpan.FromHours(1));
        var after = await CaptureAsync(h, "b-1", "cap-3", AliceAtTheDoor);
        Assert.Equal(
            [FaceVerificationStatus.Verified, FaceVerificationStatus.NotVerified, FaceVerificationStatus.NoConsent],
            [verified.FaceCheck!.Status, stranger.FaceCheck!.Status, after.FaceCheck!.Status]);

        // The entries: ids only (the pseudonymous resident on a match, the consent entry's id), never an email or an image.
        var consentId = ConsentAudit.IdFor(ConsentAudit.Given, "r-alice", givenAt);
        var entries = (await h.AuditsAsync()).Where(a => a.Action == FacialEntryChecks.AuditAction).OrderBy(a => a.ItemRef, StringComparer.Ordinal).ToList();
        Assert.Equal(["recordings/b-1/door-1_cap-1", "recordings/b-1/door-1_cap-2", "recordings/b-1/door-1_cap-3"], entries.Select(e => e.ItemRef));
        Assert.Equal(["verified", "not-verified", "no-consent"], entries.Select(e => e.ReasonCode));
        Assert.Equal(["r-alice", null, null], entries.Select(e => e.SubjectId));
        Assert.Equal([consentId, consentId, null], entries.Select(e => e.ConsentEntryId));
        Assert.All(entries, e => Assert.DoesNotContain("@", JsonSerializer.Serialize(e), StringComparison.Ordinal));
        Assert.NotNull(await h.Get<AuditLog>().ReadAsync(consentId, givenAt, default));

        var from = new DateTimeOffset(Monday.UtcDateTime.Date, TimeSpan.Zero).AddDays(1);
        var report = await h.Get<ComplianceReportLoader>().BuildAsync(from, from.AddDays(3), default);
        var o3 = Assert.Single(report.Lines, l => l.Id == "O3:consent");
        Assert.Equal((LineStatus.Met, 3, 3), (o3.Status, o3.Due, o3.OnTime));
        var match = Assert.Single(o3.Items, i => i.ItemRef == "recordings/b-1/door-1_cap-1");
        Assert.Equal([FacialEntryChecks.AuditIdFor(verified), consentId], match.AuditIds);
        Assert.StartsWith("verified under the consent of residents/r-alice", match.Note, StringComparison.Ordinal);
        Assert.Equal("not processed: no-consent", Assert.Single(o3.Items, i => i.ItemRef == "recordings/b-1/door-1_cap-3").Note);
        Assert.DoesNotContain(report.Lines, l => l.Obligation == "O3" && l.Status == LineStatus.NoEvidenceKept);
    }

    [Fact]
    public async Task A_withdrawal_the_pipeline_ignores_is_named_under_O3_with_the_capture_matched_after_it()
    {
        var face = Fake();
        WithdrawalIgnoringStore? misread = null;
        await using var h = await StartAsync(face, services =>
        {
            var raw = services.Last(d => d.ServiceType == typeof(IRecordStore) && !d.IsKeyedService).ImplementationInstance as IRecordStore;
            misread = new WithdrawalIgnoringStore(raw!);
            services.AddSingleton<IRecordStore>(misread);
        });
        await AliceEnrolledAsync(h);
        h.Clock.Advance(TimeSpan.FromHours(1));
        var before = await CaptureAsync(h, "b-1", "cap-1", AliceAtTheDoor);

        // The mutation: from now on the pipeline reads Alice's consent as live and her enrollment as not ended, and the
        // Face API refuses the removal of her person; she withdraws (and the store has her withdrawal).
        misread!.Ignored = "r-alice";
        face.FailWhen = (method, _) => method == "DELETE";
        h.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(StatusCodes.Status200OK, (await InvokeAsync(_ => h.Get<ResidentsApi>().WithdrawFacialEntryConsentAsync("r-alice", default))).Status);
        var withdrawnAt = h.Clock.GetUtcNow();
        h.Clock.Advance(TimeSpan.FromHours(1));
        var afterwards = await CaptureAsync(h, "b-1", "cap-2", AliceAtTheDoor);
        Assert.Equal((FaceVerificationStatus.Verified, FaceVerificationStatus.Verified), (before.FaceCheck!.Status, afterwards.FaceCheck!.Status));

        // The auditor reads the store as it is.
        var store = misread.Inner;
        var schedule = new RetentionSchedule(store, h.Get<Microsoft.Extensions.Options.IOptions<RetentionOptions>>(), h.Clock);
        var loader = new ComplianceReportLoader(store, new AuditTrail(store), new AuditLog(store, schedule, h.Get<RetentionPolicy>()), schedule, h.Get<BusinessCalendars>(), h.Clock, h.Get<OneValet.Pipeline.Breaches.IncidentsApi>(), h.Get<Microsoft.Extensions.Options.IOptions<RetentionOptions>>());
        var report = await loader.BuildAsync(Monday.AddDays(-1), Monday.AddDays(1), default);

        // Only O3 breaks: the capture matched after the withdrawal (and the Face API person whose removal is still pending).
        Assert.All(report.Lines.Where(l => l.Status is not (LineStatus.Met or LineStatus.NothingDue or LineStatus.NoEvidenceKept)), l => Assert.Equal("O3", l.Obligation));
        var o3 = Assert.Single(report.Lines, l => l.Id == "O3:consent");
        Assert.Equal((LineStatus.Missed, 2, 1, 1), (o3.Status, o3.Due, o3.OnTime, o3.Missed));
        var missed = Assert.Single(o3.Items, i => i.State == ItemState.Missed);
        Assert.Equal("recordings/b-1/door-1_cap-2", missed.ItemRef);
        Assert.Contains("after residents/r-alice's facial-entry-consent-withdrawn", missed.Note, StringComparison.Ordinal);
        Assert.Equal(ConsentAudit.IdFor(ConsentAudit.Withdrawn, "r-alice", withdrawnAt), missed.AuditIds[^1]);
        Assert.Equal(ItemState.OnTime, Assert.Single(o3.Items, i => i.ItemRef == "recordings/b-1/door-1_cap-1").State);

        // 90 days on the captures are deleted (O4) and their check entries lose Alice and her consent: the verdict the records
        // gave at the deletion (the pipeline reads the truth again by then) still names the capture, citing its check alone.
        misread.Ignored = null;
        face.FailWhen = null;
        h.Clock.Advance(TimeSpan.FromDays(91));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.Null(await store.ReadAsync<RecordingRecord>(Containers.Recordings, "b-1", afterwards.Id));
        o3 = Assert.Single((await loader.BuildAsync(Monday.AddDays(-1), Monday.AddDays(1), default)).Lines, l => l.Id == "O3:consent");
        Assert.Equal((LineStatus.Missed, 2, 1, 1), (o3.Status, o3.Due, o3.OnTime, o3.Missed));
        missed = Assert.Single(o3.Items, i => i.State == ItemState.Missed);
        Assert.Equal("recordings/b-1/door-1_cap-2", missed.ItemRef);
        Assert.Equal([FacialEntryChecks.AuditIdFor(afterwards)], missed.AuditIds);
        Assert.Contains("after the consent's withdrawal or the resident's move-out", missed.Note, StringComparison.Ordinal);
        Assert.Contains("removed under O4", missed.Note, StringComparison.Ordinal);
        Assert.DoesNotContain("r-alice", missed.Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_a_capture_is_deleted_under_O4_its_check_entry_loses_the_person_and_keeps_the_verdict_the_report_then_shows()
    {
        var face = Fake();
        await using var h = await StartAsync(face);
        var givenAt = await AliceEnrolledAsync(h);
        h.Clock.Advance(TimeSpan.FromHours(1));
        var verified = await CaptureAsync(h, "b-1", "cap-1", AliceAtTheDoor);
        var stranger = await CaptureAsync(h, "b-1", "cap-2", Stranger);
        var consentId = ConsentAudit.IdFor(ConsentAudit.Given, "r-alice", givenAt);
        var day = new DateTimeOffset(Monday.UtcDateTime.Date, TimeSpan.Zero);
        var loader = h.Get<ComplianceReportLoader>();

        // While the captures exist, the report proves O3 from the check and consent entries, naming Alice.
        var o3 = Assert.Single((await loader.BuildAsync(day, day.AddDays(1), default)).Lines, l => l.Id == "O3:consent");
        Assert.StartsWith("verified under the consent of residents/r-alice", Assert.Single(o3.Items, i => i.ItemRef == "recordings/b-1/door-1_cap-1").Note, StringComparison.Ordinal);

        // At 90 days (O4) both go, and with them every trace of whom they matched and whose consent let them be sent.
        h.Clock.Advance(TimeSpan.FromDays(90));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.Null(await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, "b-1", verified.Id));
        var audit = h.Get<AuditLog>();
        var checks = new List<AuditRecord>();
        foreach (var capture in new[] { verified, stranger })
        {
            checks.Add((await audit.ReadAsync(FacialEntryChecks.AuditIdFor(capture), capture.CapturedAt, default))!);
        }

        Assert.All(checks, c =>
        {
            Assert.Equal((null, null, (DateTimeOffset?)null), (c.SubjectId, c.ConsentEntryId, c.ConsentAt));
            Assert.Equal(ItemState.OnTime, c.ConsentVerdict!.State);
            var json = JsonSerializer.Serialize(c, RecordJson.Options);
            Assert.DoesNotContain("r-alice", json, StringComparison.Ordinal);
            Assert.DoesNotContain(consentId, json, StringComparison.Ordinal);
            Assert.DoesNotContain(RecordJson.Timestamp(givenAt), json, StringComparison.Ordinal);
        });
        Assert.Equal(["verified", "not-verified"], checks.Select(c => c.ReasonCode));
        Assert.Equal(("recordings/b-1/door-1_cap-1", "b-1", verified.CapturedAt), (checks[0].ItemRef, checks[0].BuildingId, checks[0].EventAt));
        Assert.StartsWith("verified under the matched resident's own consent", checks[0].ConsentVerdict!.Note, StringComparison.Ordinal);
        Assert.StartsWith("not-verified under a live consent of a resident of the building", checks[1].ConsentVerdict!.Note, StringComparison.Ordinal);

        // The deletions themselves: by reference and building, the holds in force listed (none), no person.
        var deletions = (await h.AuditsAsync()).Where(a => a is { Action: "deleted", Outcome: "completed" } && a.ItemRef.StartsWith("recordingVersion/b-1/", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, deletions.Count);
        Assert.All(deletions, d => Assert.Equal((null, 0), (d.SubjectId, d.HoldsInForce!.Count)));

        // The report now shows the verdicts kept, says why it cannot re-prove them, and cites the check entry alone.
        o3 = Assert.Single((await loader.BuildAsync(day, day.AddDays(1), default)).Lines, l => l.Id == "O3:consent");
        Assert.Equal((LineStatus.Met, 2, 2), (o3.Status, o3.Due, o3.OnTime));
        Assert.All(o3.Items, i =>
        {
            Assert.Single(i.AuditIds);
            Assert.Contains("removed under O4", i.Note, StringComparison.Ordinal);
            Assert.DoesNotContain("r-alice", i.Note, StringComparison.Ordinal);
        });

        // Rewriting is idempotent: a rerun of the deletion path leaves the entry as it is.
        var again = await audit.ReadAsync(FacialEntryChecks.AuditIdFor(verified), verified.CapturedAt, default);
        await h.Get<FacialEntryCheckEntries>().ForgetPersonAsync(new ScheduleEntry
        {
            Kind = ItemKind.RecordingVersion, ItemPartition = "b-1", ItemId = verified.Id, Version = 1, Sha256 = verified.Sha256, BuildingId = "b-1", EventAt = verified.CapturedAt,
            Category = DataCategories.FacialEntryAuthentication, Rule = h.Get<RetentionPolicy>().ForAuthenticationEvent(), Deadline = h.Clock.GetUtcNow(),
        }, default);
        Assert.Equal(again, await audit.ReadAsync(FacialEntryChecks.AuditIdFor(verified), verified.CapturedAt, default));
    }

    [Fact]
    public void The_judgement_names_checks_without_a_findable_consent_before_a_consent_or_under_another_residents_consent()
    {
        var t = Monday;
        var grantA = Entry("g-a", ConsentAudit.Given, "residents/r-a", t);
        var grantB = Entry("g-b", ConsentAudit.Given, "residents/r-b", t.AddHours(5));
        var movedOutB = Entry("mo-b", "moved-out", "residents/r-b", t.AddHours(7));
        AuditEntryView Check(string id, string code, DateTimeOffset at, string? subject, AuditEntryView? consent, string? consentId = null) =>
            new(id, AuditLog.PartitionFor(at), new AuditRecord
            {
                Action = FacialEntryChecks.AuditAction, ItemRef = "recordings/b-1/" + id, ReasonCode = code, SubjectId = subject, BuildingId = "b-1", Obligation = "O3",
                ConsentEntryId = consentId ?? consent?.Id, ConsentAt = consent?.Entry.At, At = at, DoneAt = at,
            });
        AuditEntryView[] trail =
        [
            grantA, grantB, movedOutB,
            Check("ok", "verified", t.AddHours(1), "r-a", grantA),
            Check("not-sent", "no-consent", t.AddHours(1), null, null),
            Check("no-consent-named", "no-face", t.AddHours(1), null, null),
            Check("unknown-consent", "not-verified", t.AddHours(1), null, null, consentId: "nowhere"),
            Check("before-consent", "not-verified", t.AddHours(4), null, grantB),
            Check("others-consent", "verified", t.AddHours(6), "r-a", grantB),
            Check("after-move-out", "not-verified", t.AddHours(8), null, grantB),
            Check("outside", "verified", t.AddDays(3), "r-a", grantA),
        ];
        var report = ComplianceReportBuilder.Build(t.AddHours(-1), t.AddDays(1), t.AddDays(2), new ReportRecords(trail, [], [], []));
        var o3 = Assert.Single(report.Lines, l => l.Id == "O3:consent");
        ItemState StateOf(string id) => Assert.Single(o3.Items, i => i.ItemRef == "recordings/b-1/" + id).State;
        Assert.Equal(
            [ItemState.OnTime, ItemState.OnTime, ItemState.ProofMissing, ItemState.ProofMissing, ItemState.Missed, ItemState.Missed, ItemState.Missed],
            new[] { "ok", "not-sent", "no-consent-named", "unknown-consent", "before-consent", "others-consent", "after-move-out" }.Select(StateOf));
        Assert.Equal((LineStatus.Missed, 7), (o3.Status, o3.Due));
        Assert.Equal(["after-move-out", "mo-b"], Assert.Single(o3.Items, i => i.ItemRef.EndsWith("after-move-out", StringComparison.Ordinal)).AuditIds.Where(a => a != "g-b"));
    }

    private static AuditEntryView Entry(string id, string action, string itemRef, DateTimeOffset at) =>
        new(id, AuditLog.PartitionFor(at), new AuditRecord { Action = action, ItemRef = itemRef, Obligation = "O3", At = at, DoneAt = at });

    private static FakeFaceService Fake()
    {
        var face = new FakeFaceService();
        face.Shows(AliceReference, "alice");
        face.Shows(AliceAtTheDoor, "alice");
        face.Shows(Stranger, "stranger");
        return face;
    }

    private static Task<PipelineHarness> StartAsync(FakeFaceService face, Action<IServiceCollection>? configure = null) =>
        PipelineHarness.StartAsync(
            new Dictionary<string, string?> { ["OneValet:Faces:Endpoint"] = FakeFaceService.Endpoint, ["OneValet:Faces:LargePersonGroupPrefix"] = FakeFaceService.GroupPrefix },
            Monday,
            services =>
            {
                services.AddSingleton(face.CreateApi());
                configure?.Invoke(services);
            });

    /// <summary>Alice, a resident of b-1, consents and enrolls her reference; returns when her consent was given.</summary>
    private static async Task<DateTimeOffset> AliceEnrolledAsync(PipelineHarness h)
    {
        await RegisterAsync(h, "r-alice", "b-1");
        await ConsentAsync(h, "r-alice");
        var givenAt = h.Clock.GetUtcNow();
        Assert.Equal(StatusCodes.Status201Created, (await EnrollAsync(h, "r-alice", AliceReference)).Status);
        return givenAt;
    }

    private static async Task RegisterAsync(PipelineHarness h, string residentId, string buildingId) =>
        Assert.Equal(StatusCodes.Status201Created, (await InvokeAsync(ctx => h.Get<ResidentsApi>().PutResidentAsync(residentId, Json(ctx, $$"""
            {"buildingId":"{{buildingId}}","unitId":"u-1","movedInAt":"2026-01-01T00:00:00Z","email":"{{residentId}}@example.com"}
            """), default))).Status);

    private static async Task ConsentAsync(PipelineHarness h, string residentId) =>
        Assert.Equal(StatusCodes.Status200OK, (await InvokeAsync(ctx => h.Get<ResidentsApi>().GiveFacialEntryConsentAsync(residentId, Json(ctx, """{"policyVersion":"2022-06-29"}"""), default))).Status);

    private static Task<(int Status, string Body)> EnrollAsync(PipelineHarness h, string residentId, byte[] image) =>
        InvokeAsync(ctx =>
        {
            ctx.Request.ContentType = "image/jpeg";
            ctx.Request.Body = new MemoryStream(image);
            return h.Get<FacialEnrollments>().PutAsync(residentId, ctx.Request, default);
        });

    private static async Task<RecordingRecord> CaptureAsync(PipelineHarness h, string buildingId, string captureId, byte[] bytes)
    {
        var name = $"{buildingId}/door-1/{captureId}.jpg";
        await Hardware.UploadAsync(h.Recordings, name, bytes, Hardware.Metadata(h.Clock.GetUtcNow(), kind: "facial-entry"));
        await h.Get<RecordingIngestor>().IngestAsync(name, default);
        return (await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, buildingId, RecordingRecord.IdFor("door-1", captureId)))!.Document;
    }

    /// <summary>The store as the pipeline sees it when a withdrawal is ignored: the chosen resident's consent reads as live
    /// and their enrollment as not ended (what is stored is unchanged).</summary>
    private sealed class WithdrawalIgnoringStore(IRecordStore inner) : IRecordStore
    {
        public IRecordStore Inner => inner;

        public string? Ignored { get; set; }

        public async Task<StoredRecord<T>?> ReadAsync<T>(string container, string partitionKey, string id, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync<T>(container, partitionKey, id, cancellationToken);
            if (container != Containers.Residents || partitionKey != Ignored)
            {
                return read;
            }

            return (object?)read switch
            {
                StoredRecord<ResidentRecord> { Document.FacialEntry: { } consent } r => (StoredRecord<T>)(object)(r with { Document = r.Document with { FacialEntry = consent with { WithdrawnAt = null } } }),
                StoredRecord<FacialEnrollmentRecord> e => (StoredRecord<T>)(object)(e with { Document = e.Document with { EndedAt = null } }),
                _ => read,
            };
        }

        public Task<StoredRecord<T>> CreateAsync<T>(string container, string partitionKey, string id, T document, CancellationToken cancellationToken = default) =>
            inner.CreateAsync(container, partitionKey, id, document, cancellationToken);

        public Task<StoredRecord<T>> UpsertAsync<T>(string container, string partitionKey, string id, T document, CancellationToken cancellationToken = default) =>
            inner.UpsertAsync(container, partitionKey, id, document, cancellationToken);

        public Task<StoredRecord<T>> ReplaceAsync<T>(string container, string partitionKey, string id, T document, string ifMatchETag, CancellationToken cancellationToken = default) =>
            inner.ReplaceAsync(container, partitionKey, id, document, ifMatchETag, cancellationToken);

        public Task<bool> DeleteAsync(string container, string partitionKey, string id, CancellationToken cancellationToken = default) =>
            inner.DeleteAsync(container, partitionKey, id, cancellationToken);

        public Task<RecordPage<T>> QueryAsync<T>(string container, string partitionKey, RecordQuery query, int pageSize, string? continuation, CancellationToken cancellationToken = default) =>
            inner.QueryAsync<T>(container, partitionKey, query, pageSize, continuation, cancellationToken);
    }
}
