using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Retention;

/// <summary>Where a kind of data is kept: a record container of the store, or a blob container.</summary>
public enum StoreKind
{
    Records,
    Blobs,
}

/// <summary>The policy's closed list of purposes: a stored item's purpose is one of these (REFERENCE.md, second reading).</summary>
public enum Purpose
{
    PerformingServices,
    SecurityAndFraudPrevention,
    ImprovingAndRepairing,
    ResearchAndDevelopment,
    FeedbackRequests,
    LegalRequirements,
    BusinessPurposes,
    QualityAndSafety,
}

/// <summary>
/// One kind of stored data (O1, O7): where it is kept, its category (the policy's word), its purpose, its retention rule
/// (id, obligation, period and clock), why that period, and what deletes it. <see cref="Configured"/> reads the period
/// from <see cref="RetentionOptions"/> where the law lets it be configured; null means the period is the law's or the
/// kind's own (stated in <see cref="Period"/>).
/// </summary>
public sealed record RecordKind(
    StoreKind Store,
    string Container,
    string Category,
    Purpose Purpose,
    string Rule,
    string Obligation,
    string Period,
    string Why,
    string EnforcedBy,
    Func<RetentionOptions, TimeSpan>? Configured = null);

/// <summary>
/// The one table of what is stored (O1, O7): every record container and every blob container declares its category,
/// purpose and retention rule here, and nowhere else. Both record stores refuse a write to a container this table does
/// not declare (<see cref="EnsureDeclared"/>), so a new container cannot be written before its rule is written down; the
/// README's retention table is this table.
/// </summary>
public static class DataInventory
{
    private const string Sweep = "schedule entry per item, enforced by the bucket timers and the hourly sweep (RetentionEnforcer, holds first)";

