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
        "Health", "GET", "health", Roles.None, Scope.Anonymous, "Liveness of the API.");

    public static readonly ApiRoute OpenApi = new(
        "OpenApi", "GET", "openapi.json", Roles.None, Scope.Anonymous, "This API's OpenAPI document.");

    public static readonly ApiRoute GetRecording = new(
        "GetRecording", "GET", "recordings/{buildingId}/{doorId}/{captureId}",
        Roles.PropertyManager | Roles.PrivacyOfficer, Scope.Building, "The catalogue record of one recording (O2, O4).");

    public static readonly ApiRoute ListBuildingRecordings = new(
        "ListBuildingRecordings", "GET", "buildings/{buildingId}/recordings",
        Roles.PropertyManager | Roles.PrivacyOfficer, Scope.Building,
        "A building's catalogued recordings captured in [from, to), paged by continuation.")
    {
        Query = ["from", "to", "pageSize", "continuation"],
    };

    public static readonly ApiRoute PutResident = new(
        "PutResident", "PUT", "residents/{residentId}",
        Roles.PropertyManager, Scope.Building, "Registers or updates a resident (identifiers, unit, move-in).");

    public static readonly ApiRoute GetResident = new(
        "GetResident", "GET", "residents/{residentId}",
        Roles.Resident | Roles.PropertyManager | Roles.PrivacyOfficer, Scope.Subject, "A resident's record, consent and deadlines.");

    public static readonly ApiRoute MoveOut = new(
        "MoveOut", "POST", "residents/{residentId}/move-out",
        Roles.PropertyManager, Scope.Building, "Records a move-out: reference data goes within 90 days (O5).");

    public static readonly ApiRoute GiveFacialEntryConsent = new(
        "GiveFacialEntryConsent", "POST", "residents/{residentId}/consents/facial-entry",
        Roles.Resident, Scope.Subject, "Opts in to Facial Entry (O3); cancels a pending reference-data deadline (O5).");

    public static readonly ApiRoute WithdrawFacialEntryConsent = new(
        "WithdrawFacialEntryConsent", "DELETE", "residents/{residentId}/consents/facial-entry",
        Roles.Resident, Scope.Subject, "Withdraws Facial Entry consent: face processing stops now (O3), reference data goes within 90 days (O5).");

    public static readonly ApiRoute PutFacialEnrollment = new(
        "PutFacialEnrollment", "PUT", "residents/{residentId}/facial-entry/enrollment",
        Roles.Resident, Scope.Subject,
        "Enrolls (or replaces) the resident's own Facial Entry reference face from an image/jpeg body; needs a live consent (O3, O5).");

    public static readonly ApiRoute DeleteFacialEnrollment = new(
        "DeleteFacialEnrollment", "DELETE", "residents/{residentId}/facial-entry/enrollment",
        Roles.Resident, Scope.Subject, "Removes the resident's own Facial Entry reference through the audited deletion path (O5).");

    public static readonly ApiRoute PutMessagePreferences = new(
        "PutMessagePreferences", "PUT", "residents/{residentId}/message-preferences",
        Roles.Resident, Scope.Subject, "Opts in or out of informational and offer messages (O16).");

    public static readonly ApiRoute PostDoorEvents = new(
        "PostDoorEvents", "POST", "buildings/{buildingId}/door-events",
        Roles.Device, Scope.Building, "A batch of door authentication events from a keyless entry device (O4).");

    public static readonly ApiRoute PlaceHold = new(
        "PlaceHold", "POST", "holds",
        Roles.PrivacyOfficer, Scope.Global, "Places a hold (O6): reason, scope, owner, review date.");

    public static readonly ApiRoute ListHolds = new(
        "ListHolds", "GET", "holds",
        Roles.PrivacyOfficer, Scope.Global, "The active holds, with how many items each has kept.");

    public static readonly ApiRoute GetHold = new(
        "GetHold", "GET", "holds/{holdId}",
        Roles.PrivacyOfficer, Scope.Global, "One hold.");

    public static readonly ApiRoute ReleaseHold = new(
        "ReleaseHold", "DELETE", "holds/{holdId}",
        Roles.PrivacyOfficer, Scope.Global, "Releases a hold; overdue items it kept are deleted within moments (O6).");

    public static readonly ApiRoute RecordDisclosure = new(
        "RecordDisclosure", "POST", "disclosures",
        Roles.PrivacyOfficer | Roles.PropertyManager, Scope.Building, "Records a disclosure in the sharing ledger; marketing and unlawful keyless-entry sharing are refused (O12).")
    {
        ScopeParameter = ApiRoute.ScopeInBody,
    };

    public static readonly ApiRoute ListDisclosures = new(
        "ListDisclosures", "GET", "disclosures",
        Roles.PrivacyOfficer, Scope.Global, "The disclosures about one subject or one building (O12).")
    {
        Query = ["subjectId", "buildingId"],
    };

    public static readonly ApiRoute ChangeUnitSetting = new(
        "ChangeUnitSetting", "POST", "buildings/{buildingId}/units/{unitId}/settings",
        Roles.Device | Roles.Resident | Roles.PropertyManager, Scope.Unit, "A shared setting of a unit changed: its other residents are alerted (O13, O16).");

    public static readonly ApiRoute DeclareIncident = new(
        "DeclareIncident", "POST", "incidents",
        Roles.PrivacyOfficer, Scope.Global, "Declares a breach: every affected resident is emailed within ten business days (O14).");

    public static readonly ApiRoute GetIncident = new(
        "GetIncident", "GET", "incidents/{incidentId}",
        Roles.PrivacyOfficer, Scope.Global, "A breach campaign: affected, sent, bounced, skipped, pending, and its deadline (O14).");

    public static readonly ApiRoute ListDeadLetters = new(
        "ListDeadLetters", "GET", "dead-letters/{queue}",
        Roles.PrivacyOfficer, Scope.Global, "Messages that could not be handled, with their reasons.");

    public static readonly ApiRoute ReplayDeadLetters = new(
        "ReplayDeadLetters", "POST", "dead-letters/{queue}/replay",
        Roles.PrivacyOfficer, Scope.Global, "Puts dead-lettered messages back on their queue.");

    public static readonly ApiRoute SubmitPrivacyRequest = new(
        "SubmitPrivacyRequest", "POST", "privacy-requests",
        Roles.Resident | Roles.AuthorizedAgent | Roles.PrivacyOfficer, Scope.Subject,
        "A privacy request (access, deletion, correction, categories shared, a child's data): verified with a code sent to the person on file (O8-O11, O15).")
    {
        ScopeParameter = ApiRoute.ScopeInBody,
    };

    public static readonly ApiRoute GetPrivacyRequest = new(
        "GetPrivacyRequest", "GET", "privacy-requests/{requestId}",
        Roles.Resident | Roles.AuthorizedAgent | Roles.PrivacyOfficer, Scope.Subject, "A request's status, due date, steps, answer and export link (O18).")
    {
        ScopeParameter = "requestId",
    };

    public static readonly ApiRoute VerifyPrivacyRequest = new(
        "VerifyPrivacyRequest", "POST", "privacy-requests/{requestId}/verification",
        Roles.Resident | Roles.AuthorizedAgent | Roles.PrivacyOfficer, Scope.Subject, "The one-time code the person received: limited attempts, expiry (O10).")
    {
        ScopeParameter = "requestId",
    };

    public static readonly ApiRoute ExtendPrivacyRequest = new(
        "ExtendPrivacyRequest", "POST", "privacy-requests/{requestId}/extension",
        Roles.PrivacyOfficer, Scope.Global, "The one extension the law allows, with notice to the requester.");

    public static readonly ApiRoute ResolveCorrection = new(
        "ResolveCorrection", "POST", "privacy-requests/{requestId}/correction-outcome",
        Roles.PropertyManager | Roles.PrivacyOfficer, Scope.Building, "Property management's answer to a correction request (O11).")
    {
        ScopeParameter = "requestId",
    };

    public static readonly ApiRoute ListAuditEntries = new(
        "ListAuditEntries", "GET", "audit",
        Roles.PrivacyOfficer, Scope.Global,
        "Audit entries of the UTC days [from, to), filtered by obligation, action, item reference, outcome; one day partition per store query, paged by continuation.")
    {
        Query = ["from", "to", "obligation", "action", "itemRef", "outcome", "pageSize", "continuation"],
    };

    public static readonly ApiRoute ListQuarantine = new(
        "ListQuarantine", "GET", "quarantine",
        Roles.PrivacyOfficer, Scope.Global, "Uploads refused at ingestion in [from, to), with their reasons (O1, O2), paged by continuation.")
    {
        Query = ["from", "to", "pageSize", "continuation"],
    };

    public static readonly ApiRoute ListOpenRequests = new(
        "ListOpenRequests", "GET", "open-requests",
        Roles.PrivacyOfficer, Scope.Global, "Open privacy requests with their clocks (received, acknowledge by, due, extended, status), soonest due first (D1).")
    {
        Query = ["pageSize", "continuation"],
    };

    public static readonly ApiRoute ListHoldReviews = new(
        "ListHoldReviews", "GET", "hold-reviews",
        Roles.PrivacyOfficer, Scope.Global, "Active holds whose review date is past or within 'withinDays' (default 7) (O6).")
    {
        Query = ["withinDays"],
    };

    public static readonly ApiRoute GetComplianceReport = new(
        "GetComplianceReport", "GET", "compliance-report",
        Roles.PrivacyOfficer, Scope.Global,
        "For each obligation O1-O18 and each clock of D1 in [from, to): due, done, lag or margin, late, missed, and the audit entries that prove each item; JSON or printable HTML.")
    {
        Query = ["from", "to", "format"],
    };

    public static IReadOnlyList<ApiRoute> All { get; } =
    [
        Health, OpenApi, GetRecording, ListBuildingRecordings,
        PutResident, GetResident, MoveOut, GiveFacialEntryConsent, WithdrawFacialEntryConsent, PutFacialEnrollment, DeleteFacialEnrollment, PutMessagePreferences,
        PostDoorEvents, PlaceHold, ListHolds, GetHold, ReleaseHold,
        RecordDisclosure, ListDisclosures, ChangeUnitSetting, DeclareIncident, GetIncident, ListDeadLetters, ReplayDeadLetters,
        SubmitPrivacyRequest, GetPrivacyRequest, VerifyPrivacyRequest, ExtendPrivacyRequest, ResolveCorrection,
        ListAuditEntries, ListQuarantine, ListOpenRequests, ListHoldReviews, GetComplianceReport,
    ];
}
