using OneValet.Pipeline.Auditing;

namespace OneValet.Pipeline.Evidence;

/// <summary>What the records say about one Facial Entry capture's check and the consent it was processed under (O3).</summary>
public enum ConsentFinding
{
    /// <summary>Never sent to the Face API (nobody consenting in the building, no Face API, not an image).</summary>
    NotProcessed,

    /// <summary>Processed, naming no consent entry.</summary>
    NoConsentNamed,

    /// <summary>Processed under a consent entry that is not in the trail.</summary>
    ConsentNotInTrail,

    /// <summary>Processed before the consent it names was given.</summary>
    BeforeConsent,

    /// <summary>Matched one resident under another resident's consent.</summary>
    AnotherResidentsConsent,

    /// <summary>Processed after the consent's withdrawal or the resident's move-out.</summary>
    AfterConsentEnded,

    /// <summary>Processed under a consent given before, not withdrawn, of the matched resident on a match.</summary>
    UnderLiveConsent,
}

/// <summary>
/// O3's rule for one capture's check, in one place: the compliance report judges a stored capture's check by it, and the
/// deletion of the capture (O4) records its verdict before the check entry loses the person
/// (<see cref="Faces.FacialEntryCheckEntries"/>), since the report cannot re-prove it afterwards.
/// </summary>
public static class FacialEntryConsentRule
{
    /// <summary>The check outcomes of a capture that was never sent to the Face API (O3: not processed).</summary>
    public static IReadOnlyList<string> NotProcessedCodes { get; } = ["no-consent", "not-configured", "not-an-image"];

    /// <summary>Judges a check (<paramref name="check"/>, done at its <see cref="AuditRecord.DoneAt"/>) against the consent entry
    /// it names (<paramref name="grant"/>, null when not found) and the ends (withdrawals, move-outs) of that consent's
    /// resident; returns the end found between the grant and the check, if that is the finding.</summary>
    public static (ConsentFinding Finding, AuditEntryView? End) Judge(AuditRecord check, AuditRecord? grant, IEnumerable<AuditEntryView>? ends)
    {
        ArgumentNullException.ThrowIfNull(check);
        if (NotProcessedCodes.Contains(check.ReasonCode) && check.ConsentEntryId is null)
        {
            return (ConsentFinding.NotProcessed, null);
        }

        if (check.ConsentEntryId is null || grant is null)
        {
            return (check.ConsentEntryId is null ? ConsentFinding.NoConsentNamed : ConsentFinding.ConsentNotInTrail, null);
        }

        var at = check.DoneAt;
        if (grant.At > at)
        {
            return (ConsentFinding.BeforeConsent, null);
        }

        if (check.SubjectId is { } subject && grant.ItemRef != "residents/" + subject)
        {
            return (ConsentFinding.AnotherResidentsConsent, null);
        }

        var ended = ends?.FirstOrDefault(e => e.Entry.At >= grant.At && e.Entry.At <= at);
        return ended is null ? (ConsentFinding.UnderLiveConsent, null) : (ConsentFinding.AfterConsentEnded, ended);
    }

    public static ItemState StateOf(ConsentFinding finding) => finding switch
    {
        ConsentFinding.NotProcessed or ConsentFinding.UnderLiveConsent => ItemState.OnTime,
        ConsentFinding.NoConsentNamed or ConsentFinding.ConsentNotInTrail => ItemState.ProofMissing,
        _ => ItemState.Missed,
    };
}
