using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using OneValet.Local;
using OneValet.Pipeline.Breaches;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Storage;

namespace OneValet.Benchmarks;

/// <summary>
/// Step 3: a breach fan-out to N affected residents through the real path (POST /api/incidents' handler, the durable
/// campaign on the local host, its paged activities, the notification queue on Azurite), against a raw batched send of N
/// messages of the same size to the same transport in the same run (goal ≥ 0.5×). Peak memory is sampled during fan-outs
/// of N/10 and N residents (goal: flat, not growing with N). The queue consumer is off: this measures the fan-out.
/// </summary>
internal static class FanOutBenchmark
{
    public static async Task RunAsync(int count)
    {
        // One campaign per process (the in-process durable hub is started once); run it at two sizes to compare memory.
        Console.WriteLine($"fan-out benchmark: breach campaign to {count:N0} residents vs a raw batched send of {count:N0} messages; Azurite queues, SQLite, {Environment.ProcessorCount} cores");
        var large = await FanOutAsync(count);
        var raw = await RawAsync(count);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  campaign fan-out, {large.Count:N0} residents: {large.Seconds:F1} s, {large.Count / large.Seconds:F0} notices/s, peak managed heap above baseline {large.PeakHeapMiB:F0} MiB, peak working set {large.PeakWorkingSetMiB:F0} MiB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  raw batched send, {count:N0} messages: {raw:F1} s, {count / raw:F0} messages/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ratio campaign/raw: {raw / large.Seconds:F2} (goal >= 0.50); compare the peak heap with a run at another --count (goal: flat)"));
    }

    private static async Task<(int Count, double Seconds, double PeakHeapMiB, double PeakWorkingSetMiB)> FanOutAsync(int count)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var data = Path.Combine(Path.GetTempPath(), "onevalet-bench-fan-" + suffix);
        await using var app = Build(suffix, data);
        var store = (SqliteRecordStore)app.Services.GetRequiredService<IRecordStore>();
        const int perBuilding = 10_000;
        var buildings = (count + perBuilding - 1) / perBuilding;
        var movedIn = DateTimeOffset.UtcNow.AddYears(-1);
        await store.ImportAsync(Containers.Occupancy, Enumerable.Range(0, count).Select(i =>
            ("b-" + (i / perBuilding), "r-" + i, new OccupancyRecord("r-" + i, "u-" + (i / 2), movedIn, null, "new-york"))));
        await app.StartAsync();

        GC.Collect();
        var baseline = GC.GetTotalMemory(true);
        using var sampling = new CancellationTokenSource();
        long peakHeap = 0, peakSet = 0;
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false) - baseline);
                peakSet = Math.Max(peakSet, Environment.WorkingSet);
                await Task.Delay(50);
            }
        });

        var watch = Stopwatch.StartNew();
        var context = new DefaultHttpContext { RequestServices = app.Services };
        var now = DateTimeOffset.UtcNow;
        var body = $$"""
            {"discoveredAt":"{{RecordJson.Timestamp(now.AddHours(-1))}}","buildings":[{{string.Join(',', Enumerable.Range(0, buildings).Select(b => $"\"b-{b}\""))}}],
             "dataCategories":["identifiers"],"windowFrom":"{{RecordJson.Timestamp(now.AddDays(-30))}}","windowTo":"{{RecordJson.Timestamp(now.AddHours(-2))}}",
             "description":"benchmark"}
            """;
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        var result = await app.Services.GetRequiredService<IncidentsApi>().DeclareAsync(context.Request, app.Services.GetRequiredService<DurableTaskClient>(), CancellationToken.None);
        context.Response.Body = new MemoryStream();
        await result.ExecuteAsync(context);
        context.Response.Body.Position = 0;
        var incidentId = System.Text.Json.JsonDocument.Parse(context.Response.Body).RootElement.GetProperty("incidentId").GetString()!;
        while ((await store.ReadAsync<IncidentRecord>(Containers.Incidents, incidentId, IncidentRecord.DocumentId))?.Document.FannedOut != true)
        {
            if (watch.Elapsed > TimeSpan.FromMinutes(10))
            {
                throw new TimeoutException("the fan-out did not finish in 10 minutes");
            }

            await Task.Delay(100);
        }

        var seconds = watch.Elapsed.TotalSeconds;
        await sampling.CancelAsync();
        await sampler;
        var status = await app.Services.GetRequiredService<IncidentsApi>().StatusAsync(incidentId, CancellationToken.None);
        if (status!.Affected != count)
        {
            throw new InvalidOperationException($"the campaign queued {status.Affected} notices for {count} residents");
        }

        await app.StopAsync();
        await DeleteQueuesAsync(app, suffix);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(data, recursive: true);
        return (count, seconds, peakHeap / 1048576.0, peakSet / 1048576.0);
    }

    /// <summary>The same number of messages, of the same size, sent in batches to the same kind of queue, nothing else.</summary>
    private static async Task<double> RawAsync(int count)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var data = Path.Combine(Path.GetTempPath(), "onevalet-bench-raw-" + suffix);
        await using var app = Build(suffix, data);
        var transport = app.Services.GetRequiredService<StorageQueueTransport>();
        await transport.Queue(Queues.Notifications).CreateIfNotExistsAsync();
        var values = new Dictionary<string, string> { ["incidentId"] = "inc-0123456789abcdef", ["discoveredAt"] = "2026-11-26", ["categories"] = "identifiers", ["description"] = "benchmark" };
        var watch = Stopwatch.StartNew();
        for (var start = 0; start < count; start += 250)
        {
            var batch = Enumerable.Range(start, Math.Min(250, count - start)).Select(i => (
                $"breach-inc-0123456789abcdef-r-{i}",
                BinaryData.FromObjectAsJson(new NotificationRequest($"breach-inc-0123456789abcdef-r-{i}", "breach-inc-0123456789abcdef", "breach-notice", RecipientKind.Resident, "r-" + i, MessageClass.Service, values), OneValet.Pipeline.Api.ApiJson.Options))).ToList();
            await transport.SendBatchAsync(Queues.Notifications, batch, CancellationToken.None);
        }

        var seconds = watch.Elapsed.TotalSeconds;
        await DeleteQueuesAsync(app, suffix);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(data))
        {
            Directory.Delete(data, recursive: true);
        }

        return seconds;
    }

    private static WebApplication Build(string suffix, string data)
    {
        var builder = WebApplication.CreateBuilder();
        var settings = Arguments.LocalHostSettings("fan" + suffix, data);
        settings["Local:ProcessQueues"] = "false";
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddLocalHost();
        var app = builder.Build();
        app.MapLocalHost();
        return app;
    }

    private static async Task DeleteQueuesAsync(WebApplication app, string suffix)
    {
        var transport = app.Services.GetRequiredService<StorageQueueTransport>();
        foreach (var queue in Queues.All)
        {
            await transport.Queue(queue).DeleteIfExistsAsync();
            await transport.Queue(StorageQueueTransport.PoisonName(queue)).DeleteIfExistsAsync();
        }

        var blobs = app.Services.GetRequiredService<Azure.Storage.Blobs.BlobServiceClient>();
        foreach (var name in new[] { "rec", "qua", "exp" })
        {
            await blobs.GetBlobContainerClient("fan" + suffix + name).DeleteIfExistsAsync();
        }
    }
}
