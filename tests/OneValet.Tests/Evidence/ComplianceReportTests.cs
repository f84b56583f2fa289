using System.Text.Json;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Evidence;
using Microsoft.Extensions.DependencyInjection;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using OneValet.Tests.Retention;
using OneValet.Tests.Simulation;
using Xunit;

namespace OneValet.Tests.Evidence;

/// <summary>
/// The compliance report (issue 18) over records written by the real pipeline services on real Azurite and SQLite with a
/// fake clock: each obligation's line counts what was due, done, late and missed, cites the audit entries that prove each
/// item, and reports a removed audit entry as missing (never inferred from the other records).
/// </summary>
public sealed class ComplianceReportTests(MailDevFixture maildev) : IClassFixture<MailDevFixture>
{
    private static readonly DateTimeOffset Monday = new(2026, 3, 2, 15, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Request_clocks_are_judged_per_obligation_and_jurisdiction_and_a_removed_audit_entry_shows_as_missing()
    {
        _ = maildev;
        var transport = new SimulationTransport();
        await using var h = await PipelineHarness.StartAsync(now: Monday, configure: s => s.AddSingleton<IMessageTransport>(transport));
        var service = h.Get<PrivacyRequestService>();
        var access = await SubmitAsync(h, RequestType.Access, "california");
        var deletion = await SubmitAsync(h, RequestType.Deletion, "canada");
        var correction = await SubmitAsync(h, RequestType.Correction, "california");

        h.Clock.Advance(TimeSpan.FromHours(1));
        var acknowledgedAt = h.Clock.GetUtcNow();
        foreach (var id in new[] { access, deletion, correction })
        {
            await service.AcknowledgeAsync(id, default);
        }

        // The acknowledgements go out through the dispatcher (D1: receipt is confirmed by a notice the report looks up).
        Assert.Empty(await transport.DrainAsync(h.Get<MessageHandlers>(), _ => Task.CompletedTask));

        h.Clock.Advance(TimeSpan.FromDays(2));
        var (extended, error) = await service.ExtendAsync(correction, "waiting for property management", default);
        Assert.Null(error);
        Assert.Equal(Monday + TimeSpan.FromDays(90), extended!.EffectiveDueAt);
        Assert.Empty(await transport.DrainAsync(h.Get<MessageHandlers>(), _ => Task.CompletedTask));

        // Open requests, soonest due first: the Canadian deletion (30 days), the access (45), the extended correction (90).
        var (status, body) = await RetentionEngineTests.InvokeAsync(_ => h.Get<EvidenceApi>().ListOpenRequestsAsync(null, null, default));
        Assert.Equal(200, status);
        var open = JsonDocument.Parse(body).RootElement.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("requestId").GetString()).ToList();
        Assert.Equal([deletion, access, correction], open);
        Assert.DoesNotContain("report.test", body, StringComparison.Ordinal);

        h.Clock.Advance(TimeSpan.FromDays(38)); // day 40 and an hour: the access 5 days (less an hour) early, the deletion 10 days late
        await service.CloseAsync(new RequestClose(access, RequestStatus.Completed, null), default);
        await service.CloseAsync(new RequestClose(deletion, RequestStatus.Completed, null), default);
        h.Clock.Advance(TimeSpan.FromDays(60)); // day 100: the correction, due on day 90, never answered

        var loader = h.Get<ComplianceReportLoader>();
        var report = await loader.BuildAsync(Monday.AddDays(-1), Monday.AddDays(120), default);
        Assert.Equal([.. Enumerable.Range(1, 18).Select(n => "O" + n)], report.Lines.Where(l => l.Obligation != "D1").Select(l => l.Obligation).Distinct());

        var o8 = Line(report, "O8:response");
        Assert.Equal((LineStatus.Met, 1, 1), (o8.Status, o8.Due, o8.OnTime));
        var accessItem = Assert.Single(o8.Items);
        Assert.Equal(-(TimeSpan.FromDays(5) - TimeSpan.FromHours(1)).TotalSeconds, accessItem.LagSeconds);
        Assert.Equal([PrivacyRequestService.StepAuditId("closed", access)], accessItem.AuditIds);
        var closedAudit = await h.Get<AuditLog>().ReadAsync(accessItem.AuditIds[0], accessItem.DoneAt!.Value, default);
        Assert.Equal(("request-closed", "requests/" + access, "completed"), (closedAudit!.Action, closedAudit.ItemRef, closedAudit.Outcome));

        var o9 = Line(report, "O9:response");
        Assert.Equal((LineStatus.Late, 1), (o9.Status, o9.Late));
        Assert.Equal((TimeSpan.FromDays(10) + TimeSpan.FromHours(1)).TotalSeconds, o9.Lag!.Max);
        var o11 = Line(report, "O11:response");
        Assert.Equal((LineStatus.Missed, 1), (o11.Status, o11.Missed));
        Assert.Equal("requests/" + correction, o11.Items[0].ItemRef);
        Assert.Equal(LineStatus.Missed, Line(report, "D1:respond:california").Status);
        Assert.Equal(LineStatus.Late, Line(report, "D1:respond:canada").Status);
        Assert.Equal((LineStatus.Met, 1), (Line(report, "D1:extension:california").Status, Line(report, "D1:extension:california").OnTime));
        var ackCalifornia = Line(report, "D1:acknowledge:california");
        Assert.Equal((LineStatus.Met, 2, 2), (ackCalifornia.Status, ackCalifornia.Due, ackCalifornia.OnTime));
        Assert.Equal($"deliveries/request-{access}/request-received-{access}", Assert.Single(Assert.Single(ackCalifornia.Items, i => i.ItemRef == "requests/" + access).Deliveries!));
        // O1 is judged from the catalogue entries ingestion writes; this scenario stored nothing, and no line is left unproven.
        Assert.Equal(LineStatus.NothingDue, Line(report, "O1:catalogued").Status);
        Assert.DoesNotContain(report.Lines, l => l.Status == LineStatus.NoEvidenceKept);

        // O17: the two closed requests left the service as it was; the unanswered correction is not judged yet.
        var o17 = Line(report, "O17:service");
        Assert.Equal((LineStatus.Met, 2, 1), (o17.Status, o17.OnTime, o17.Open));

        // O10: closed here by the service itself, with no work step and no verification: each completed one is named as
        // missing its proof, never taken as verified.
        var o10 = Line(report, "O10:verified");
        Assert.Equal((LineStatus.ProofMissing, 2), (o10.Status, o10.ProofMissing));
        Assert.Equal(new[] { "requests/" + access, "requests/" + deletion }.Order(StringComparer.Ordinal), o10.Items.Select(i => i.ItemRef).Order(StringComparer.Ordinal));
        Assert.All(o10.Items, i => Assert.Contains("work's start is missing", i.Note, StringComparison.Ordinal));

        // An auditor's copy of the trail lost the access request's acknowledgement: the record still says it was done, the
        // report says the proof is missing.
        Assert.True(await h.Store.DeleteAsync(Containers.Audit, AuditLog.PartitionFor(acknowledgedAt), PrivacyRequestService.StepAuditId("acknowledged", access)));
        var after = await loader.BuildAsync(Monday.AddDays(-1), Monday.AddDays(120), default);
        var ack = Line(after, "D1:acknowledge:california");
        Assert.Equal((LineStatus.ProofMissing, 1, 1), (ack.Status, ack.ProofMissing, ack.OnTime));
        var missing = Assert.Single(ack.Items, i => i.State == ItemState.ProofMissing);
        Assert.Equal(("requests/" + access, acknowledgedAt), (missing.ItemRef, missing.DoneAt));
        Assert.Empty(missing.AuditIds);

        var html = ComplianceReportHtml.Render(after);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("proof-missing", html, StringComparison.Ordinal);
        Assert.Contains("requests/" + access, html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("report.test", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deletions_carry_their_lag_and_audit_ids_an_unfinished_one_is_missed_and_a_start_without_completion_is_missing_proof()
    {
        await using var h = await PipelineHarness.StartAsync(new Dictionary<string, string?> { ["OneValet:Retention:SurveillanceFootage"] = "00:10:00" }, Monday);
        var start = h.Clock.GetUtcNow();
        await RetentionEngineTests.UploadAndIngestAsync(h, "b-1", 3);
        var schedule = h.Get<RetentionSchedule>();
        var bucket = Assert.Single(await schedule.BucketsDueByAsync(start.AddHours(1), default));
        h.Clock.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(3, (await h.Get<RetentionEnforcer>().EnforceBucketAsync(bucket.Key, includeHeld: false, default)).Deleted);

        // A fourth recording whose deadline passes with no enforcement at all (the sweep off).
        var late = new UploadName("b-1", "door-1", "cap-late", "mp4");
        await Hardware.UploadAsync(h.Recordings, late.BlobName, Hardware.Mp4(20_000, seed: 9), Hardware.Metadata(h.Clock.GetUtcNow().AddSeconds(-30)));
        await h.Get<RecordingIngestor>().IngestAsync(late.BlobName, default);
        h.Clock.Advance(TimeSpan.FromMinutes(11));

        var loader = h.Get<ComplianceReportLoader>();
        var report = await loader.BuildAsync(start.AddHours(-1), start.AddHours(2), default);
        var o2 = Line(report, "O2:deletion");
        Assert.Equal((4, 3, 1, LineStatus.Missed), (o2.Due, o2.Done, o2.Missed, o2.Status));
        var trail = await h.Get<AuditTrail>().AllAsync(start.AddHours(-1), start.AddHours(2), new AuditFilter(Obligation: "O2", Outcome: "completed"), default);
        Assert.Equal(3, trail.Count);
        foreach (var item in o2.Items.Where(i => i.State != ItemState.Missed))
        {
            var proof = Assert.Single(trail, t => t.Id == Assert.Single(item.AuditIds));
            Assert.Equal(proof.Entry.ItemRef, item.ItemRef);
            Assert.Equal(proof.Entry.LagSeconds, item.LagSeconds);
            Assert.Equal(item.LagSeconds > 0 ? ItemState.Late : ItemState.OnTime, item.State);
        }

        Assert.InRange(o2.Lag!.Max, 0, 120);
        var missed = Assert.Single(o2.Items, i => i.State == ItemState.Missed);
        Assert.StartsWith("recordingVersion/b-1/", missed.ItemRef, StringComparison.Ordinal);
        Assert.Empty(missed.AuditIds);

        // One entry keeps only its start (as after a crash between deletion and completion, or a tampered trail).
        var first = trail[0];
        await h.Store.UpsertAsync(Containers.Audit, first.Day, first.Id, first.Entry with { Outcome = "started", LagSeconds = null, How = null });
        var after = Line(await loader.BuildAsync(start.AddHours(-1), start.AddHours(2), default), "O2:deletion");
        var proofMissing = Assert.Single(after.Items, i => i.State == ItemState.ProofMissing);
        Assert.Equal((first.Entry.ItemRef, 1, 2), (proofMissing.ItemRef, after.ProofMissing, after.Done));
    }

    [Fact]
    public async Task The_audit_route_reads_one_day_partition_at_a_time_filters_pages_and_refuses_what_it_did_not_hand_out()
    {
        await using var h = await PipelineHarness.StartAsync(now: Monday);
        var audit = h.Get<AuditLog>();
        var written = new List<string>();
        async Task WriteAsync(DateTimeOffset at, string action, string obligation, string item)
        {
            var id = AuditLog.IdFor(action, item);
            written.Add(id);
            await audit.WriteAsync(id, new AuditRecord { Action = action, ItemRef = item, Obligation = obligation, At = at, DoneAt = at, Outcome = "completed" }, default);
        }

        for (var i = 0; i < 3; i++)
        {
            await WriteAsync(Monday.AddHours(i), "deleted", "O2", $"recordingVersion/b-1/door-1_c{i}/1");
        }

        // Nothing on Tuesday; Wednesday has two O4 deletions and a quarantine.
        await WriteAsync(Monday.AddDays(2), "deleted", "O4", "doorEvent/r-1/e1/0");
        await WriteAsync(Monday.AddDays(2).AddHours(1), "deleted", "O4", "doorEvent/r-1/e2/0");
        await WriteAsync(Monday.AddDays(2).AddHours(2), "quarantined", "O1", "b-1/door-1/c9.mp4");
        var api = h.Get<EvidenceApi>();
        var from = "2026-03-02T00:00:00Z";
        var to = "2026-03-05T00:00:00Z";

        var seen = new List<string>();
        string? continuation = null;
        var pages = 0;
        do
        {
            var (status, body) = await RetentionEngineTests.InvokeAsync(_ => api.ListAuditAsync(from, to, null, null, null, null, "2", continuation, default));
            Assert.Equal(200, status);
            var page = JsonDocument.Parse(body).RootElement;
            Assert.InRange(page.GetProperty("items").GetArrayLength(), 1, 2);
            Assert.InRange(page.GetProperty("partitionsRead").GetInt32(), 1, AuditTrail.MaxPartitionsPerPage);
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetString()!));
            continuation = page.TryGetProperty("continuation", out var c) ? c.GetString() : null;
            pages++;
        }
        while (continuation is not null && pages < 10);
        Assert.Equal(written.Order(), seen.Order());

        var (_, o4) = await RetentionEngineTests.InvokeAsync(_ => api.ListAuditAsync(from, to, "O4", "deleted", null, null, null, null, default));
        Assert.Equal(2, JsonDocument.Parse(o4).RootElement.GetProperty("items").GetArrayLength());
        var (_, quarantine) = await RetentionEngineTests.InvokeAsync(_ => api.ListQuarantineAsync(from, to, null, null, default));
        Assert.Equal("b-1/door-1/c9.mp4", JsonDocument.Parse(quarantine).RootElement.GetProperty("items")[0].GetProperty("entry").GetProperty("itemRef").GetString());
        var (_, one) = await RetentionEngineTests.InvokeAsync(_ => api.ListAuditAsync(from, to, null, null, "doorEvent/r-1/e2/0", null, null, null, default));
        Assert.Equal(written[4], JsonDocument.Parse(one).RootElement.GetProperty("items")[0].GetProperty("id").GetString());

        // A continuation pointing outside the range, one not base64url, one not ours; bad ranges and sizes: all 400.
        var outside = ContinuationTokens.Encode("2026-04-01|");
        foreach (var (f, t, size, token) in new (string?, string?, string?, string?)[]
        {
            (from, to, null, outside), (from, to, null, "%%%"), (from, to, null, ContinuationTokens.Encode("2026-03-02")), (from, to, null, ContinuationTokens.Encode("x|y")),
            (null, to, null, null), (to, from, null, null), (from, from, null, null), ("2026-03-02", to, null, null), ("2020-01-01T00:00:00Z", to, null, null),
            (from, to, "0", null), (from, to, "1001", null), (from, to, "-1", null), (from, to, "1e3", null),
        })
        {
            var (status, body) = await RetentionEngineTests.InvokeAsync(_ => api.ListAuditAsync(f, t, null, null, null, null, size, token, default));
            Assert.True(status == 400, $"{f} {t} {size} {token}: {status} {body}");
        }

        var (badFormat, _) = await RetentionEngineTests.InvokeAsync(_ => api.GetComplianceReportAsync(from, to, "pdf", default));
        Assert.Equal(400, badFormat);
        var (htmlStatus, html) = await RetentionEngineTests.InvokeAsync(_ => api.GetComplianceReportAsync(from, to, "html", default));
        Assert.Equal(200, htmlStatus);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
    }

    private static ReportLine Line(ComplianceReport report, string id) => Assert.Single(report.Lines, l => l.Id == id);

    private static async Task<string> SubmitAsync(PipelineHarness h, RequestType type, string jurisdiction)
    {
        var service = h.Get<PrivacyRequestService>();
        // One person on file per jurisdiction (the report recomputes the clocks from the record on file).
        var subject = "r-" + jurisdiction;
        await h.Store.UpsertAsync(Containers.Residents, subject, ResidentRecord.DocumentId, new ResidentRecord
        {
            ResidentId = subject, BuildingId = "b-1", UnitId = "u-1", MovedInAt = Monday.AddYears(-1), Email = subject + "@report.test", Jurisdiction = jurisdiction,
        });
        var input = new PrivacyRequestInput(type, jurisdiction, jurisdiction == "canada" ? "on" : null, new SubjectInput(subject, null, null), "web", null,
            type == RequestType.Correction ? new CorrectionInput("phone", "555-0100", null) : null, null);
        var record = service.NewRecord(input, subject, h.Clock.GetUtcNow());
        await service.RegisterAsync(record, default);
        return record.RequestId;
    }
}
