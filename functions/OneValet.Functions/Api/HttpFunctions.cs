using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Breaches;
using OneValet.Pipeline.Disclosures;
using OneValet.Pipeline.Evidence;
using OneValet.Pipeline.Faces;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;

namespace OneValet.Functions.Api;

/// <summary>
/// One HTTP trigger per row of <see cref="ApiRoutes"/>; each binds, calls the shared handler, returns. Function names and
/// routes must equal the table's (a test checks). Authorization level is Anonymous: who may call what is the table's
/// job (issue 7), not function keys.
/// </summary>
public sealed class HttpFunctions(RecordingsApi recordings, ResidentsApi residents, FacialEnrollments enrollments, DoorEventsApi doorEvents, HoldsApi holds, DisclosuresApi disclosures, RoommateAlerts roommates, IncidentsApi incidents, DeadLettersApi deadLetters, PrivacyRequestsApi requests, VisitorPhotos visitorPhotos, ResidentViewsApi residentViews, CorrectionTasksApi correctionTasks, OneValet.Pipeline.Devices.DevicesApi devices, OneValet.Pipeline.Devices.UploadGrants uploadGrants, EvidenceApi evidence, OneValet.Pipeline.WebConsole.ConsoleFiles consoleFiles)
{
    [Function(nameof(ApiRoutes.Health))]
    public static IActionResult Health(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request)
        => new ResultAction(ApiEndpoints.HealthResult());

    [Function(nameof(ApiRoutes.OpenApi))]
    public static IActionResult OpenApi(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest request)
        => new ResultAction(ApiEndpoints.OpenApiResult());

