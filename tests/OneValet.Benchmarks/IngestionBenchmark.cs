using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using OneValet.Local;
using OneValet.Pipeline.Configuration;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Storage;

namespace OneValet.Benchmarks;

/// <summary>
/// Step 1: N recordings of 1 MiB through the real ingestion path (validate, hash, catalogue in the local record store)
/// on Azurite, against the raw baseline of downloading the same blobs and SHA-256-ing them, with the same parallelism,
/// in the same run. Then upload→catalogued latency on the running local host (its poller and ingestor).
/// Goals: throughput ratio ≥ 0.8; latency p95 ≤ 1 s.
/// </summary>
internal static class IngestionBenchmark
{
    private const string Azurite = "UseDevelopmentStorage=true";
    private const int Size = 1024 * 1024;

    public static async Task RunAsync(int count)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var data = Path.Combine(Path.GetTempPath(), "onevalet-bench-" + suffix);
        var settings = Arguments.LocalHostSettings("bench" + suffix, data);

        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddLocalHost();
        await using var app = builder.Build();
        app.MapLocalHost();
        var services = app.Services;
        var blobs = services.GetRequiredService<BlobServiceClient>();
        var storage = services.GetRequiredService<IOptions<StorageOptions>>().Value;
        var parallelism = services.GetRequiredService<IOptions<IngestionOptions>>().Value.Parallelism;
        var container = blobs.GetBlobContainerClient(storage.RecordingsContainer);
        await container.CreateIfNotExistsAsync();
        await blobs.GetBlobContainerClient(storage.QuarantineContainer).CreateIfNotExistsAsync();

        Console.WriteLine($"ingestion benchmark: {count} recordings of 1 MiB, parallelism {parallelism}, Azurite on loopback, {Environment.ProcessorCount} cores");
        var names = Enumerable.Range(0, count).Select(i => $"bench/door-1/cap-{i}.mp4").ToList();
        var captured = DateTimeOffset.UtcNow.AddMinutes(-1);
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (name, ct) =>
            await UploadAsync(container, name, captured, ct));

        // The console is registered at both buildings' door (issue 16.3): the measured path includes the registry's point read.
        var registry = services.GetRequiredService<OneValet.Pipeline.Devices.DeviceRegistry>();
        foreach (var building in new[] { "bench", "lat" })
        {
            await registry.PutAsync(building, "bench-console-" + building, ["door-1"], DateTimeOffset.UtcNow, CancellationToken.None);
        }

        // Warm both paths (JIT, connection pools) on a few blobs that are not measured.
        var ingestor = services.GetRequiredService<RecordingIngestor>();
        var warm = names.Take(Math.Min(5, count)).ToList();
        await RawAsync(container, warm, parallelism);
        foreach (var name in warm)
        {
            await ingestor.IngestAsync(name, CancellationToken.None);
        }

        var measured = names.Skip(warm.Count).ToList();
        var rawSeconds = await RawAsync(container, measured, parallelism);
        var pipelineWatch = Stopwatch.StartNew();
        var outcomes = new System.Collections.Concurrent.ConcurrentBag<IngestionResult>();
        await Parallel.ForEachAsync(measured, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (name, ct) =>
            outcomes.Add((await ingestor.IngestAsync(name, ct)).Result));
        var pipelineSeconds = pipelineWatch.Elapsed.TotalSeconds;
        if (outcomes.Any(o => o != IngestionResult.Catalogued))
        {
            throw new InvalidOperationException("not every benchmark upload was catalogued: " + string.Join(",", outcomes.Distinct()));
        }

        var mib = measured.Count * (double)Size / (1024 * 1024);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  raw baseline (download + SHA-256): {mib / rawSeconds,8:F1} MiB/s  ({measured.Count / rawSeconds:F1} recordings/s)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ingestion path (validate, hash, catalogue): {mib / pipelineSeconds,8:F1} MiB/s  ({measured.Count / pipelineSeconds:F1} recordings/s)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ratio ingestion/raw: {rawSeconds / pipelineSeconds:F2} (goal >= 0.80)"));

        // Latency on the running local host: upload one recording at a time, and time until the catalogue has it.
        await app.StartAsync();
        var store = services.GetRequiredService<IRecordStore>();
        var latencies = new List<double>();
        var samples = Math.Max(20, Math.Min(100, count / 2));
        for (var i = 0; i < samples; i++)
        {
            var name = $"lat/door-1/cap-{i}.mp4";
            await UploadAsync(container, name, DateTimeOffset.UtcNow.AddSeconds(-1), CancellationToken.None);
            var watch = Stopwatch.StartNew();
            while (await store.ReadAsync<RecordingRecord>(Containers.Recordings, "lat", RecordingRecord.IdFor("door-1", $"cap-{i}")) is null)
            {
                if (watch.Elapsed > TimeSpan.FromSeconds(30))
                {
                    throw new TimeoutException("an upload was not catalogued within 30 s");
                }

                await Task.Delay(5);
            }

            latencies.Add(watch.Elapsed.TotalMilliseconds);
            await Task.Delay(Random.Shared.Next(50, 300));
        }

        latencies.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  upload->catalogued latency on the local host ({samples} uploads): p50 {Arguments.Percentile(latencies, 50):F0} ms, p95 {Arguments.Percentile(latencies, 95):F0} ms, max {latencies[^1]:F0} ms (goal p95 <= 1000 ms)"));

        await app.StopAsync();
        await container.DeleteIfExistsAsync();
        await blobs.GetBlobContainerClient(storage.QuarantineContainer).DeleteIfExistsAsync();
        await blobs.GetBlobContainerClient(storage.ExportsContainer).DeleteIfExistsAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(data, recursive: true);
    }

    private static async Task<double> RawAsync(BlobContainerClient container, IReadOnlyList<string> names, int parallelism)
    {
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (name, ct) =>
        {
            var download = await container.GetBlobClient(name).DownloadStreamingAsync(cancellationToken: ct);
            using (download.Value)
            {
                await SHA256.HashDataAsync(download.Value.Content, ct);
            }
        });
        return watch.Elapsed.TotalSeconds;
    }

    private static async Task UploadAsync(BlobContainerClient container, string name, DateTimeOffset captured, CancellationToken cancellationToken)
    {
        var bytes = new byte[Size];
        Random.Shared.NextBytes(bytes);
        byte[] head = [0, 0, 0, 0x18, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'i', (byte)'s', (byte)'o', (byte)'m'];
        head.CopyTo(bytes, 0);
        using var stream = new MemoryStream(bytes);
        await container.GetBlobClient(name).UploadAsync(stream, new BlobUploadOptions
        {
            Metadata = new Dictionary<string, string>
            {
                ["capturedat"] = captured.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
                ["deviceid"] = "bench-console-" + name[..name.IndexOf('/', StringComparison.Ordinal)],
                ["kind"] = "surveillance",
            },
        }, cancellationToken);
    }
}
