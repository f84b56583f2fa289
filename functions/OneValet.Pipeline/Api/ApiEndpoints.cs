using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace OneValet.Pipeline.Api;

/// <summary>
/// Serves <see cref="ApiRoutes"/> on an ASP.NET Core router (the local host). The Functions app declares one HTTP trigger
/// per route instead, calling the same handlers; tests check both against the table.
/// </summary>
public static class ApiEndpoints
{
    public static IEndpointRouteBuilder MapPipelineApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        Map(endpoints, ApiRoutes.Health, () => HealthResult());
        Map(endpoints, ApiRoutes.OpenApi, () => OpenApiResult());
        Map(endpoints, ApiRoutes.GetRecording, (RecordingsApi api, string buildingId, string doorId, string captureId, CancellationToken ct) =>
            api.GetRecordingAsync(buildingId, doorId, captureId, ct));
        Map(endpoints, ApiRoutes.ListBuildingRecordings, (RecordingsApi api, string buildingId, string? from, string? to, string? pageSize, string? continuation, CancellationToken ct) =>
            api.ListBuildingRecordingsAsync(buildingId, from, to, pageSize, continuation, ct));
        return endpoints;
    }

    public static IResult HealthResult() => TypedResults.Json(new { status = "ok" }, ApiJson.Options);

    public static IResult OpenApiResult() => TypedResults.Text(OpenApiDocument.Text, "application/json");

    private static void Map(IEndpointRouteBuilder endpoints, ApiRoute route, Delegate handler) =>
        endpoints.MapMethods(route.Path, [route.Method], handler).WithName(route.Name).WithMetadata(route);
}
