using Azure.Storage.Blobs;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Configuration;

namespace OneValet.Pipeline.Ingestion;

/// <summary>What a reconciliation pass did: uploads old enough to have been catalogued, those it catalogued (or refused)
/// because nobody had, and those that failed (tried again next pass). Counts only.</summary>
public sealed record ReconcileOutcome(int Listed, int Recovered, int Failed);

/// <summary>
/// The certain half of ingestion (O1, O2, O4), as the hourly sweep is retention's. In Azure an upload is catalogued when
/// its BlobCreated event arrives; Event Grid gives up on an event after 30 tries or 24 hours (dead-lettered) and the blob
/// trigger sends it to the poison queue after 5 failures. The upload then stays in <c>recordings</c> with no catalogue
/// record, so no deadline: no sweep sees it, and a Facial Entry capture would be kept for ever. Run daily, this lists
/// the container and gives every upload older than <see cref="IngestionOptions.ReconcileAfter"/> to the same idempotent
/// <see cref="RecordingIngestor"/>: one already catalogued costs a properties read and a point read; one never catalogued
/// is catalogued, refused to quarantine, or deleted at once when already past its deadline, as if its event had come.
/// The local host's poller lists the container on every pass, so it has no such gap; this runs there only when called.
/// </summary>
public sealed partial class UploadReconciler(
    BlobServiceClient blobs,
    RecordingIngestor ingestor,
    IOptions<IngestionOptions> ingestionOptions,
    IOptions<StorageOptions> storageOptions,
    TimeProvider time,
    ILogger<UploadReconciler> logger)
{
    public async Task<ReconcileOutcome> RunAsync(DurableTaskClient? client, CancellationToken cancellationToken)
    {
        var container = blobs.GetBlobContainerClient(storageOptions.Value.RecordingsContainer);
        var before = time.GetUtcNow() - ingestionOptions.Value.ReconcileAfter;
        int listed = 0, recovered = 0, failed = 0;
        await foreach (var item in container.GetBlobsAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            // Newer uploads may still have their event on its way: they are the next pass's.
            if (item.Properties.LastModified is not { } modified || modified > before)
            {
                continue;
            }

            listed++;
            try
            {
                var outcome = await ingestor.IngestAsync(item.Name, client, cancellationToken).ConfigureAwait(false);
                if (outcome.Result is not (IngestionResult.AlreadyCatalogued or IngestionResult.Gone or IngestionResult.Superseded))
                {
                    recovered++;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // One upload failing (a store briefly unavailable) must not stop the pass: the next one retries it.
            catch (Exception e)
#pragma warning restore CA1031
            {
                failed++;
                LogFailed(logger, e.GetType().Name);
            }
        }

        if (recovered > 0 || failed > 0)
        {
            LogRecovered(logger, recovered, failed, listed);
        }

        return new ReconcileOutcome(listed, recovered, failed);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling uploads: ingesting one failed ({ErrorType}); the next pass retries it")]
    private static partial void LogFailed(ILogger logger, string errorType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling uploads: {Recovered} upload(s) had no catalogue record and were ingested, {Failed} failed, of {Listed} listed (their events were lost)")]
    private static partial void LogRecovered(ILogger logger, int recovered, int failed, int listed);
}