    [Function(nameof(ApiRoutes.Console))]
    public IActionResult Console(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console")] HttpRequest request)
        => new ResultAction(consoleFiles.Page());

    [Function(nameof(ApiRoutes.ConsoleAsset))]
    public IActionResult ConsoleAsset(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/{asset}")] HttpRequest request, string asset)
        => new ResultAction(consoleFiles.Asset(asset));

    [Function(nameof(ApiRoutes.GetRecording))]
    public async Task<IActionResult> GetRecordingAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "recordings/{buildingId}/{doorId}/{captureId}")] HttpRequest request,
        string buildingId,
        string doorId,
        string captureId)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new ResultAction(await recordings.GetRecordingAsync(buildingId, doorId, captureId, request, request.HttpContext.RequestAborted).ConfigureAwait(false));
    }

    [Function(nameof(ApiRoutes.ListBuildingRecordings))]
    public async Task<IActionResult> ListBuildingRecordingsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "buildings/{buildingId}/recordings")] HttpRequest request,
        string buildingId)
    {
        ArgumentNullException.ThrowIfNull(request);
        var q = request.Query;
        return new ResultAction(await recordings.ListBuildingRecordingsAsync(
            buildingId, q["from"], q["to"], q["pageSize"], q["continuation"], request, request.HttpContext.RequestAborted).ConfigureAwait(false));
    }

    [Function(nameof(ApiRoutes.PutResident))]
    public async Task<IActionResult> PutResidentAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "residents/{residentId}")] HttpRequest request, string residentId) =>
        new ResultAction(await residents.PutResidentAsync(residentId, request, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.GetResident))]
    public async Task<IActionResult> GetResidentAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "residents/{residentId}")] HttpRequest request, string residentId) =>
        new ResultAction(await residents.GetResidentAsync(residentId, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.MoveOut))]
    public async Task<IActionResult> MoveOutAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "residents/{residentId}/move-out")] HttpRequest request, string residentId) =>
        new ResultAction(await residents.MoveOutAsync(residentId, request, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.GiveFacialEntryConsent))]
    public async Task<IActionResult> GiveFacialEntryConsentAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "residents/{residentId}/consents/facial-entry")] HttpRequest request, string residentId) =>
        new ResultAction(await residents.GiveFacialEntryConsentAsync(residentId, request, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.WithdrawFacialEntryConsent))]
    public async Task<IActionResult> WithdrawFacialEntryConsentAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "residents/{residentId}/consents/facial-entry")] HttpRequest request, string residentId) =>
        new ResultAction(await residents.WithdrawFacialEntryConsentAsync(residentId, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.PutFacialEnrollment))]
    public async Task<IActionResult> PutFacialEnrollmentAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "residents/{residentId}/facial-entry/enrollment")] HttpRequest request, string residentId) =>
        new ResultAction(await enrollments.PutAsync(residentId, request, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.DeleteFacialEnrollment))]
    public async Task<IActionResult> DeleteFacialEnrollmentAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "residents/{residentId}/facial-entry/enrollment")] HttpRequest request, string residentId) =>
        new ResultAction(await enrollments.DeleteAsync(residentId, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.PutMessagePreferences))]
    public async Task<IActionResult> PutMessagePreferencesAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "residents/{residentId}/message-preferences")] HttpRequest request, string residentId) =>
        new ResultAction(await residents.PutMessagePreferencesAsync(residentId, request, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.PostDoorEvents))]
    public async Task<IActionResult> PostDoorEventsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "buildings/{buildingId}/door-events")] HttpRequest request, string buildingId) =>
        new ResultAction(await doorEvents.PostAsync(buildingId, request, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.PlaceHold))]
    public async Task<IActionResult> PlaceHoldAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "holds")] HttpRequest request) =>
        new ResultAction(await holds.PlaceAsync(request, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.ListHolds))]
    public async Task<IActionResult> ListHoldsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "holds")] HttpRequest request) =>
        new ResultAction(await holds.ListActiveAsync(Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.GetHold))]
    public async Task<IActionResult> GetHoldAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "holds/{holdId}")] HttpRequest request, string holdId) =>
        new ResultAction(await holds.GetAsync(holdId, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.ReleaseHold))]
    public async Task<IActionResult> ReleaseHoldAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "holds/{holdId}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string holdId)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new ResultAction(await holds.ReleaseAsync(holdId, request.Query["reason"], client, Aborted(request)).ConfigureAwait(false));
    }

    [Function(nameof(ApiRoutes.RecordDisclosure))]
    public async Task<IActionResult> RecordDisclosureAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "disclosures")] HttpRequest request) =>
        new ResultAction(await disclosures.RecordAsync(request, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.ListDisclosures))]
    public async Task<IActionResult> ListDisclosuresAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "disclosures")] HttpRequest request) =>
        new ResultAction(await disclosures.ListAsync(request.Query["subjectId"], request.Query["buildingId"], Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.ChangeUnitSetting))]
    public async Task<IActionResult> ChangeUnitSettingAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "buildings/{buildingId}/units/{unitId}/settings")] HttpRequest request, string buildingId, string unitId) =>
        new ResultAction(await roommates.PostAsync(buildingId, unitId, request, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.DeclareIncident))]
    public async Task<IActionResult> DeclareIncidentAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "incidents")] HttpRequest request,
        [DurableClient] DurableTaskClient client) =>
        new ResultAction(await incidents.DeclareAsync(request, client, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.GetIncident))]
    public async Task<IActionResult> GetIncidentAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "incidents/{incidentId}")] HttpRequest request, string incidentId) =>
        new ResultAction(await incidents.GetAsync(incidentId, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.ListIncidents))]
    public async Task<IActionResult> ListIncidentsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "incidents")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new ResultAction(await incidents.ListAsync(request.Query["pageSize"], request.Query["continuation"], Aborted(request)).ConfigureAwait(false));
    }

    [Function(nameof(ApiRoutes.ListDeadLetters))]
    public async Task<IActionResult> ListDeadLettersAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dead-letters/{queue}")] HttpRequest request, string queue) =>
        new ResultAction(await deadLetters.ListAsync(queue, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.ReplayDeadLetters))]
    public async Task<IActionResult> ReplayDeadLettersAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "dead-letters/{queue}/replay")] HttpRequest request, string queue) =>
        new ResultAction(await deadLetters.ReplayAsync(queue, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.SubmitPrivacyRequest))]
    public async Task<IActionResult> SubmitPrivacyRequestAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "privacy-requests")] HttpRequest request,
        [DurableClient] DurableTaskClient client) =>
        new ResultAction(await requests.SubmitAsync(request, client, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.GetPrivacyRequest))]
    public async Task<IActionResult> GetPrivacyRequestAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "privacy-requests/{requestId}")] HttpRequest request, string requestId) =>
        new ResultAction(await requests.GetAsync(requestId, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.VerifyPrivacyRequest))]
    public async Task<IActionResult> VerifyPrivacyRequestAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "privacy-requests/{requestId}/verification")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string requestId) =>
        new ResultAction(await requests.VerifyAsync(requestId, request, client, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.VerifyPrivacyRequestManually))]
    public async Task<IActionResult> VerifyPrivacyRequestManuallyAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "privacy-requests/{requestId}/manual-verification")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string requestId) =>
        new ResultAction(await requests.VerifyManuallyAsync(requestId, request, client, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.PutVisitorPhoto))]
    public async Task<IActionResult> PutVisitorPhotoAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "privacy-requests/{requestId}/visitor-photo")] HttpRequest request, string requestId)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new ResultAction(await visitorPhotos.PutAsync(requestId, request.Query["consent"], request, Aborted(request)).ConfigureAwait(false));
    }

    [Function(nameof(ApiRoutes.ExtendPrivacyRequest))]
    public async Task<IActionResult> ExtendPrivacyRequestAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "privacy-requests/{requestId}/extension")] HttpRequest request, string requestId) =>
        new ResultAction(await requests.ExtendAsync(requestId, request, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.ResolveCorrection))]
    public async Task<IActionResult> ResolveCorrectionAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "privacy-requests/{requestId}/correction-outcome")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string requestId) =>
        new ResultAction(await requests.ResolveCorrectionAsync(requestId, request, client, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.ListOwnPrivacyRequests))]
    public async Task<IActionResult> ListOwnPrivacyRequestsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "residents/{residentId}/privacy-requests")] HttpRequest request, string residentId) =>
        new ResultAction(await residentViews.ListPrivacyRequestsAsync(residentId, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.ListOwnDoorEvents))]
    public async Task<IActionResult> ListOwnDoorEventsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "residents/{residentId}/door-events")] HttpRequest request, string residentId)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new ResultAction(await residentViews.ListDoorEventsAsync(residentId, request.Query["pageSize"], request.Query["continuation"], Aborted(request)).ConfigureAwait(false));
    }

    [Function(nameof(ApiRoutes.GetMessagePreferences))]
    public async Task<IActionResult> GetMessagePreferencesAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "residents/{residentId}/message-preferences")] HttpRequest request, string residentId) =>
        new ResultAction(await residentViews.GetMessagePreferencesAsync(residentId, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.GetConsents))]
    public async Task<IActionResult> GetConsentsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "residents/{residentId}/consents")] HttpRequest request, string residentId) =>
        new ResultAction(await residentViews.GetConsentsAsync(residentId, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.GetFacialEntryPolicy))]
    public static IActionResult GetFacialEntryPolicy(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "facial-entry/policy")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new ResultAction(ResidentViewsApi.GetFacialEntryPolicy(request.Query["version"]));
    }

    [Function(nameof(ApiRoutes.ListCorrectionTasks))]
    public async Task<IActionResult> ListCorrectionTasksAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "buildings/{buildingId}/correction-tasks")] HttpRequest request, string buildingId) =>
        new ResultAction(await correctionTasks.ListAsync(buildingId, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.PutDevice))]
    public async Task<IActionResult> PutDeviceAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "buildings/{buildingId}/devices/{deviceId}")] HttpRequest request, string buildingId, string deviceId) =>
        new ResultAction(await devices.PutAsync(buildingId, deviceId, request, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.RetireDevice))]
    public async Task<IActionResult> RetireDeviceAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "buildings/{buildingId}/devices/{deviceId}/retirement")] HttpRequest request, string buildingId, string deviceId) =>
        new ResultAction(await devices.RetireAsync(buildingId, deviceId, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.ListBuildingDevices))]
    public async Task<IActionResult> ListBuildingDevicesAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "buildings/{buildingId}/devices")] HttpRequest request, string buildingId) =>
        new ResultAction(await devices.ListAsync(buildingId, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.RequestUploadGrant))]
    public async Task<IActionResult> RequestUploadGrantAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "buildings/{buildingId}/devices/{deviceId}/upload-grant")] HttpRequest request, string buildingId, string deviceId) =>
        new ResultAction(await uploadGrants.GrantAsync(buildingId, deviceId, request, Aborted(request)).ConfigureAwait(false));

    [Function(nameof(ApiRoutes.ListAuditEntries))]
    public async Task<IActionResult> ListAuditEntriesAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "audit")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var q = request.Query;
        return new ResultAction(await evidence.ListAuditAsync(
            q["from"], q["to"], q["obligation"], q["action"], q["itemRef"], q["outcome"], q["pageSize"], q["continuation"], Aborted(request)).ConfigureAwait(false));
    }

    [Function(nameof(ApiRoutes.ListQuarantine))]
    public async Task<IActionResult> ListQuarantineAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "quarantine")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var q = request.Query;
        return new ResultAction(await evidence.ListQuarantineAsync(q["from"], q["to"], q["pageSize"], q["continuation"], Aborted(request)).ConfigureAwait(false));
    }

    [Function(nameof(ApiRoutes.ListOpenRequests))]
    public async Task<IActionResult> ListOpenRequestsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "open-requests")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new ResultAction(await evidence.ListOpenRequestsAsync(request.Query["pageSize"], request.Query["continuation"], Aborted(request)).ConfigureAwait(false));
    }

    [Function(nameof(ApiRoutes.ListHoldReviews))]
    public async Task<IActionResult> ListHoldReviewsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "hold-reviews")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new ResultAction(await evidence.ListHoldReviewsAsync(request.Query["withinDays"], Aborted(request)).ConfigureAwait(false));
    }

    [Function(nameof(ApiRoutes.GetComplianceReport))]
    public async Task<IActionResult> GetComplianceReportAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "compliance-report")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var q = request.Query;
        return new ResultAction(await evidence.GetComplianceReportAsync(q["from"], q["to"], q["format"], Aborted(request)).ConfigureAwait(false));
    }

    private static CancellationToken Aborted(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.HttpContext.RequestAborted;
    }
}
