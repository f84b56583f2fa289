using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using OneValet.Pipeline.Breaches;
using OneValet.Pipeline.Disclosures;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;

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
        Map(endpoints, ApiRoutes.Console, (WebConsole.ConsoleFiles files) => files.Page());
        Map(endpoints, ApiRoutes.ConsoleAsset, (WebConsole.ConsoleFiles files, string asset) => files.Asset(asset));
        Map(endpoints, ApiRoutes.GetRecording, (RecordingsApi api, string buildingId, string doorId, string captureId, HttpRequest request, CancellationToken ct) =>
            api.GetRecordingAsync(buildingId, doorId, captureId, request, ct));
        Map(endpoints, ApiRoutes.ListBuildingRecordings, (RecordingsApi api, string buildingId, string? from, string? to, string? pageSize, string? continuation, HttpRequest request, CancellationToken ct) =>
            api.ListBuildingRecordingsAsync(buildingId, from, to, pageSize, continuation, request, ct));
        Map(endpoints, ApiRoutes.PutResident, (ResidentsApi api, string residentId, HttpRequest request, CancellationToken ct) => api.PutResidentAsync(residentId, request, ct));
        Map(endpoints, ApiRoutes.GetResident, (ResidentsApi api, string residentId, CancellationToken ct) => api.GetResidentAsync(residentId, ct));
        Map(endpoints, ApiRoutes.MoveOut, (ResidentsApi api, string residentId, HttpRequest request, CancellationToken ct) => api.MoveOutAsync(residentId, request, ct));
        Map(endpoints, ApiRoutes.GiveFacialEntryConsent, (ResidentsApi api, string residentId, HttpRequest request, CancellationToken ct) => api.GiveFacialEntryConsentAsync(residentId, request, ct));
        Map(endpoints, ApiRoutes.WithdrawFacialEntryConsent, (ResidentsApi api, string residentId, CancellationToken ct) => api.WithdrawFacialEntryConsentAsync(residentId, ct));
        Map(endpoints, ApiRoutes.PutFacialEnrollment, (Faces.FacialEnrollments api, string residentId, HttpRequest request, CancellationToken ct) => api.PutAsync(residentId, request, ct));
        Map(endpoints, ApiRoutes.DeleteFacialEnrollment, (Faces.FacialEnrollments api, string residentId, CancellationToken ct) => api.DeleteAsync(residentId, ct));
        Map(endpoints, ApiRoutes.PutMessagePreferences, (ResidentsApi api, string residentId, HttpRequest request, CancellationToken ct) => api.PutMessagePreferencesAsync(residentId, request, ct));
        Map(endpoints, ApiRoutes.PostDoorEvents, (DoorEventsApi api, string buildingId, HttpRequest request, CancellationToken ct) => api.PostAsync(buildingId, request, ct));
        Map(endpoints, ApiRoutes.PlaceHold, (HoldsApi api, HttpRequest request, CancellationToken ct) => api.PlaceAsync(request, ct));
        Map(endpoints, ApiRoutes.ListHolds, (HoldsApi api, CancellationToken ct) => api.ListActiveAsync(ct));
        Map(endpoints, ApiRoutes.GetHold, (HoldsApi api, string holdId, CancellationToken ct) => api.GetAsync(holdId, ct));
        Map(endpoints, ApiRoutes.ReleaseHold, (HoldsApi api, DurableTaskClient client, string holdId, string? reason, CancellationToken ct) => api.ReleaseAsync(holdId, reason, client, ct));
        Map(endpoints, ApiRoutes.RecordDisclosure, (DisclosuresApi api, HttpRequest request, CancellationToken ct) => api.RecordAsync(request, ct));
        Map(endpoints, ApiRoutes.ListDisclosures, (DisclosuresApi api, string? subjectId, string? buildingId, CancellationToken ct) => api.ListAsync(subjectId, buildingId, ct));
        Map(endpoints, ApiRoutes.ChangeUnitSetting, (RoommateAlerts api, string buildingId, string unitId, HttpRequest request, CancellationToken ct) => api.PostAsync(buildingId, unitId, request, ct));
        Map(endpoints, ApiRoutes.DeclareIncident, (IncidentsApi api, DurableTaskClient client, HttpRequest request, CancellationToken ct) => api.DeclareAsync(request, client, ct));
        Map(endpoints, ApiRoutes.GetIncident, (IncidentsApi api, string incidentId, CancellationToken ct) => api.GetAsync(incidentId, ct));
        Map(endpoints, ApiRoutes.ListIncidents, (IncidentsApi api, string? pageSize, string? continuation, CancellationToken ct) => api.ListAsync(pageSize, continuation, ct));
        Map(endpoints, ApiRoutes.ListDeadLetters, (DeadLettersApi api, string queue, CancellationToken ct) => api.ListAsync(queue, ct));
        Map(endpoints, ApiRoutes.ReplayDeadLetters, (DeadLettersApi api, string queue, CancellationToken ct) => api.ReplayAsync(queue, ct));
        Map(endpoints, ApiRoutes.SubmitPrivacyRequest, (Requests.PrivacyRequestsApi api, DurableTaskClient client, HttpRequest request, CancellationToken ct) => api.SubmitAsync(request, client, ct));
        Map(endpoints, ApiRoutes.GetPrivacyRequest, (Requests.PrivacyRequestsApi api, string requestId, CancellationToken ct) => api.GetAsync(requestId, ct));
        Map(endpoints, ApiRoutes.VerifyPrivacyRequest, (Requests.PrivacyRequestsApi api, DurableTaskClient client, string requestId, HttpRequest request, CancellationToken ct) => api.VerifyAsync(requestId, request, client, ct));
        Map(endpoints, ApiRoutes.VerifyPrivacyRequestManually, (Requests.PrivacyRequestsApi api, DurableTaskClient client, string requestId, HttpRequest request, CancellationToken ct) => api.VerifyManuallyAsync(requestId, request, client, ct));
        Map(endpoints, ApiRoutes.PutVisitorPhoto, (Requests.VisitorPhotos api, string requestId, string? consent, HttpRequest request, CancellationToken ct) => api.PutAsync(requestId, consent, request, ct));
        Map(endpoints, ApiRoutes.ExtendPrivacyRequest, (Requests.PrivacyRequestsApi api, string requestId, HttpRequest request, CancellationToken ct) => api.ExtendAsync(requestId, request, ct));
        Map(endpoints, ApiRoutes.ResolveCorrection, (Requests.PrivacyRequestsApi api, DurableTaskClient client, string requestId, HttpRequest request, CancellationToken ct) => api.ResolveCorrectionAsync(requestId, request, client, ct));
        Map(endpoints, ApiRoutes.ListOwnPrivacyRequests, (ResidentViewsApi api, string residentId, CancellationToken ct) => api.ListPrivacyRequestsAsync(residentId, ct));
        Map(endpoints, ApiRoutes.ListOwnDoorEvents, (ResidentViewsApi api, string residentId, string? pageSize, string? continuation, CancellationToken ct) => api.ListDoorEventsAsync(residentId, pageSize, continuation, ct));
        Map(endpoints, ApiRoutes.GetMessagePreferences, (ResidentViewsApi api, string residentId, CancellationToken ct) => api.GetMessagePreferencesAsync(residentId, ct));
        Map(endpoints, ApiRoutes.GetConsents, (ResidentViewsApi api, string residentId, CancellationToken ct) => api.GetConsentsAsync(residentId, ct));
        Map(endpoints, ApiRoutes.GetFacialEntryPolicy, (string? version) => ResidentViewsApi.GetFacialEntryPolicy(version));
        Map(endpoints, ApiRoutes.ListCorrectionTasks, (Requests.CorrectionTasksApi api, string buildingId, CancellationToken ct) => api.ListAsync(buildingId, ct));
        Map(endpoints, ApiRoutes.PutDevice, (Devices.DevicesApi api, string buildingId, string deviceId, HttpRequest request, CancellationToken ct) => api.PutAsync(buildingId, deviceId, request, ct));
        Map(endpoints, ApiRoutes.RetireDevice, (Devices.DevicesApi api, string buildingId, string deviceId, CancellationToken ct) => api.RetireAsync(buildingId, deviceId, ct));
        Map(endpoints, ApiRoutes.ListBuildingDevices, (Devices.DevicesApi api, string buildingId, CancellationToken ct) => api.ListAsync(buildingId, ct));
        Map(endpoints, ApiRoutes.RequestUploadGrant, (Devices.UploadGrants api, string buildingId, string deviceId, HttpRequest request, CancellationToken ct) => api.GrantAsync(buildingId, deviceId, request, ct));
        Map(endpoints, ApiRoutes.ListAuditEntries, (Evidence.EvidenceApi api, string? from, string? to, string? obligation, string? action, string? itemRef, string? outcome, string? pageSize, string? continuation, CancellationToken ct) =>
            api.ListAuditAsync(from, to, obligation, action, itemRef, outcome, pageSize, continuation, ct));
        Map(endpoints, ApiRoutes.ListQuarantine, (Evidence.EvidenceApi api, string? from, string? to, string? pageSize, string? continuation, CancellationToken ct) =>
            api.ListQuarantineAsync(from, to, pageSize, continuation, ct));
        Map(endpoints, ApiRoutes.ListOpenRequests, (Evidence.EvidenceApi api, string? pageSize, string? continuation, CancellationToken ct) => api.ListOpenRequestsAsync(pageSize, continuation, ct));
        Map(endpoints, ApiRoutes.ListHoldReviews, (Evidence.EvidenceApi api, string? withinDays, CancellationToken ct) => api.ListHoldReviewsAsync(withinDays, ct));
        Map(endpoints, ApiRoutes.GetComplianceReport, (Evidence.EvidenceApi api, string? from, string? to, string? format, CancellationToken ct) => api.GetComplianceReportAsync(from, to, format, ct));
        return endpoints;
    }

    public static IResult HealthResult() => TypedResults.Json(new HealthStatus("ok"), ApiJson.Options);

    public static IResult OpenApiResult() => TypedResults.Text(OpenApiDocument.Text, "application/json");

    private static void Map(IEndpointRouteBuilder endpoints, ApiRoute route, Delegate handler) =>
        endpoints.MapMethods(route.Path, [route.Method], handler).WithName(route.Name).WithMetadata(route);
}

/// <summary>Body of <c>GET /api/health</c>.</summary>
public sealed record HealthStatus(string Status);
