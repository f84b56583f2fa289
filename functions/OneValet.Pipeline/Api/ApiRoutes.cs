using OneValet.Pipeline.Breaches;
using OneValet.Pipeline.Disclosures;
using OneValet.Pipeline.Faces;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;

namespace OneValet.Pipeline.Api;

/// <summary>Who calls the API (issue 7 enforces this table; every route declares its callers here from the start).</summary>
[Flags]
public enum Roles
{
    None = 0,
    Resident = 1,
    AuthorizedAgent = 2,
    PropertyManager = 4,
    PrivacyOfficer = 8,
    Device = 16,
    Partner = 32,
}

/// <summary>What part of the data a caller's grant must cover for a call on a route.</summary>
public enum Scope
{
    /// <summary>Anyone, unauthenticated (health, the OpenAPI document).</summary>
    Anonymous,

    /// <summary>The object's subject (a resident) must be the caller or the person an agent acts for.</summary>
    Subject,

    /// <summary>The unit's residents, or a manager of its building.</summary>
    Unit,

    /// <summary>The building named in the route: a manager of that building, its devices.</summary>
    Building,

    /// <summary>The whole pipeline (privacy officer).</summary>
    Global,
}

/// <summary>One route of the HTTP API as both hosts serve it, under <c>/api/</c>.</summary>
public sealed record ApiRoute(string Name, string Method, string Template, Roles Callers, Scope Scope, string Summary)
{
    /// <summary>Query parameters the route reads (for the OpenAPI document).</summary>
    public IReadOnlyList<string> Query { get; init; } = [];

    /// <summary>
    /// The pattern of each query parameter (issue 20). A parameter not named here takes the pattern of its name:
    /// <c>...Id</c> an id, <c>from</c>/<c>to</c> a date-time, <c>pageSize</c> a count, <c>continuation</c> a page token.
    /// </summary>
    public IReadOnlyDictionary<string, string> QueryPatterns { get; init; } = new Dictionary<string, string>();

    /// <summary>The type of the JSON request body (bound with <see cref="ApiJson.InputOptions"/>), or null for none.</summary>
    public Type? Body { get; init; }

    /// <summary>A body that is not JSON (e.g. <c>image/jpeg</c>): its media type; the body is binary.</summary>
    public string? BinaryBody { get; init; }

    /// <summary>A success answer that is a file, not JSON (the console's page and assets): the media types it may have.</summary>
    public IReadOnlyList<string> ReturnsFiles { get; init; } = [];

    /// <summary>A sample request body, serialized with <see cref="ApiJson.Options"/> into the document's examples.</summary>
    public object? BodyExample { get; init; }

    /// <summary>Each success status the handler answers, with the type of its JSON body (null: no body).</summary>
    public IReadOnlyList<(int Status, Type? Type)> Returns { get; init; } = [(200, null)];

    /// <summary>Properties the handler adds to the JSON of its returned type (name, type).</summary>
    public IReadOnlyList<(string Name, Type Type)> ReturnsAlso { get; init; } = [];

    /// <summary>
    /// The refusals the handler itself answers (problem details, RFC 9457). The document adds what the gate answers
    /// (401, 403, 404 with a token; 429 everywhere) and, with a JSON body, what reading it answers (400, 413, 415).
    /// </summary>
    public IReadOnlyList<int> Refuses { get; init; } = [];

    /// <summary>Marks a route whose object (building, subject) is named in its body: the handler checks it.</summary>
    public const string ScopeInBody = "$body";

    /// <summary>
    /// The route (or query) value naming the object the caller's grant must reach. Defaults from the template: residentId,
    /// then subjectId, then buildingId; null means no object can be found and only the privacy officer passes (deny by
    /// default). <see cref="ScopeInBody"/> leaves the check to the handler.
    /// </summary>
    public string? ScopeParameter
    {
        get => _scopeParameter ?? DefaultScopeParameter(Template);
        init => _scopeParameter = value;
    }

    private readonly string? _scopeParameter;

    /// <summary>The names of the template's parameters, e.g. <c>buildingId</c>.</summary>
    public IReadOnlyList<string> Parameters =>
        [.. System.Text.RegularExpressions.Regex.Matches(Template, @"\{(\w+)[^}]*\}").Select(m => m.Groups[1].Value)];