    public static IReadOnlyList<RecordKind> Kinds { get; } =
    [
        new(StoreKind.Records, Containers.Recordings, "sensory data; Facial Entry authentication data", Purpose.SecurityAndFraudPrevention,
            "footage-{scope}-{N}d / tdpa-authentication-{N}d / quarantined-...", "O2, O4",
            "footage: capture + the building's rule (default 30 d, at most 365 d); Facial Entry capture: collection + at most 90 d",
            "O2: the building's rule; O4: the TDPA's 90 days", Sweep, o => o.SurveillanceFootage),
        new(StoreKind.Records, Containers.DoorEvents, "hardware usage data (TDPA authentication data)", Purpose.PerformingServices,
            "tdpa-authentication-{N}d", "O4", "collection + AuthenticationData (at most 90 d)", "O4: the TDPA's 90 days from collection",
            Sweep, o => o.AuthenticationData),
        new(StoreKind.Records, Containers.Residents, "identifiers; account information; Facial Entry consent and reference data", Purpose.PerformingServices,
            "resident-identifiers-after-move-out-{N}d / tdpa-reference-{N}d", "O5, O7, O9",
            "identifiers: move-out + ResidentIdentifiersAfterMoveOut (default 90 d, at most 365 d), or at once on a deletion request; enrollment: move-out or withdrawal + at most 90 d; the pseudonymous id and consent history stay as proof (no identifiers)",
            "only as long as necessary: after move-out identifiers serve final notices and property management's contract; longer only under a lease-contract or legal-obligation hold (O9)",
            Sweep, o => o.ResidentIdentifiersAfterMoveOut),
        new(StoreKind.Records, Containers.ResidentEmails, "identifiers (keyed hash of the email, no address)", Purpose.PerformingServices,
            "with the resident's identifiers", "O7, O10", "removed when the identifiers are minimized or changed",
            "finds a person for a privacy request only while their identifiers exist", "the resident's identifiers' deletion (ItemDeleter)"),
        new(StoreKind.Records, Containers.Occupancy, "identifiers (pseudonymous ids, unit, dates)", Purpose.PerformingServices,
            "with the resident record", "O7, O13", "as long as the pseudonymous resident record (no name, email or phone)",
            "finds roommates (O13) and a building's affected residents (O14); holds ids only", "rewritten with the resident record"),
        new(StoreKind.Records, Containers.Disclosures, "sharing ledger (category, recipient, purpose, legal basis, when)", Purpose.LegalRequirements,
            "disclosure-record-{N}d", "O8, O12", "disclosure + DisclosureRecords (default 730 d, from 365 d to 730 d)",
            "O8: an access answer covers the preceding 12 months of disclosures; kept no longer than request records (O18, 24 months)",
            Sweep, o => o.DisclosureRecords),
        new(StoreKind.Records, Containers.Deliveries, "communications (delivery status per recipient: ids and statuses)", Purpose.LegalRequirements,
            "delivery-record-{N}d", "O13, O14, O16", "first attempt + DeliveryRecords (default 730 d, at most 730 d); a breach's deliveries go with the incident",
            "proves a notice went out (O14 breach records 24 months, PIPEDA s.10.3); no longer", Sweep, o => o.DeliveryRecords),
        new(StoreKind.Records, Containers.Incidents, "breach records", Purpose.LegalRequirements,
            "incident-24m", "O14", "24 months (fixed)", "O14: records of every breach are kept 24 months (PIPEDA s.10.3)", Sweep),
        new(StoreKind.Records, Containers.Requests, "communications (privacy requests and their indexes, verification, correction notes)", Purpose.LegalRequirements,
            "request-record-24m; request-identity-minimized", "O18",
            "record: close + 24 months (fixed), with its month, subject and de-duplication index entries; identity data and correction notes: close + MinimizeAfter (1 h); verification and open index: at close",
            "O18: a record of each request for 24 months (11 CCR 7101), used for nothing else", Sweep),
        new(StoreKind.Records, Containers.Audit, "audit trail (ids, rules, outcomes; no personal data)", Purpose.LegalRequirements,
            "audit-day-{N}d", "O1-O18, D1", "the day's end + AuditEntries (default 730 d, from 730 d to 1095 d)",
            "proves deletions and request answers for as long as the records they answer for (O14, O18: 24 months)", Sweep, o => o.AuditEntries),
        new(StoreKind.Records, Containers.Schedule, "retention schedule (ids and deadlines)", Purpose.LegalRequirements,
            "until enforced", "O7", "each entry until its item is deleted; done entries stay with their closed bucket (ids only)",
            "every deadline is data, so a sweep and a restored backup find it", "closed with its bucket (RetentionSchedule)"),
        new(StoreKind.Records, Containers.Holds, "holds (reason, scope, owner, review date)", Purpose.LegalRequirements,
            "while active", "O6", "active until released or its own end; kept after release as the record of the exception",
            "O6: a hold names its reason, scope, owner and review date", "released by the privacy office (HoldsApi)"),
        new(StoreKind.Records, Containers.Devices, "device registry (console ids, building, doors, status; no personal data)", Purpose.SecurityAndFraudPrevention,
            "while registered", "O1, O2, O4", "as long as the console is registered; a retired console's record stays as the reason its uploads are refused",
            "ingestion places every upload by it (unknown-device); it names hardware, never a person", "retired by property management (DevicesApi); not deleted yet"),
        new(StoreKind.Records, Containers.Ledger, "deletion ledger (item references, hashes; no personal data)", Purpose.LegalRequirements,
            "as long as backups", "O7", "as long as a backup could bring a deleted item back",
            "O7: where deletion is impossible (backups), restored items are recognised and deleted again", "kept apart, left out of restores"),
        new(StoreKind.Blobs, "recordings", "sensory data; Facial Entry authentication data", Purpose.SecurityAndFraudPrevention,
            "footage-{scope}-{N}d / tdpa-authentication-{N}d", "O2, O4", "as the catalogue record (recordings, above)",
            "O2: the building's rule; O4: the TDPA's 90 days", Sweep, o => o.SurveillanceFootage),
        new(StoreKind.Blobs, "quarantine", "refused uploads (what they claim to be)", Purpose.SecurityAndFraudPrevention,
            "quarantined-...", "O2, O4", "the rule of what the upload claims to be, from the earlier of claimed capture and upload; lifecycle backstop 85 d",
            "a refused upload is kept no longer than what it claims to be", Sweep, o => o.AuthenticationData),
        new(StoreKind.Blobs, "anonymized", "sensory data, every face blurred", Purpose.SecurityAndFraudPrevention,
            "anonymized-footage-{N}d", "O2, O7", "capture + AnonymizedFootage (default 365 d, at most 365 d)",
            "blurred footage still shows clothing, gait and acts: kept a bounded time", Sweep, o => o.AnonymizedFootage),
        new(StoreKind.Blobs, "facial-references", "Facial Entry reference data", Purpose.PerformingServices,
            "tdpa-reference-{N}d", "O5", "move-out or withdrawal + ReferenceDataAfterExit (at most 90 d)", "O5: the TDPA's 90 days",
            Sweep, o => o.ReferenceDataAfterExit),
        new(StoreKind.Blobs, "exports", "access-request answers (the person's data)", Purpose.LegalRequirements,
            "export-7d", "O8", "creation + Requests:ExportRetention (default 7 d)", "the person downloads it within minutes; a week covers retries", Sweep),
        new(StoreKind.Blobs, "request-documents", "an authorized agent's signed permission (identifiers, signatures); a visitor's photo of their face (sensory data, given with consent)", Purpose.LegalRequirements,
            "request-record-24m; visitor photo: request-identity-minimized", "O8, O10, O18",
            "permission: with the request's record, close + 24 months; visitor's photo: close + MinimizeAfter (1 h), with the request's identity data",
            "the proof that an agent acted with the person's permission (O10), kept as the request's record (O18); a visitor's photo serves their access answer only (O8: their face left unblurred) and no longer",
            Sweep + "; the photo by the request's minimization (ItemDeleter)"),
    ];

    /// <summary>The declared kind of a container, or null.</summary>
    public static RecordKind? Find(StoreKind store, string container) =>
        Kinds.FirstOrDefault(k => k.Store == store && string.Equals(k.Container, container, StringComparison.Ordinal));

    /// <summary>O1: refuses a write to a record container with no declared rule. The message names the container only.</summary>
    public static void EnsureDeclared(string container)
    {
        if (container is null || Find(StoreKind.Records, container) is null)
        {
            throw new UndeclaredRecordKindException(container);
        }
    }
}

/// <summary>A write to a container that declares no category, purpose and retention rule (O1): refused.</summary>
public sealed class UndeclaredRecordKindException(string? container)
    : InvalidOperationException($"The container '{container}' declares no category, purpose and retention rule (O1, O7; Retention/DataInventory); the write is refused.");
