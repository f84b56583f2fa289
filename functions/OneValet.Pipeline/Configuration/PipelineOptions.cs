using System.ComponentModel.DataAnnotations;

namespace OneValet.Pipeline.Configuration;

/// <summary>Where blobs live. Azure: <see cref="BlobServiceUri"/> with the managed identity; locally: a connection string to Azurite.</summary>
public sealed class StorageOptions
{
    public const string Section = "OneValet:Storage";

    /// <summary>e.g. https://account.blob.core.windows.net (identity-based; used in Azure).</summary>
    public Uri? BlobServiceUri { get; set; }

    /// <summary>Only for emulators (Azurite); never set in Azure.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Client id of the user-assigned managed identity (Azure).</summary>
    public string? ManagedIdentityClientId { get; set; }

    public string RecordingsContainer { get; set; } = "recordings";

    public string QuarantineContainer { get; set; } = "quarantine";

    public string ExportsContainer { get; set; } = "exports";

    /// <summary>Footage anonymized at its deadline (every face blurred; O2, O7), under the recording's blob name. Apart from
    /// <see cref="RecordingsContainer"/> so that the blurred form is never taken for a new upload.</summary>
    public string AnonymizedContainer { get; set; } = "anonymized";
    /// <summary>Private container of Facial Entry reference images where no Face API is configured (O3, O5).</summary>
    public string FacialReferencesContainer { get; set; } = "facial-references";

    /// <summary>Documents a privacy request brings (an authorized agent's signed permission, O10), under
    /// <c>{requestId}/</c>; deleted with the request's record (O18).</summary>
    public string RequestDocumentsContainer { get; set; } = "request-documents";

    /// <summary>Emulator only: a prefix for queue names, so several local hosts (tests) can share one Azurite.</summary>
    public string QueuePrefix { get; set; } = string.Empty;
}

/// <summary>The Cosmos DB account of the record store (Azure host).</summary>
public sealed class CosmosOptions
{
    public const string Section = "OneValet:Cosmos";

    [Required]
    public Uri? AccountEndpoint { get; set; }

    [Required]
    public string DatabaseName { get; set; } = "onevalet";
}

/// <summary>The Service Bus namespace of the pipeline's queues (Azure host), reached by managed identity.</summary>
public sealed class ServiceBusOptions
{
    public const string Section = "OneValet:ServiceBus";

    /// <summary>e.g. onevalet-prod.servicebus.windows.net</summary>
    [Required]
    public string? FullyQualifiedNamespace { get; set; }
}

/// <summary>Upload checks (O1, O2). See README, "Hardware upload contract".</summary>
public sealed class IngestionOptions
{
    public const string Section = "OneValet:Ingestion";

    /// <summary>Largest upload accepted, in bytes.</summary>
    [Range(1, long.MaxValue)]
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>A capture older than this when it arrives is refused.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How far in the future a capture time may be (device clocks drift).</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Local host only: how often the recordings container is listed for new uploads.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How many uploads are catalogued at once.</summary>
    [Range(1, 64)]
    public int Parallelism { get; set; } = 4;

    /// <summary>
    /// Issue 16.3: an upload is catalogued only when the device registry places its <c>deviceid</c>, active, at the door of
    /// its name (else quarantined <c>unknown-device</c>). On unless a test harness that uploads as unregistered consoles turns
    /// it off; no deployment sets it.
    /// </summary>
    public bool RegisteredDevicesOnly { get; set; } = true;

    /// <summary>How long a device's upload grant (create-only SAS) lasts; clamped to 1-15 minutes.</summary>
    public TimeSpan UploadGrantLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The daily reconciliation (<see cref="Ingestion.UploadReconciler"/>) ingests uploads older than this that
    /// nobody catalogued: long enough for their event to have come (Event Grid's first retries), short enough that a lost
    /// one is found on the next day's pass.</summary>
    public TimeSpan ReconcileAfter { get; set; } = TimeSpan.FromHours(1);
}
