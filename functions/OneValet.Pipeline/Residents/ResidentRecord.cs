namespace OneValet.Pipeline.Residents;

/// <summary>A consent event (O3): when, which version of the policy, and who gave it when not the resident themselves
/// (a minor's guardian, O15: their resident id).</summary>
public sealed record ConsentEvent(string Action, DateTimeOffset At, string? PolicyVersion, string? GivenBy = null);

/// <summary>
/// The guardian of a minor (O15, TDPA): another resident (by pseudonymous id) or a contact on file (an email, a name).
/// A minor's Facial Entry consent is given by a guardian who is a resident; a request about a minor is verified through the
/// guardian (the code goes to the guardian's address).
/// </summary>
public sealed record Guardian(string? ResidentId, string? Email, string? Name);

/// <summary>The Facial Entry consent of a resident (O3).</summary>
public sealed record FacialEntryConsent
{
    public required DateTimeOffset GivenAt { get; init; }

    public required string PolicyVersion { get; init; }

    public DateTimeOffset? WithdrawnAt { get; init; }

    /// <summary>Every grant and withdrawal, kept as proof (no biometric data).</summary>
    public IReadOnlyList<ConsentEvent> History { get; init; } = [];
}

/// <summary>A resident's message choices (O16): informational and offer messages may be refused; service messages not.</summary>
public sealed record MessagePreferences(bool Informational = true, bool Offers = false);

/// <summary>
/// A resident (container <c>residents</c>, partition = resident id, id <c>profile</c>). The resident id is pseudonymous
/// (it is what logs, queues, orchestrations and audit entries carry); identifiers live only here.
/// </summary>
public sealed record ResidentRecord
{
    public const string DocumentId = "profile";

    /// <summary>The email of a resident whose identifiers were anonymized (O9, O7).</summary>
    public const string AnonymizedEmail = "anonymized@invalid";

    public required string ResidentId { get; init; }

    public required string BuildingId { get; init; }

    public required string UnitId { get; init; }

    public required DateTimeOffset MovedInAt { get; init; }

    public DateTimeOffset? MovedOutAt { get; init; }

    /// <summary>Identifiers (O1: category "identifiers", purpose "account and notices", source "property management").</summary>
    public required string Email { get; init; }

    public string? Name { get; init; }

    public string? Phone { get; init; }

    /// <summary>california, canada, new-york or other: which request clocks and holidays apply.</summary>
    public required string Jurisdiction { get; init; }

    public MessagePreferences Messages { get; init; } = new();

    /// <summary>A minor (O15): their Facial Entry consent needs their guardian's, and requests about them are verified
    /// through the guardian.</summary>
    public bool Minor { get; init; }

    /// <summary>A minor's guardian (required when <see cref="Minor"/>).</summary>
    public Guardian? Guardian { get; init; }

    public FacialEntryConsent? FacialEntry { get; init; }

    /// <summary>The pending O5 deadline of the resident's reference data, after move-out or withdrawal; stored so that
    /// re-consent can cancel it and an auditor can see it.</summary>
    public DateTimeOffset? ReferenceDataDeadline { get; init; }

    /// <summary>O7: when the resident's identifiers (name, email, phone) are minimized after move-out, by their own rule
    /// (<see cref="Retention.RetentionPolicy.ForResidentIdentifiers"/>), unless a lease-contract or legal-obligation hold
    /// keeps them (O9). Null while the resident lives here.</summary>
    public DateTimeOffset? IdentifiersDeadline { get; init; }

    /// <summary>O3: face data of this person may be processed only now, with a live consent, while living here.</summary>
    public bool FacialEntryActive => FacialEntry is { WithdrawnAt: null } && MovedOutAt is null;
}

/// <summary>A Facial Entry enrollment: reference data (O5). Written by enrollment (step 7); deleted by retention.</summary>
public sealed record FacialEnrollmentRecord
{
    public const string DocumentId = "facial-enrollment";

    public required string ResidentId { get; init; }

    public required string BuildingId { get; init; }

    public required DateTimeOffset EnrolledAt { get; init; }

    /// <summary>Where the reference lives: the Face API person id (in the large person group of <see cref="BuildingId"/>),
    /// or a blob of the reference image.</summary>
    public string? FacePersonId { get; init; }

    public string? ReferenceBlobName { get; init; }

    /// <summary>
    /// When the enrollment ended for good: consent withdrawn, move-out, or a move to another building (O3). From then on it
    /// is never used again, whatever the resident does later: its Face API person is deleted at once and the rest goes by
    /// the O5 deadline; a resident who consents again enrolls again.
    /// </summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Whether door captures of <paramref name="buildingId"/> may be checked against this enrollment (O3, O4).</summary>
    public bool UsableIn(string buildingId) => EndedAt is null && BuildingId == buildingId;
}
