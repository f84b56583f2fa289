using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using OneValet.Pipeline.Api;

namespace OneValet.Functions.Api;

/// <summary>
/// One HTTP trigger per row of <see cref="ApiRoutes"/>; each binds, calls the shared handler, returns. Function names and
/// routes must equal the table's (a test checks). Authorization level is Anonymous: who may call what is the table's
/// job (issue 7), not function keys.
/// </summary>
public sealed class HttpFunctions(RecordingsApi recordings)
{
    [Function(nameof(ApiRoutes.Health))]
    public static IActionResult Health(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request)
        => new ResultAction(ApiEndpoints.HealthResult());

    [Function(nameof(ApiRoutes.OpenApi))]
    public static IActionResult OpenApi(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest request)
        => new ResultAction(ApiEndpoints.OpenApiResult());

    [Function(nameof(ApiRoutes.GetRecording))]
    public async Task<IActionResult> GetRecordingAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "recordings/{buildingId}/{doorId}/{captureId}")] HttpRequest request,
        string buildingId,
        string doorId,
        string captureId)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new ResultAction(await recordings.GetRecordingAsync(buildingId, doorId, captureId, request.HttpContext.RequestAborted).ConfigureAwait(false));
    }

    [Function(nameof(ApiRoutes.ListBuildingRecordings))]
    public async Task<IActionResult> ListBuildingRecordingsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "buildings/{buildingId}/recordings")] HttpRequest request,
        string buildingId)
    {
        ArgumentNullException.ThrowIfNull(request);
        var q = request.Query;
        return new ResultAction(await recordings.ListBuildingRecordingsAsync(
            buildingId, q["from"], q["to"], q["pageSize"], q["continuation"], request.HttpContext.RequestAborted).ConfigureAwait(false));
    }
}
