namespace OneValet.Pipeline.Storage;

/// <summary>
/// Every record container, its partition key path and what the key holds. The Bicep templates and a test
/// cross-check this list: a container the code uses must exist in Azure with this partition key.
/// All containers use the same partition key path, <c>/pk</c>; the store writes the key into each document.
/// </summary>
public static class Containers
{
    public const string PartitionKeyPath = "/pk";

    /// <summary>Catalogue of recordings and Facial Entry captures (O2, O4). Partition: building id.</summary>
    public const string Recordings = "recordings";

    /// <summary>Audit trail: quarantines, deletions, holds (no personal data). Partition: UTC day (yyyy-MM-dd).</summary>
    public const string Audit = "audit";

    /// <summary>Retention schedule (O4, O5, O7): one entry per item and deadline, partitioned by due bucket; bucket
    /// index documents in the partition <c>buckets</c>. Every deadline is data here, so a sweep can always find it.</summary>
    public const string Schedule = "schedule";

    /// <summary>Holds (O6). Partition: <c>holds</c> (few documents, read whole by every enforcement batch).</summary>
    public const string Holds = "holds";

    /// <summary>Deletion ledger (O7): what was deleted, kept apart from the data so a restored backup cannot bring it
    /// back unnoticed. Partition: the deleted item's partition. No personal data.</summary>
    public const string Ledger = "ledger";

    /// <summary>Residents, their consents and Facial Entry enrollments (O3, O5). Partition: resident id.</summary>
    public const string Residents = "residents";

    /// <summary>Door authentication events (O4). Partition: the subject's resident id, or <c>building:{id}</c> when unknown (<see cref="Partitions"/>).</summary>
    public const string DoorEvents = "door-events";

    /// <summary>Who lives where (building → resident, with unit and dates): finds a unit's roommates and a building's
    /// affected residents in one partition. Partition: building id. Ids only.</summary>
    public const string Occupancy = "occupancy";

    /// <summary>Delivery of every notification, per recipient (O13, O14, O16). Partition: campaign (e.g. breach-{incident}).
    /// Ids and statuses only.</summary>
    public const string Deliveries = "deliveries";

    /// <summary>The sharing ledger (O12). Partition: the subject's resident id, or building:{id} for a building's data.</summary>
    public const string Disclosures = "disclosures";

    /// <summary>Breach incidents (O14), kept 24 months. Partition: incident id.</summary>
    public const string Incidents = "incidents";

    /// <summary>Privacy requests (O8–O11, O15, O18): each request's record, verification and correction task in the partition
    /// of its id; a subject's requests in <c>subject-{id}</c>; open requests in <c>open</c>; intake de-duplication in <c>dedupe</c>; the intake caps' counters in <c>intake-caps</c>.</summary>
    public const string Requests = "requests";

    /// <summary>Privacy-request intake's lookup of a person by email (issue 13): partition = HMAC-SHA256 of the normalized
    /// email under a secret that is not in the store (<see cref="Requests.RequestSecrets"/>), id = resident id; the document
    /// holds the resident's building. No address in any form, and one single-partition query per request.</summary>
    public const string ResidentEmails = "resident-emails";

    /// <summary>The device registry (issue 16.3): partition = building id, id = device id; each device id's one building in
    /// <c>device:{deviceId}</c> (id <c>owner</c>). Ids only.</summary>
    public const string Devices = "devices";

    public static IReadOnlyList<string> All { get; } =
        [Recordings, Audit, Schedule, Holds, Ledger, Residents, DoorEvents, Occupancy, Deliveries, Disclosures, Incidents, Requests, ResidentEmails, Devices];
}
