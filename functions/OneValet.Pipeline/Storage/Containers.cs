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

    /// <summary>Host bookkeeping: ingestion receipts, cursors. Partition: purpose.</summary>
    public const string Receipts = "receipts";

    public static IReadOnlyList<string> All { get; } = [Recordings, Audit, Receipts];
}