    private static readonly string[] ScopeParameterDefaults = ["residentId", "subjectId", "buildingId"];

    private static string? DefaultScopeParameter(string template) =>
        ScopeParameterDefaults.FirstOrDefault(p => template.Contains('{' + p + '}', StringComparison.Ordinal));

    /// <summary>The path under the host's root, e.g. <c>/api/health</c>.</summary>
    public string Path => "/api/" + Template;
}

/// <summary>
/// The one table of every HTTP route: name (the Functions function name), method, template, who may call it and with which
/// scope. Both hosts serve exactly these routes (tests check the Functions app's triggers and the local host's endpoints
/// against it), the OpenAPI document is generated from it, and a route missing from it is refused.
/// </summary>
public static class ApiRoutes
{
    public static readonly ApiRoute Health = new(
        "Health", "GET", "health", Roles.None, Scope.Anonymous, "Liveness of the API.")
    {
        Returns = [(200, typeof(HealthStatus))],
    };

    public static readonly ApiRoute OpenApi = new(
        "OpenApi", "GET", "openapi.json", Roles.None, Scope.Anonymous, "This API's OpenAPI document.")
    {
        Returns = [(200, typeof(System.Text.Json.Nodes.JsonObject))],
    };

    public static readonly ApiRoute Console = new(
        "Console", "GET", "console", Roles.None, Scope.Anonymous,
        "The privacy office's console (issue 19): an HTML page that signs in and calls this API; no third-party content (its content security policy says so).")
    {
        Returns = [(200, null)],
        ReturnsFiles = ["text/html"],
    };

    public static readonly ApiRoute ConsoleAsset = new(
        "ConsoleAsset", "GET", "console/{asset}", Roles.None, Scope.Anonymous,
        "A file of the console: 'script', 'style', or 'config' (how to sign in: development tokens locally, Entra ID in Azure).")
    {
        Returns = [(200, null)],
        ReturnsFiles = ["text/javascript", "text/css", "application/json"],
        Refuses = [404],
    };

    public static readonly ApiRoute GetRecording = new(
        "GetRecording", "GET", "recordings/{buildingId}/{doorId}/{captureId}",
        Roles.PropertyManager | Roles.PrivacyOfficer, Scope.Building, "The catalogue record of one recording (O2, O4).")
    {
        Returns = [(200, typeof(RecordingRecord))],
        Refuses = [400, 404],
    };

    public static readonly ApiRoute ListBuildingRecordings = new(
        "ListBuildingRecordings", "GET", "buildings/{buildingId}/recordings",
        Roles.PropertyManager | Roles.PrivacyOfficer, Scope.Building,
        "A building's catalogued recordings captured in [from, to), paged by continuation.")
    {
        Query = ["from", "to", "pageSize", "continuation"],
            Returns = [(200, typeof(RecordingPage))],
        Refuses = [400],
    };

