using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Configuration;
using OneValet.Pipeline.Ingestion;

namespace OneValet.Local.Ingestion;

/// <summary>
/// The local stand-in for Event Grid's BlobCreated: Azurite has no events, so the recordings container is listed every
/// <see cref="IngestionOptions.PollInterval"/> and each upload not yet seen (by name and ETag) goes to the same
/// <see cref="RecordingIngestor"/> the Functions app's blob trigger calls. The catalogue is the durable receipt (the
/// ingestor skips an ETag it has recorded), so a restart, even after kill -9, loses nothing and catalogues nothing twice.
/// </summary>
internal sealed partial class UploadPoller(
    BlobServiceClient blobs,
    RecordingIngestor ingestor,
    Microsoft.DurableTask.Client.DurableTaskClient durable,
    IOptions<IngestionOptions> ingestionOptions,
    IOptions<StorageOptions> storageOptions,
    ILogger<UploadPoller> logger) : BackgroundService
{
    private readonly Dictionary<string, string> _done = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var container = blobs.GetBlobContainerClient(storageOptions.Value.RecordingsContainer);
        var options = ingestionOptions.Value;
        using var timer = new PeriodicTimer(options.PollInterval);
        do
        {
            try
            {
                await PollOnceAsync(container, options.Parallelism, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A failed poll (emulator restarting, store busy) must not stop the poller: the next tick retries.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogPollFailed(logger, e.GetType().Name);
            }
        }
        while (await timer.TickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task PollOnceAsync(BlobContainerClient container, int parallelism, CancellationToken cancellationToken)
    {
        var listed = new Dictionary<string, string>(StringComparer.Ordinal);
        var pending = new List<string>();
        await foreach (var item in container.GetBlobsAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var etag = item.Properties.ETag?.ToString() ?? string.Empty;
            listed[item.Name] = etag;
            if (!_done.TryGetValue(item.Name, out var seen) || seen != etag)
            {
                pending.Add(item.Name);
            }
        }

        foreach (var name in _done.Keys.Where(k => !listed.ContainsKey(k)).ToList())
        {
            _done.Remove(name);
        }

        if (pending.Count == 0)
        {
            return;
        }

        var completed = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (name, ct) =>
        {
            try
            {
                await ingestor.IngestAsync(name, durable, ct).ConfigureAwait(false);
                completed.Add(name);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // One failing upload (transient store error) must not stop the others; it is retried next tick.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogIngestFailed(logger, e.GetType().Name);
            }
        }).ConfigureAwait(false);

        foreach (var name in completed)
        {
            _done[name] = listed[name];
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling the recordings container failed ({ErrorType}); retrying")]
    private static partial void LogPollFailed(ILogger logger, string errorType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingesting an upload failed ({ErrorType}); it is retried on the next poll")]
    private static partial void LogIngestFailed(ILogger logger, string errorType);
}
