namespace OneValet.Pipeline.Requests;

/// <summary>What a person asks for (O8, O9, O11, O15).</summary>
public enum RequestType
{
    Access,
    Deletion,
    Correction,
    CategoriesShared,
    ChildDataDeletion,
}

/// <summary>Where a request is.</summary>
public enum RequestStatus
{
    Received,
    AwaitingVerification,
    InProgress,
    AwaitingPropertyManagement,
    Completed,
    Denied,
    Unverified,
}

/// <summary>
/// An authorized agent acting for the person, with the person's signed permission (O10): <see cref="PermissionDocument"/>
/// is the signed permission itself, base64 of a PDF, JPEG or PNG of at most 512 KiB. It is kept as a blob under the request
/// (container <c>request-documents</c>, deleted with the request's record, O18); in the request's record this field holds
/// that blob's name instead. The person still confirms the request directly, with a code sent to the address on file.
/// </summary>
public sealed record AgentInput(string Name, string Email, string PermissionReference, bool SignedPermission, string PermissionDocument);

/// <summary>What a correction request asks to change (O11).</summary>
public sealed record CorrectionInput(string Field, string RequestedValue, string? Note);

/// <summary>Who the request is about: a resident id, or the email and building on file.</summary>
public sealed record SubjectInput(string? ResidentId, string? Email, string? BuildingId);

/// <summary>
/// A person nobody's record describes (O8–O10): a visitor an entry camera recorded, a former resident whose identifiers are
/// gone, a partner's employee, anyone. The privacy office files it for them (they have no account) and verifies who they
/// are itself (<see cref="ManualVerificationRecord"/>). What they give is how their data is found: the building, optionally
/// the door, and the time window they were there (at most <see cref="RequestOptions.NotOnFileWindow"/>). The email is where
/// the answer goes, in writing (identity data: removed at close).
/// </summary>
public sealed record NotOnFileInput(
    string Email,
    string Relationship,
    string BuildingId,
    string? DoorId,
    DateTimeOffset? From,
    DateTimeOffset? To,
    string? Description);

/// <summary>Body of <c>POST /api/privacy-requests</c>: about a person on file (<see cref="Subject"/>), or about one nobody's
/// record describes (<see cref="NotOnFile"/>, filed by the privacy office).</summary>
public sealed record PrivacyRequestInput(
    RequestType Type,
    string Jurisdiction,
    string? Province,
    SubjectInput? Subject,
    string Channel,
    AgentInput? Agent,
    CorrectionInput? Correction,
    DateTimeOffset? LookbackFrom,
    NotOnFileInput? NotOnFile = null);

/// <summary>Body of <c>POST /api/privacy-requests/{id}/manual-verification</c>: how the privacy office checked who the
/// requester is, when a code to an address on file cannot (O10; 11 CCR 7060–7062: a method proportionate to the data).</summary>
public sealed record ManualVerificationInput(string Outcome, string Method, string? Note);

/// <summary>The privacy office's check of the requester's identity, as the request's record keeps it (O10, O18): who (the
/// officer's account id), when, how, and the outcome. The note is free text and removed at close.</summary>
public sealed record ManualVerificationRecord(string By, DateTimeOffset At, string Method, bool Verified, string? Note);

/// <summary>
/// A visitor's photo given with an access request about a person not on file (O8–O10), as the request's record keeps it:
/// what was given (a JPEG, stored as <see cref="BlobName"/> in the request-documents container), when, through whom (the
/// officer's account id), and the consent (when, and for what: <see cref="VisitorPhotos.ConsentPurpose"/>, nothing else).
/// <see cref="FaceCheck"/> says how its one face was checked. No biometric template is kept: the Face API's faceIds expire
/// (60 s) and only the image is stored, until the request closes (<see cref="DeletedAt"/>, set at minimization).
/// </summary>
public sealed record VisitorPhotoRecord(
    string BlobName,
    DateTimeOffset ReceivedAt,
    string By,
    DateTimeOffset ConsentGivenAt,
    string ConsentPurpose,
    string FaceCheck,
    DateTimeOffset? DeletedAt = null);

/// <summary>One step of a request's progress, as <c>GET /api/privacy-requests/{id}</c> shows it.</summary>
public sealed record RequestStep(string Name, string Status, DateTimeOffset At);

/// <summary>What was kept in a deletion, why, and until when where that is known (O9): a date, or null while a hold or
/// a contract decides (the reason says which).</summary>
public sealed record KeptData(string Category, string Reason, DateTimeOffset? Until = null);

