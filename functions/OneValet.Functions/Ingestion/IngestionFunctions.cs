using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using OneValet.Pipeline.Ingestion;

namespace OneValet.Functions.Ingestion;

/// <summary>
/// BlobCreated on <c>recordings</c>, delivered by Event Grid (the polling trigger lags and can miss blobs in large
/// containers). Binds, calls the ingestor, returns. A throw lets the trigger retry; after 5 tries the blob's event goes
/// to the poison queue, and the blob itself stays where it is (nothing is lost).
/// </summary>
public sealed class IngestionFunctions(RecordingIngestor ingestor, UploadReconciler reconciler)
{
    /// <summary>Daily at 03:15 UTC: every upload whose event was lost (dead-lettered, poisoned) is catalogued and gets its
    /// deadline (O1, O2, O4; <see cref="UploadReconciler"/>).</summary>
    [Function("ReconcileUploads")]
    public Task<ReconcileOutcome> ReconcileAsync(
        [TimerTrigger("0 15 3 * * *", RunOnStartup = false)] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        reconciler.RunAsync(client, cancellationToken);

    [Function("IngestRecording")]
    public async Task RunAsync(
        [BlobTrigger("recordings/{name}", Source = BlobTriggerSource.EventGrid, Connection = "Recordings")] BlobClient blob,
        string name,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        await ingestor.IngestAsync(name, client, cancellationToken).ConfigureAwait(false);
    }
}
