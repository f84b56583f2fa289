using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Evidence;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;
using static OneValet.Tests.Retention.RetentionEngineTests;

namespace OneValet.Tests.Evidence;

/// <summary>
/// O1 from records: ingestion writes one catalogue entry per call listing what it stored with its rule (never the person),
/// and the report finds each listed item's deadline in the schedule; the same schedule entries, set against the trail,
/// show a deletion marked done that left no audit entry at all.
/// </summary>
public sealed class CatalogueEvidenceTests
{
    private static readonly DateTimeOffset From = new(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_door_event_batch_is_catalogued_once_without_the_person_and_an_item_whose_deadline_is_not_in_the_schedule_is_named()
    {
        await using var h = await PipelineHarness.StartAsync();
        await RegisterAsync(h, "r-a", "b-1");
        await RegisterAsync(h, "r-b", "b-1");
        var now = h.Clock.GetUtcNow();
        DoorEventInput[] events =
        [
            new("ev-1", "door-1", EntryMethod.Fob, "r-a", now.AddMinutes(-10), true),
            new("ev-2", "door-1", EntryMethod.Face, "r-b", now.AddMinutes(-9), true),
            new("ev-3", "door-2", EntryMethod.Pin, null, now.AddMinutes(-8), false),
        ];
        for (var post = 0; post < 2; post++)
        {
            // The second post is the hardware resending the batch: recognised, and catalogued under the same entry.
            var posted = await InvokeAsync(ctx => h.Get<DoorEventsApi>().PostAsync("b-1", Json(ctx, JsonSerializer.Serialize(new DoorEventBatch(events), ApiJson.Options)), default));
            Assert.Equal(StatusCodes.Status202Accepted, posted.Status);
        }

        var day = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var catalogued = Assert.Single(await h.Get<AuditTrail>().AllAsync(day, day.AddDays(1), new AuditFilter(Action: Catalogue.Action), default));
        Assert.Equal(("O1", "door-events/b-1"), (catalogued.Entry.Obligation, catalogued.Entry.ItemRef));
        Assert.Equal(["ev-1", "ev-2", "ev-3"], catalogued.Entry.Catalogued!.Select(i => i.ItemId));
        Assert.All(catalogued.Entry.Catalogued!, i =>
        {
            Assert.Equal(("authentication-data", "keyless entry", DoorEventsApi.Source, "O4"), (i.Category, i.Purpose, i.Source, i.Obligation));
            Assert.NotNull(i.Bucket);
        });
        // No person in it: neither resident id, nor anything of their partition.
        var json = JsonSerializer.Serialize(catalogued.Entry, ApiJson.Options);
        Assert.DoesNotContain("r-a", json, StringComparison.Ordinal);
        Assert.DoesNotContain("r-b", json, StringComparison.Ordinal);

        var loader = h.Get<ComplianceReportLoader>();
        var o1 = Assert.Single((await loader.BuildAsync(day, day.AddDays(1), default)).Lines, l => l.Id == "O1:catalogued");
        Assert.Equal((LineStatus.Met, 3, 3), (o1.Status, o1.Due, o1.OnTime));
        Assert.Equal(["doorEvent/b-1/ev-1/0", "doorEvent/b-1/ev-2/0", "doorEvent/b-1/ev-3/0"], o1.Items.Select(i => i.ItemRef).Order(StringComparer.Ordinal));
        Assert.All(o1.Items, i =>
        {
            Assert.Equal([catalogued.Id], i.AuditIds);
            Assert.Contains("under tdpa-authentication-90d (O4)", i.Note, StringComparison.Ordinal);
            Assert.Contains("pending in the schedule", i.Note, StringComparison.Ordinal);
        });

        // The deadline of r-b's event goes missing from the schedule (a lost write): its record stays, nothing would delete it.
        var item = catalogued.Entry.Catalogued!.Single(i => i.ItemId == "ev-2");
        Assert.True(await h.Store.DeleteAsync(Containers.Schedule, item.Bucket!, ScheduleEntry.ItemRefOf(ItemKind.DoorEvent, "b-1", "ev-2", 0).Replace('/', '~')));
        o1 = Assert.Single((await loader.BuildAsync(day, day.AddDays(1), default)).Lines, l => l.Id == "O1:catalogued");
        Assert.Equal((LineStatus.Missed, 1, 2), (o1.Status, o1.Missed, o1.OnTime));
        var missed = Assert.Single(o1.Items, i => i.State == ItemState.Missed);
        Assert.Equal("doorEvent/b-1/ev-2/0", missed.ItemRef);
        Assert.Contains("the schedule holds no deadline for it", missed.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void The_report_names_a_stored_item_missing_a_field_a_refusal_without_its_reason_and_a_deletion_done_without_an_entry()
    {
        var at = From.AddDays(3);
        var rule = new RetentionRule("tdpa-authentication-90d", "O4", TimeSpan.FromDays(90), RetentionAction.Delete);
        ScheduleEntry Entry(string id, DateTimeOffset deadline, EntryStatus status) => new()
        {
            Kind = ItemKind.DoorEvent, ItemPartition = "building:b-1", ItemId = id, BuildingId = "b-1", EventAt = deadline - rule.Period,
            Category = "authentication-data", Purpose = "keyless entry", Source = DoorEventsApi.Source, Rule = rule, Deadline = deadline,
            Status = status, DoneAt = status == EntryStatus.Done ? deadline : null,
        };
        var complete = Entry("ev-ok", at.AddDays(90), EntryStatus.Pending);
        var noSource = Entry("ev-no-source", at.AddDays(90), EntryStatus.Pending) with { Source = null };
        var goneAudited = Entry("ev-gone-audited", From.AddDays(5), EntryStatus.Done);
        var goneUnaudited = Entry("ev-gone-unaudited", From.AddDays(6), EntryStatus.Done);
        var batch = View("batch", new AuditRecord
        {
            Action = Catalogue.Action, ItemRef = "door-events/b-1", Obligation = "O1", At = at, DoneAt = at,
            Catalogued = [CataloguedItem.Of(complete, "k1"), CataloguedItem.Of(noSource, "k1")],
        });
        var earlier = View("earlier", new AuditRecord
        {
            Action = Catalogue.Action, ItemRef = "door-events/b-1", Obligation = "O1", At = From.AddDays(-80), DoneAt = From.AddDays(-80),
            Catalogued = [CataloguedItem.Of(goneAudited, "k0"), CataloguedItem.Of(goneUnaudited, "k0")],
        });
        var quarantined = View("refused", new AuditRecord
        {
            Action = "quarantined", ItemRef = "recordings/b-1/door-1/c9.mp4", At = at, DoneAt = at,
            Catalogued = [new CataloguedItem(ItemKind.QuarantinedUpload, "q1", 0, "b-1", "sensory", "data security", "entry-console", "quarantined-footage-default-30d", "O2", at.AddDays(30), "k2")],
        });
        var enrolled = View("enrolled", new AuditRecord
        {
            Action = "facial-entry-enrolled", ItemRef = "residents/r-1/facial-enrollment", At = at, DoneAt = at,
            Catalogued = [new CataloguedItem(ItemKind.FacialEnrollment, "facial-enrollment", 7, "b-1", "facial-entry-reference", "granting entry by face", "app enrollment", "tdpa-reference-90d", "O5", null, null)],
        });
        var deletion = View("deletion", new AuditRecord
        {
            Action = "deleted", ItemRef = goneAudited.ItemRef, Obligation = "O4", RuleId = rule.RuleId, Deadline = goneAudited.Deadline, Outcome = "completed",
            At = goneAudited.Deadline, DoneAt = goneAudited.Deadline,
        });
        var quarantineEntry = Entry("q1", at.AddDays(30), EntryStatus.Pending) with { Kind = ItemKind.QuarantinedUpload, Rule = rule with { RuleId = "quarantined-footage-default-30d", Obligation = "O2" } };
        var records = new ReportRecords([batch, quarantined, enrolled, deletion], [], [], [],
            Catalogue:
            [
                new(batch, batch.Entry.Catalogued![0], complete), new(batch, batch.Entry.Catalogued![1], noSource),
                new(quarantined, quarantined.Entry.Catalogued![0], quarantineEntry), new(enrolled, enrolled.Entry.Catalogued![0], null),
                new(earlier, earlier.Entry.Catalogued![0], goneAudited), new(earlier, earlier.Entry.Catalogued![1], goneUnaudited),
            ]);

        var report = ComplianceReportBuilder.Build(From, From.AddDays(30), From.AddDays(40), records);

        // O1: the items of the period only (the earlier batch is there for the deletions' cross-check).
        var o1 = Assert.Single(report.Lines, l => l.Id == "O1:catalogued");
        Assert.Equal(["doorEvent/b-1/ev-no-source/0", "quarantinedUpload/b-1/q1/0"], o1.Items.Where(i => i.State == ItemState.Missed).Select(i => i.ItemRef).Order(StringComparer.Ordinal));
        Assert.Contains("stored without its source", o1.Items.Single(i => i.ItemRef.Contains("no-source", StringComparison.Ordinal)).Note, StringComparison.Ordinal);
        Assert.Contains("without its reason for refusal", o1.Items.Single(i => i.ItemRef.Contains("q1", StringComparison.Ordinal)).Note, StringComparison.Ordinal);
        Assert.Equal(2, o1.OnTime);
        Assert.Contains("its deadline starts at withdrawal or move-out", o1.Items.Single(i => i.ItemRef.StartsWith("facialEnrollment/", StringComparison.Ordinal)).Note, StringComparison.Ordinal);

        // O4: the audited deletion is on time; the one marked done with no entry at all is missed, once, citing its catalogue entry.
        var o4 = Assert.Single(report.Lines, l => l.Id == "O4:deletion");
        Assert.Equal((LineStatus.Missed, 1, 1), (o4.Status, o4.OnTime, o4.Missed));
        var missed = Assert.Single(o4.Items, i => i.State == ItemState.Missed);
        Assert.Equal((goneUnaudited.ItemRef, "earlier"), (missed.ItemRef, Assert.Single(missed.AuditIds)));
        Assert.Contains("marked done in the schedule", missed.Note, StringComparison.Ordinal);
        Assert.DoesNotContain(report.Lines, l => l.Status == LineStatus.NoEvidenceKept);
    }

    private static AuditEntryView View(string id, AuditRecord entry) => new(id, AuditLog.PartitionFor(entry.At), entry);

    private static async Task RegisterAsync(PipelineHarness h, string residentId, string buildingId)
    {
        var put = await InvokeAsync(ctx => h.Get<ResidentsApi>().PutResidentAsync(residentId, Json(ctx, $$"""
            {"buildingId":"{{buildingId}}","unitId":"u-1","movedInAt":"2026-01-01T00:00:00Z","email":"{{residentId}}@example.com"}
            """), default));
        Assert.Equal(StatusCodes.Status201Created, put.Status);
    }
}
