using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Residents;

/// <summary>
/// The audit entries of Facial Entry consents (O3): one per grant and per withdrawal, in the day of the consent's own time
/// (<see cref="FacialEntryConsent.GivenAt"/>, <see cref="FacialEntryConsent.WithdrawnAt"/>, the times of its
/// <see cref="FacialEntryConsent.History"/>), with an id made from the resident and that time. So a capture's check can
/// name the consent entry in force, and a report can read it, or a withdrawal, by id in its day (a point read).
/// </summary>
public static class ConsentAudit
{
    public const string Given = "facial-entry-consent-given";

    public const string Withdrawn = "facial-entry-consent-withdrawn";

    public static string IdFor(string action, string residentId, DateTimeOffset at) => AuditLog.IdFor(action, residentId, RecordJson.Timestamp(at));

    /// <summary>The time the entry of a consent change is about: the grant's or the withdrawal's own time; null for other
    /// actions.</summary>
    public static DateTimeOffset? TimeOf(string action, ResidentRecord updated) => action switch
    {
        Given => updated?.FacialEntry?.GivenAt,
        Withdrawn => updated?.FacialEntry?.WithdrawnAt,
        _ => null,
    };
}