/// <summary>The answer of a request.</summary>
public sealed record RequestOutcome
{
    public required string Summary { get; init; }

    public IReadOnlyList<string> Deleted { get; init; } = [];

    public IReadOnlyList<KeptData> Kept { get; init; } = [];

    public IReadOnlyList<string> CategoriesShared { get; init; } = [];

    public IReadOnlyList<string> RecipientCategories { get; init; } = [];

    public string? MarketingStatement { get; init; }

    public string? ExportBlob { get; init; }

    public DateTimeOffset? ExportExpiresAt { get; init; }

    /// <summary>The redacted recordings of an access answer (blob names in the exports container), listed in the export.</summary>
    public IReadOnlyList<string> ExportFiles { get; init; } = [];

    public IReadOnlyList<KeptData> Withheld { get; init; } = [];
}

/// <summary>
/// A privacy request (container <c>requests</c>, partition = request id, id <c>request</c>), kept 24 months (O18: date, type,
/// channel, response, reason for any denial). Identity data (the email given, the agent's details, the correction's values)
/// is minimized once the request closes.
/// </summary>
public sealed record PrivacyRequestRecord
{
    public const string DocumentId = "request";

    public required string RequestId { get; init; }

    public required RequestType Type { get; init; }

    public required string Jurisdiction { get; init; }

    public string? Province { get; init; }

    /// <summary>Where <see cref="Jurisdiction"/> came from (D1): <c>record</c> (the person on file) or <c>request</c>
    /// (nobody on file matched, so the body's).</summary>
    public string? JurisdictionSource { get; init; }

    /// <summary>What the body asked for when it differed from the choice ("jurisdiction" or "jurisdiction/province").</summary>
    public string? RequestedJurisdiction { get; init; }

    /// <summary>The holiday calendar the business-day clocks were counted on (e.g. <c>ca-on</c>).</summary>
    public string? Calendar { get; init; }

    public required string Channel { get; init; }

    public string? SubjectId { get; init; }

    /// <summary>The email the requester gave (identity data; removed at close).</summary>
    public string? GivenEmail { get; init; }

    public AgentInput? Agent { get; init; }

    public CorrectionInput? Correction { get; init; }

    public DateTimeOffset? LookbackFrom { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>Receipt confirmed by (10 business days; California 11 CCR 7021(a)).</summary>
    public required DateTimeOffset AcknowledgeBy { get; init; }

    public DateTimeOffset? AcknowledgedAt { get; init; }

    /// <summary>Answer due (California 45 days from receipt whatever verification takes; Canada 30 days).</summary>
    public required DateTimeOffset DueAt { get; init; }

    /// <summary>Set by the one extension the law allows, with notice (45 more days in California, 30 in Canada).</summary>
    public DateTimeOffset? ExtendedDueAt { get; init; }

    public string? ExtensionReason { get; init; }

    public required RequestStatus Status { get; init; }

    public IReadOnlyList<RequestStep> Steps { get; init; } = [];

    public RequestOutcome? Outcome { get; init; }

    public string? DenialReason { get; init; }

    public DateTimeOffset? ClosedAt { get; init; }

    public DateTimeOffset? MinimizedAt { get; init; }

    public DateTimeOffset? NearDueAlertedAt { get; init; }

    /// <summary>A request about a person nobody's record describes, with what they gave (O8–O10).</summary>
    public NotOnFileInput? NotOnFile { get; init; }

    /// <summary>The privacy office's identity check, where it verified the requester instead of a code.</summary>
    public ManualVerificationRecord? ManualVerification { get; init; }

    /// <summary>The visitor's photo and their consent to its use for this answer only (O8–O10); the image goes at close.</summary>
    public VisitorPhotoRecord? VisitorPhoto { get; init; }

    public DateTimeOffset EffectiveDueAt => ExtendedDueAt ?? DueAt;

    public bool Closed => Status is RequestStatus.Completed or RequestStatus.Denied or RequestStatus.Unverified;
}

/// <summary>The person a request is about, as their record has them: id, and the jurisdiction that sets the clocks (D1).</summary>
public sealed record SubjectOnFile(string ResidentId, string Jurisdiction);

/// <summary>An index entry of a subject's requests (partition <c>subject-{id}</c>) or of open requests (partition <c>open</c>).</summary>
public sealed record RequestIndexEntry(string RequestId, RequestType Type, DateTimeOffset ReceivedAt, DateTimeOffset DueAt, string Status);