    public static readonly ApiRoute PutResident = new(
        "PutResident", "PUT", "residents/{residentId}",
        Roles.PropertyManager, Scope.Building, "Registers or updates a resident (identifiers, unit, move-in).")
    {
        Body = typeof(ResidentInput),
        BodyExample = new ResidentInput("building-7", "unit-12a", new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero), "resident@example.com", null, null, "new-york"),
        Returns = [(200, typeof(ResidentRecord)), (201, typeof(ResidentRecord))],
        Refuses = [400, 404],
    };

    public static readonly ApiRoute GetResident = new(
        "GetResident", "GET", "residents/{residentId}",
        Roles.Resident | Roles.PropertyManager | Roles.PrivacyOfficer, Scope.Subject, "A resident's record, consent and deadlines.")
    {
        Returns = [(200, typeof(ResidentRecord))],
        ReturnsAlso = [("facialEntryStatus", typeof(FacialEntryStatus))],
        Refuses = [400, 404],
    };

    public static readonly ApiRoute MoveOut = new(
        "MoveOut", "POST", "residents/{residentId}/move-out",
        Roles.PropertyManager, Scope.Building, "Records a move-out: reference data goes within 90 days (O5).")
    {
        Body = typeof(MoveOutInput),
        BodyExample = new MoveOutInput(new DateTimeOffset(2026, 6, 30, 12, 0, 0, TimeSpan.Zero)),
        Returns = [(200, typeof(ResidentRecord))],
        Refuses = [400, 404, 409],
    };

    public static readonly ApiRoute GiveFacialEntryConsent = new(
        "GiveFacialEntryConsent", "POST", "residents/{residentId}/consents/facial-entry",
        Roles.Resident, Scope.Subject, "Opts in to Facial Entry (O3); cancels a pending reference-data deadline (O5).")
    {
        Body = typeof(ConsentInput),
        BodyExample = new ConsentInput(FacialEntryPolicies.All[0].Version),
        Returns = [(200, typeof(ResidentRecord))],
        Refuses = [400, 404, 409],
    };

    public static readonly ApiRoute WithdrawFacialEntryConsent = new(
        "WithdrawFacialEntryConsent", "DELETE", "residents/{residentId}/consents/facial-entry",
        Roles.Resident, Scope.Subject, "Withdraws Facial Entry consent: face processing stops now (O3), reference data goes within 90 days (O5).")
    {
        Returns = [(200, typeof(ResidentRecord))],
        Refuses = [400, 404, 409],
    };

    public static readonly ApiRoute PutFacialEnrollment = new(
        "PutFacialEnrollment", "PUT", "residents/{residentId}/facial-entry/enrollment",
        Roles.Resident, Scope.Subject,
        "Enrolls (or replaces) the resident's own Facial Entry reference face from an image/jpeg body; needs a live consent (O3, O5).")
    {
        BinaryBody = "image/jpeg",
        Returns = [(200, typeof(FacialEntryStatus)), (201, typeof(FacialEntryStatus))],
        Refuses = [400, 404, 409, 413, 415, 422, 502, 503],
    };

    public static readonly ApiRoute DeleteFacialEnrollment = new(
        "DeleteFacialEnrollment", "DELETE", "residents/{residentId}/facial-entry/enrollment",
        Roles.Resident, Scope.Subject, "Removes the resident's own Facial Entry reference through the audited deletion path (O5).")
    {
        Returns = [(200, typeof(FacialEntryStatus))],
        Refuses = [400, 404, 409],
    };

    public static readonly ApiRoute PutMessagePreferences = new(
        "PutMessagePreferences", "PUT", "residents/{residentId}/message-preferences",
        Roles.Resident, Scope.Subject, "Opts in or out of informational and offer messages (O16).")
    {
        Body = typeof(MessagePreferencesInput),
        BodyExample = new MessagePreferencesInput(Informational: true, Offers: false),
        Returns = [(200, typeof(ResidentRecord))],
        Refuses = [400, 404, 409],
    };

    public static readonly ApiRoute PostDoorEvents = new(
        "PostDoorEvents", "POST", "buildings/{buildingId}/door-events",
        Roles.Device, Scope.Building, "A batch of door authentication events from a keyless entry device (O4).")
    {
        Body = typeof(DoorEventBatch),
        BodyExample = new DoorEventBatch([new DoorEventInput("event-1", "door-1", EntryMethod.Face, "resident-42", new DateTimeOffset(2026, 3, 1, 8, 30, 0, TimeSpan.Zero), Granted: true)]),
        Returns = [(202, typeof(DoorEventBatchResult))],
        Refuses = [400, 404, 409],
    };

    public static readonly ApiRoute PlaceHold = new(
        "PlaceHold", "POST", "holds",
        Roles.PrivacyOfficer, Scope.Global, "Places a hold (O6): reason, scope, owner, review date.")
    {
        Body = typeof(HoldInput),
        Returns = [(201, typeof(HoldRecord))],
        Refuses = [400],
    };

    public static readonly ApiRoute ListHolds = new(
        "ListHolds", "GET", "holds",
        Roles.PrivacyOfficer, Scope.Global, "The active holds, with how many items each has kept.")
    {
        Returns = [(200, typeof(IReadOnlyList<HoldRecord>))],
    };

    public static readonly ApiRoute GetHold = new(
        "GetHold", "GET", "holds/{holdId}",
        Roles.PrivacyOfficer, Scope.Global, "One hold.")
    {
        Returns = [(200, typeof(HoldRecord))],
        Refuses = [404],
    };

    public static readonly ApiRoute ReleaseHold = new(
        "ReleaseHold", "DELETE", "holds/{holdId}",
        Roles.PrivacyOfficer, Scope.Global, "Releases a hold, with an optional reason code for the audit entry; overdue items it kept are deleted within moments (O6).")
    {
        Query = ["reason"],
        QueryPatterns = new Dictionary<string, string> { ["reason"] = OpenApiDocument.IdPattern },
        Refuses = [400, 404],
        Returns = [(200, typeof(HoldRecord))],
    };

    public static readonly ApiRoute RecordDisclosure = new(
        "RecordDisclosure", "POST", "disclosures",
        Roles.PrivacyOfficer | Roles.PropertyManager, Scope.Building, "Records a disclosure in the sharing ledger; marketing and unlawful keyless-entry sharing are refused (O12).")
    {
        ScopeParameter = ApiRoute.ScopeInBody,
            Body = typeof(DisclosureInput),
        Returns = [(201, typeof(DisclosureRecord))],
        Refuses = [400, 404, 422],
    };

    public static readonly ApiRoute ListDisclosures = new(
        "ListDisclosures", "GET", "disclosures",
        Roles.PrivacyOfficer, Scope.Global, "The disclosures about one subject or one building (O12).")
    {
        Query = ["subjectId", "buildingId"],
            Returns = [(200, typeof(IReadOnlyList<DisclosureRecord>))],
        Refuses = [400],
    };

    public static readonly ApiRoute ChangeUnitSetting = new(
        "ChangeUnitSetting", "POST", "buildings/{buildingId}/units/{unitId}/settings",
        Roles.Device | Roles.Resident | Roles.PropertyManager, Scope.Unit, "A shared setting of a unit changed: its other residents are alerted (O13, O16).")
    {
        Body = typeof(SettingChangeInput),
        Returns = [(202, typeof(SettingChangeAccepted))],
        Refuses = [400],
    };

    public static readonly ApiRoute DeclareIncident = new(
        "DeclareIncident", "POST", "incidents",
        Roles.PrivacyOfficer, Scope.Global, "Declares a breach: every affected resident is emailed within ten business days (O14).")
    {
        Body = typeof(IncidentInput),
        Returns = [(202, typeof(IncidentRecord))],
        Refuses = [400],
    };

    public static readonly ApiRoute GetIncident = new(
        "GetIncident", "GET", "incidents/{incidentId}",
        Roles.PrivacyOfficer, Scope.Global, "A breach campaign: affected, sent, bounced, skipped, pending, and its deadline (O14).")
    {
        Returns = [(200, typeof(IncidentStatus))],
        Refuses = [404],
    };

    public static readonly ApiRoute ListIncidents = new(
        "ListIncidents", "GET", "incidents",
        Roles.PrivacyOfficer, Scope.Global,
        "The declared breaches, newest first, each with its campaign (affected, sent, bounced, skipped, pending), its deadline and escalation (O14); paged by continuation.")
    {
        Query = ["pageSize", "continuation"],
        Returns = [(200, typeof(IncidentPage))],
        Refuses = [400],
    };

    public static readonly ApiRoute ListDeadLetters = new(
        "ListDeadLetters", "GET", "dead-letters/{queue}",
        Roles.PrivacyOfficer, Scope.Global, "Messages that could not be handled, with their reasons.")
    {
        Returns = [(200, typeof(IReadOnlyList<DeadLetter>))],
        Refuses = [404],
    };

    public static readonly ApiRoute ReplayDeadLetters = new(
        "ReplayDeadLetters", "POST", "dead-letters/{queue}/replay",
        Roles.PrivacyOfficer, Scope.Global, "Puts dead-lettered messages back on their queue.")
    {
        Returns = [(200, typeof(DeadLettersReplayed))],
        Refuses = [404],
    };

    public static readonly ApiRoute SubmitPrivacyRequest = new(
        "SubmitPrivacyRequest", "POST", "privacy-requests",
        Roles.Resident | Roles.AuthorizedAgent | Roles.PrivacyOfficer, Scope.Subject,
        "A privacy request (access, deletion, correction, categories shared, a child's data): verified with a code sent to the person on file (O8-O11, O15).")
    {
        ScopeParameter = ApiRoute.ScopeInBody,
            Body = typeof(PrivacyRequestInput),
        Returns = [(202, typeof(PrivacyRequestAccepted))],
        Refuses = [400, 404],
    };

    public static readonly ApiRoute GetPrivacyRequest = new(
        "GetPrivacyRequest", "GET", "privacy-requests/{requestId}",
        Roles.Resident | Roles.AuthorizedAgent | Roles.PrivacyOfficer, Scope.Subject, "A request's status, due date, steps, answer and export link (O18).")
    {
        ScopeParameter = "requestId",
            Returns = [(200, typeof(PrivacyRequestStatus))],
        Refuses = [404],
    };

    public static readonly ApiRoute VerifyPrivacyRequest = new(
        "VerifyPrivacyRequest", "POST", "privacy-requests/{requestId}/verification",
        Roles.Resident | Roles.AuthorizedAgent | Roles.PrivacyOfficer, Scope.Subject, "The one-time code the person received: limited attempts, expiry (O10).")
    {
        ScopeParameter = "requestId",
            Body = typeof(VerificationInput),
        BodyExample = new VerificationInput("123456"),
        Returns = [(200, typeof(VerificationResult))],
        Refuses = [400, 404, 410, 429],
    };

    public static readonly ApiRoute VerifyPrivacyRequestManually = new(
        "VerifyPrivacyRequestManually", "POST", "privacy-requests/{requestId}/manual-verification",
        Roles.PrivacyOfficer, Scope.Global,
        "The privacy office's own check of who the requester is (a person not on file, or one the code cannot reach): who, when, how and the outcome are recorded (O10, O18).")
    {
        Body = typeof(ManualVerificationInput),
        BodyExample = new ManualVerificationInput("verified", "government-id-by-video-call", null),
        Returns = [(200, typeof(PrivacyRequestRecord))],
        Refuses = [400, 404, 409],
    };

    public static readonly ApiRoute PutVisitorPhoto = new(
        "PutVisitorPhoto", "PUT", "privacy-requests/{requestId}/visitor-photo",
        Roles.PrivacyOfficer, Scope.Global,
        "A visitor's photo for their access request (a person not on file, before the office's verification), image/jpeg with consent=given: where the Face API runs, the face it matches stays unblurred in their answer and every other face is blurred; deleted when the request closes (O8-O10, PIPEDA s.9(1)).")
    {
        BinaryBody = "image/jpeg",
        Query = ["consent"],
        QueryPatterns = new Dictionary<string, string> { ["consent"] = "^given$" },
        Returns = [(200, typeof(VisitorPhotoStatus))],
        Refuses = [400, 404, 409, 413, 415, 422, 503],
    };

    public static readonly ApiRoute ExtendPrivacyRequest = new(
        "ExtendPrivacyRequest", "POST", "privacy-requests/{requestId}/extension",
        Roles.PrivacyOfficer, Scope.Global, "The one extension the law allows, with notice to the requester.")
    {
        Body = typeof(ExtensionInput),
        Returns = [(200, typeof(PrivacyRequestRecord))],
        Refuses = [400, 404, 409],
    };

    public static readonly ApiRoute ResolveCorrection = new(
        "ResolveCorrection", "POST", "privacy-requests/{requestId}/correction-outcome",
        Roles.PropertyManager | Roles.PrivacyOfficer, Scope.Building, "Property management's answer to a correction request (O11).")
    {
        ScopeParameter = "requestId",
            Body = typeof(CorrectionOutcomeInput),
        BodyExample = new CorrectionOutcomeInput("corrected", null),
        Returns = [(202, typeof(CorrectionAccepted))],
        Refuses = [400, 404, 409],
    };

    public static readonly ApiRoute ListOwnPrivacyRequests = new(
        "ListOwnPrivacyRequests", "GET", "residents/{residentId}/privacy-requests",
        Roles.Resident | Roles.AuthorizedAgent | Roles.PrivacyOfficer, Scope.Subject, "The resident's own privacy requests, newest first: type, received, due, status (O18).")
    {
        Returns = [(200, typeof(IReadOnlyList<RequestIndexEntry>))],
        Refuses = [400],
    };

    public static readonly ApiRoute ListOwnDoorEvents = new(
        "ListOwnDoorEvents", "GET", "residents/{residentId}/door-events",
        Roles.Resident | Roles.PrivacyOfficer, Scope.Subject, "The resident's own door events, each kept at most 90 days (O4), paged by continuation.")
    {
        Query = ["pageSize", "continuation"],
        Returns = [(200, typeof(DoorEventPage))],
        Refuses = [400],
    };

    public static readonly ApiRoute GetMessagePreferences = new(
        "GetMessagePreferences", "GET", "residents/{residentId}/message-preferences",
        Roles.Resident | Roles.PrivacyOfficer, Scope.Subject, "The resident's own message choices (O16).")
    {
        Returns = [(200, typeof(MessagePreferences))],
        Refuses = [400],
    };

    public static readonly ApiRoute GetConsents = new(
        "GetConsents", "GET", "residents/{residentId}/consents",
        Roles.Resident | Roles.PrivacyOfficer, Scope.Subject, "The resident's Facial Entry consent and every grant and withdrawal, with the policy version of each (O3).")
    {
        Returns = [(200, typeof(ConsentHistory))],
        Refuses = [400],
    };

    public static readonly ApiRoute GetFacialEntryPolicy = new(
        "GetFacialEntryPolicy", "GET", "facial-entry/policy",
        Roles.None, Scope.Anonymous, "The Facial Entry policy a resident reviews before opting in: the version offered now, or the one named (O3).")
    {
        Query = ["version"],
        QueryPatterns = new Dictionary<string, string> { ["version"] = OpenApiDocument.IdPattern },
        Returns = [(200, typeof(FacialEntryPolicy))],
        Refuses = [404],
    };

    public static readonly ApiRoute ListCorrectionTasks = new(
        "ListCorrectionTasks", "GET", "buildings/{buildingId}/correction-tasks",
        Roles.PropertyManager | Roles.PrivacyOfficer, Scope.Building, "The building's correction requests waiting for property management's answer, soonest due first (O11).")
    {
        Returns = [(200, typeof(IReadOnlyList<CorrectionTask>))],
        Refuses = [400],
    };

    public static readonly ApiRoute PutDevice = new(
        "PutDevice", "PUT", "buildings/{buildingId}/devices/{deviceId}",
        Roles.PropertyManager, Scope.Building, "Registers a device in the building, or changes its doors (issue 16.3; O2, O4): only a registered, active device's uploads are catalogued.")
    {
        Body = typeof(Devices.DeviceInput),
        BodyExample = new Devices.DeviceInput(["lobby", "garage"]),
        Returns = [(200, typeof(Devices.DeviceRecord)), (201, typeof(Devices.DeviceRecord))],
        Refuses = [400, 404, 409],
    };

    public static readonly ApiRoute RetireDevice = new(
        "RetireDevice", "POST", "buildings/{buildingId}/devices/{deviceId}/retirement",
        Roles.PropertyManager, Scope.Building, "Retires a device, for good: no more upload grants, its uploads are quarantined (issue 16.3).")
    {
        Returns = [(200, typeof(Devices.DeviceRecord))],
        Refuses = [404],
    };

    public static readonly ApiRoute ListBuildingDevices = new(
        "ListBuildingDevices", "GET", "buildings/{buildingId}/devices",
        Roles.PropertyManager | Roles.PrivacyOfficer, Scope.Building, "The building's devices, active and retired, with their doors (issue 16.3).")
    {
        Returns = [(200, typeof(IReadOnlyList<Devices.DeviceRecord>))],
        Refuses = [400],
    };

    public static readonly ApiRoute RequestUploadGrant = new(
        "RequestUploadGrant", "POST", "buildings/{buildingId}/devices/{deviceId}/upload-grant",
        Roles.Device, Scope.Building,
        "A device's own short-lived grant to create the named captures at its own doors in recordings: a create-only SAS per blob name (issue 16.3; O2, O4).")
    {
        Body = typeof(Devices.UploadGrantInput),
        BodyExample = new Devices.UploadGrantInput([new Devices.UploadGrantItem("lobby", "cap-0001", "mp4")]),
        Returns = [(200, typeof(Devices.UploadGrant))],
        Refuses = [400, 403, 404, 409],
    };

    public static readonly ApiRoute ListAuditEntries = new(
        "ListAuditEntries", "GET", "audit",
        Roles.PrivacyOfficer, Scope.Global,
        "Audit entries of the UTC days [from, to), filtered by obligation, action, item reference, outcome; one day partition per store query, paged by continuation.")
    {
        Query = ["from", "to", "obligation", "action", "itemRef", "outcome", "pageSize", "continuation"],
        Returns = [(200, typeof(Auditing.AuditTrailPage))],
        Refuses = [400],
    };

    public static readonly ApiRoute ListQuarantine = new(
        "ListQuarantine", "GET", "quarantine",
        Roles.PrivacyOfficer, Scope.Global, "Uploads refused at ingestion in [from, to), with their reasons (O1, O2), paged by continuation.")
    {
        Query = ["from", "to", "pageSize", "continuation"],
        Returns = [(200, typeof(Auditing.AuditTrailPage))],
        Refuses = [400],
    };

    public static readonly ApiRoute ListOpenRequests = new(
        "ListOpenRequests", "GET", "open-requests",
        Roles.PrivacyOfficer, Scope.Global, "Open privacy requests with their clocks (received, acknowledge by, due, extended, status), soonest due first (D1).")
    {
        Query = ["pageSize", "continuation"],
        Returns = [(200, typeof(Evidence.OpenRequestPage))],
        Refuses = [400],
    };

    public static readonly ApiRoute ListHoldReviews = new(
        "ListHoldReviews", "GET", "hold-reviews",
        Roles.PrivacyOfficer, Scope.Global, "Active holds whose review date is past or within 'withinDays' (default 7) (O6).")
    {
        Query = ["withinDays"],
        Returns = [(200, typeof(Evidence.HoldReviewPage))],
        Refuses = [400],
    };

    public static readonly ApiRoute GetComplianceReport = new(
        "GetComplianceReport", "GET", "compliance-report",
        Roles.PrivacyOfficer, Scope.Global,
        "For each obligation O1-O18 and each clock of D1 in [from, to): due, done, lag or margin, late, missed, and the audit entries that prove each item; JSON or printable HTML.")
    {
        Query = ["from", "to", "format"],
        Returns = [(200, typeof(Evidence.ComplianceReport))],
        Refuses = [400],
    };

    public static IReadOnlyList<ApiRoute> All { get; } =
    [
        Health, OpenApi, Console, ConsoleAsset, GetRecording, ListBuildingRecordings,
        PutResident, GetResident, MoveOut, GiveFacialEntryConsent, WithdrawFacialEntryConsent, PutFacialEnrollment, DeleteFacialEnrollment, PutMessagePreferences,
        PostDoorEvents, PlaceHold, ListHolds, GetHold, ReleaseHold,
        RecordDisclosure, ListDisclosures, ChangeUnitSetting, DeclareIncident, GetIncident, ListIncidents, ListDeadLetters, ReplayDeadLetters,
        SubmitPrivacyRequest, GetPrivacyRequest, VerifyPrivacyRequest, VerifyPrivacyRequestManually, PutVisitorPhoto, ExtendPrivacyRequest, ResolveCorrection,
        ListOwnPrivacyRequests, ListOwnDoorEvents, GetMessagePreferences, GetConsents, GetFacialEntryPolicy, ListCorrectionTasks,
        PutDevice, RetireDevice, ListBuildingDevices, RequestUploadGrant,
        ListAuditEntries, ListQuarantine, ListOpenRequests, ListHoldReviews, GetComplianceReport,
    ];
}
