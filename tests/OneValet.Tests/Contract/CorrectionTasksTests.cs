using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;
using static OneValet.Tests.Retention.RetentionEngineTests;

namespace OneValet.Tests.Contract;

/// <summary>
/// Issue 20, property management's task list (O11): only the corrections of its building that wait for its answer; not
/// another building's, not one still in progress or closed, not another type of request.
/// </summary>
public sealed class CorrectionTasksTests
{
    [Fact]
    public async Task A_building_lists_only_its_own_corrections_that_wait_for_property_management_soonest_due_first()
    {
        await using var h = await PipelineHarness.StartAsync();
        foreach (var (resident, building) in new[] { ("r-a", "b-1"), ("r-b", "b-1"), ("r-c", "b-2") })
        {
            var put = await InvokeAsync(ctx => h.Get<ResidentsApi>().PutResidentAsync(resident, Json(ctx, $$"""
                {"buildingId":"{{building}}","unitId":"u-{{resident}}","movedInAt":"2026-01-01T00:00:00Z","email":"{{resident}}@example.com"}
                """), default));
            Assert.Equal(StatusCodes.Status201Created, put.Status);
        }

        var now = h.Clock.GetUtcNow();
        await OpenAsync(h, "q-late", "r-a", RequestType.Correction, RequestStatus.AwaitingPropertyManagement, now.AddDays(20));
        await OpenAsync(h, "q-soon", "r-b", RequestType.Correction, RequestStatus.AwaitingPropertyManagement, now.AddDays(3));
        await OpenAsync(h, "q-other-building", "r-c", RequestType.Correction, RequestStatus.AwaitingPropertyManagement, now.AddDays(1));
        await OpenAsync(h, "q-not-yet", "r-a", RequestType.Correction, RequestStatus.InProgress, now.AddDays(1));
        await OpenAsync(h, "q-access", "r-a", RequestType.Access, RequestStatus.AwaitingPropertyManagement, now.AddDays(1));

        var listed = await InvokeAsync(_ => h.Get<CorrectionTasksApi>().ListAsync("b-1", default));
        Assert.Equal(StatusCodes.Status200OK, listed.Status);
        Assert.Empty(SchemaConformance.Check(ApiRoutes.ListCorrectionTasks, 200, listed.Body));
        var tasks = JsonDocument.Parse(listed.Body).RootElement.EnumerateArray().ToList();
        Assert.Equal(["q-soon", "q-late"], tasks.Select(t => t.GetProperty("requestId").GetString()));
        Assert.Equal("u-r-b", tasks[0].GetProperty("unitId").GetString());
        Assert.Equal("phone", tasks[0].GetProperty("field").GetString());

        Assert.Equal("[]", (await InvokeAsync(_ => h.Get<CorrectionTasksApi>().ListAsync("b-9", default))).Body);
        Assert.Equal(StatusCodes.Status400BadRequest, (await InvokeAsync(_ => h.Get<CorrectionTasksApi>().ListAsync("B-1", default))).Status);
    }

    /// <summary>What the intake and the workflow leave behind for an open request: its record and its open-index entry.</summary>
    private static async Task OpenAsync(PipelineHarness h, string requestId, string subject, RequestType type, RequestStatus status, DateTimeOffset dueAt)
    {
        var now = h.Clock.GetUtcNow();
        var record = new PrivacyRequestRecord
        {
            RequestId = requestId,
            Type = type,
            Jurisdiction = "new-york",
            Channel = "app",
            SubjectId = subject,
            Correction = type == RequestType.Correction ? new CorrectionInput("phone", "+1 555 0100", null) : null,
            ReceivedAt = now,
            AcknowledgeBy = now.AddDays(10),
            DueAt = dueAt,
            Status = status,
        };
        await h.Store.CreateAsync(Containers.Requests, requestId, PrivacyRequestRecord.DocumentId, record);
        await h.Store.UpsertAsync(Containers.Requests, "open", requestId, new RequestIndexEntry(requestId, type, now, dueAt, status.ToString()));
    }
}
