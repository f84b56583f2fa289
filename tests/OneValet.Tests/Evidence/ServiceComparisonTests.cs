using Microsoft.Extensions.DependencyInjection;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Evidence;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using OneValet.Tests.Simulation;
using Xunit;
using static OneValet.Tests.Retention.RetentionEngineTests;

namespace OneValet.Tests.Evidence;

/// <summary>
/// O17 (exercising a right never changes the service a person gets) as evidence: each request's close compares the
/// person's service (residence, message choices, Facial Entry) with the service at its receipt, and the compliance report
/// judges that comparison. A change the person or property management made through their routes while the request was
/// open is theirs; a change written past those routes (as a request's own work would) is named, with the field and never
/// its value; a change the person made before the request does not excuse one made during it.
/// </summary>
public sealed class ServiceComparisonTests(MailDevFixture maildev) : IClassFixture<MailDevFixture>
{
    private static readonly DateTimeOffset Monday = new(2026, 3, 2, 15, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_requests_close_tells_the_persons_own_changes_from_a_change_nothing_that_may_made()
    {
        _ = maildev;
        var transport = new SimulationTransport();
        await using var h = await PipelineHarness.StartAsync(now: Monday, configure: s => s.AddSingleton<IMessageTransport>(transport));
        var residents = h.Get<ResidentsApi>();
        foreach (var r in new[] { "r-same", "r-own", "r-forced", "r-moves" })
        {
            var put = await InvokeAsync(ctx => residents.PutResidentAsync(r, Json(ctx, $$"""
                {"buildingId":"b-o17","unitId":"u-{{r}}","movedInAt":"2025-01-01T00:00:00Z","email":"{{r}}@o17.test","jurisdiction":"california"}
                """), default));
            Assert.Equal(201, put.Status);
        }

        // Before any request, r-forced turns informational messages off themselves: that change is older than the request
        // and must not excuse a later one.
        Assert.Equal(200, (await InvokeAsync(ctx => residents.PutMessagePreferencesAsync("r-forced", Json(ctx, """{"informational":false,"offers":false}"""), default))).Status);

        var service = h.Get<PrivacyRequestService>();
        var requests = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (r, type) in new[] { ("r-same", RequestType.Access), ("r-own", RequestType.Deletion), ("r-forced", RequestType.CategoriesShared), ("r-moves", RequestType.Access) })
        {
            var record = service.NewRecord(new PrivacyRequestInput(type, "california", null, new SubjectInput(r, null, null), "app", null, null, null), r, h.Clock.GetUtcNow());
            await service.RegisterAsync(record, default);
            await service.AcknowledgeAsync(record.RequestId, default);
            requests[r] = record.RequestId;
            Assert.NotNull(await h.Store.ReadAsync<ServiceAtReceipt>(Containers.Requests, record.RequestId, PrivacyRequestService.ServiceAtReceiptId));
        }

        Assert.Empty(await transport.DrainAsync(h.Get<MessageHandlers>(), _ => Task.CompletedTask));
        h.Clock.Advance(TimeSpan.FromDays(1));

        // While the requests are open: r-own turns offers on through their route; property management moves r-moves out
        // through its route; r-forced's informational messages are turned back on by a write past the routes.
        Assert.Equal(200, (await InvokeAsync(ctx => residents.PutMessagePreferencesAsync("r-own", Json(ctx, """{"informational":true,"offers":true}"""), default))).Status);
        Assert.Equal(200, (await InvokeAsync(ctx => residents.MoveOutAsync("r-moves", Json(ctx, $$"""{"movedOutAt":"{{RecordJson.Timestamp(h.Clock.GetUtcNow())}}"}"""), default))).Status);
        var forced = (await h.Store.ReadAsync<ResidentRecord>(Containers.Residents, "r-forced", ResidentRecord.DocumentId))!;
        await h.Store.UpsertAsync(Containers.Residents, "r-forced", ResidentRecord.DocumentId, forced.Document with { Messages = new MessagePreferences(true, false) });

        h.Clock.Advance(TimeSpan.FromDays(1));
        foreach (var id in requests.Values)
        {
            await service.CloseAsync(new RequestClose(id, RequestStatus.Completed, null), default);
            Assert.Null(await h.Store.ReadAsync<ServiceAtReceipt>(Containers.Requests, id, PrivacyRequestService.ServiceAtReceiptId));
        }

        var loader = h.Get<ComplianceReportLoader>();
        var report = await loader.BuildAsync(Monday.AddDays(-1), Monday.AddDays(60), default);
        var line = Assert.Single(report.Lines, l => l.Id == "O17:service");
        Assert.Equal((LineStatus.Missed, 4, 3, 1), (line.Status, line.Due, line.OnTime, line.Missed));
        ReportItem Item(string r) => Assert.Single(line.Items, i => i.ItemRef == "requests/" + requests[r]);

        var missed = Item("r-forced");
        Assert.Equal(ItemState.Missed, missed.State);
        Assert.Contains("changed by nothing that may: messages.informational", missed.Note, StringComparison.Ordinal);
        Assert.Equal(ItemState.OnTime, Item("r-same").State);
        Assert.Contains("the same service", Item("r-same").Note, StringComparison.Ordinal);
        Assert.Contains("routes or the deletion path: messages.offers;", Item("r-own").Note, StringComparison.Ordinal);
        Assert.Contains("routes or the deletion path: residence;", Item("r-moves").Note, StringComparison.Ordinal);

        // Each comparison is an audit entry of its own, holding field names and outcomes: no address, no unit, no value.
        foreach (var item in line.Items)
        {
            var entry = await h.Get<AuditLog>().ReadAsync(Assert.Single(item.AuditIds), item.DueAt, default);
            Assert.Equal(("request-service-compared", "O17"), (entry!.Action, entry.Obligation));
            var text = System.Text.Json.JsonSerializer.Serialize(entry);
            Assert.DoesNotContain("o17.test", text, StringComparison.Ordinal);
            Assert.DoesNotContain("u-r-", text, StringComparison.Ordinal);
            Assert.DoesNotContain("\"on\"", text, StringComparison.Ordinal);
        }

        // The trail lost one comparison: the report says the proof is missing, not that the service was kept.
        var lost = Item("r-same");
        Assert.True(await h.Store.DeleteAsync(Containers.Audit, AuditLog.PartitionFor(lost.DueAt), lost.AuditIds[0]));
        var after = Assert.Single((await loader.BuildAsync(Monday.AddDays(-1), Monday.AddDays(60), default)).Lines, l => l.Id == "O17:service");
        Assert.Equal(ItemState.ProofMissing, Assert.Single(after.Items, i => i.ItemRef == lost.ItemRef).State);
    }
}
