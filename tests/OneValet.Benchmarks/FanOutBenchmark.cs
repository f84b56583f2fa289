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
/// messages of the same size to the same transport in the same run (goal ≥ 0.5×). The live heap (after a full
/// collection, once a second) is sampled during the fan-out; compare runs at two --count values (goal: flat, not growing with N). The
/// queue consumer is off: this measures the fan-out.
/// </summary>
internal static class FanOutBenchmark
{
    /// <summary>The affected residents live in this many buildings (so runs at different --count use the same lanes).</summary>
    private const int Buildings = 10;

    public static async Task RunAsync(int count)
    {
        // One campaign per process (the in-process durable hub is started once); run it at two sizes to compare memory.
        Console.WriteLine($"fan-out benchmark: breach campaign to {count:N0} residents in {Buildings} buildings vs a raw batched send of {count:N0} messages; private in-memory Azurites (one for queues and blobs, one for the durable task hub), SQLite, {Environment.ProcessorCount} cores");
        // Each run gets fresh emulators: Azurite keeps all queues' messages in one in-memory collection and slows as it
        // fills, so a run after another would inherit its backlog. The task hub has an Azurite of its own, as it has its
        // own storage account in Azure, where the notices go to Service Bus.
        (int Count, double Seconds, double PeakHeapMiB, double PeakWorkingSetMiB) large;
        await using (var azurite = await PrivateAzurite.StartAsync())
        await using (var taskHub = await PrivateAzurite.StartAsync())
        {
            large = await FanOutAsync(count, azurite.ConnectionString, taskHub.ConnectionString);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  campaign fan-out, {large.Count:N0} residents: {large.Seconds:F1} s, {large.Count / large.Seconds:F0} notices/s, peak live heap above baseline {large.PeakHeapMiB:F0} MiB, peak working set {large.PeakWorkingSetMiB:F0} MiB"));
        double raw;
        await using (var azurite = await PrivateAzurite.StartAsync())
        await using (var taskHub = await PrivateAzurite.StartAsync())
        {
            raw = await RawAsync(count, azurite.ConnectionString, taskHub.ConnectionString);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  raw batched send, {count:N0} messages ({new BreachOptions().Lanes} batches of {new BreachOptions().PageSize} at a time): {raw:F1} s, {count / raw:F0} messages/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ratio campaign/raw: {raw / large.Seconds:F2} (goal >= 0.50); compare the peak heap with a run at another --count (goal: flat)"));
    }

    private static async Task<(int Count, double Seconds, double PeakHeapMiB, double PeakWorkingSetMiB)> FanOutAsync(int count, string azurite, string taskHub)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var data = Path.Combine(Path.GetTempPath(), "onevalet-bench-fan-" + suffix);
        await using var app = Build(suffix, data, azurite, taskHub);
        var store = (SqliteRecordStore)app.Services.GetRequiredService<IRecordStore>();
        var perBuilding = (count + Buildings - 1) / Buildings;
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
                // Live memory: a full collection once a second, then what is left (garbage waiting for a collection is not
                // memory the fan-out holds). The collections slow the campaign a little, never the baseline.
                peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(forceFullCollection: true) - baseline);
                peakSet = Math.Max(peakSet, Environment.WorkingSet);
                await Task.Delay(1000);
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
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(data, recursive: true);
        return (count, seconds, peakHeap / 1048576.0, peakSet / 1048576.0);
    }

    /// <summary>
    /// The same number of messages, of the same size, sent in batches of the campaign's page size, as many batches at once as
    /// the campaign has lanes, to the same kind of queue, nothing else: the campaign's own concurrency gives it no edge.
    /// </summary>
    private static async Task<double> RawAsync(int count, string azurite, string taskHub)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var data = Path.Combine(Path.GetTempPath(), "onevalet-bench-raw-" + suffix);
        await using var app = Build(suffix, data, azurite, taskHub);
        var transport = app.Services.GetRequiredService<StorageQueueTransport>();
        await transport.Queue(Queues.Notifications).CreateIfNotExistsAsync();
        var values = new Dictionary<string, string> { ["incidentId"] = "inc-0123456789abcdef", ["discoveredAt"] = "2026-11-26", ["categories"] = "identifiers", ["description"] = "benchmark" };
        var watch = Stopwatch.StartNew();
        var lanes = new BreachOptions().Lanes;
        var pageSize = new BreachOptions().PageSize;
        await Parallel.ForEachAsync(Enumerable.Range(0, (count + pageSize - 1) / pageSize), new ParallelOptions { MaxDegreeOfParallelism = lanes }, async (page, ct) =>
        {
            var start = page * pageSize;
            var batch = Enumerable.Range(start, Math.Min(pageSize, count - start)).Select(i => (
                $"breach-inc-0123456789abcdef-r-{i}",
                BinaryData.FromObjectAsJson(new NotificationRequest($"breach-inc-0123456789abcdef-r-{i}", "breach-inc-0123456789abcdef", "breach-notice", RecipientKind.Resident, "r-" + i, MessageClass.Service, values), OneValet.Pipeline.Api.ApiJson.Options))).ToList();
            await transport.SendBatchAsync(Queues.Notifications, batch, ct);
        });

        var seconds = watch.Elapsed.TotalSeconds;
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(data))
        {
            Directory.Delete(data, recursive: true);
        }

        return seconds;
    }

    private static WebApplication Build(string suffix, string data, string azurite, string taskHub)
    {
        var builder = WebApplication.CreateBuilder();
        var settings = Arguments.LocalHostSettings("fan" + suffix, data);
        settings["Local:ProcessQueues"] = "false";
        settings["OneValet:Storage:ConnectionString"] = azurite;
        settings["Durable:StorageConnectionString"] = taskHub;
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddLocalHost();
        var app = builder.Build();
        app.MapLocalHost();
        return app;
    }
}
