using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using OneValet.Pipeline;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;

namespace OneValet.Benchmarks;

/// <summary>
/// Step 4: the access export of one subject with N items (door events), through the real path (RequestWork: read every
/// store of the subject by single-partition reads, build the JSON by category, write it to the exports container, schedule
/// its deletion), against a raw read of the same items in the same run (goal ≤ 2×). The export also looks for recordings at
/// the doors and times of those events (one query per door); there are none here, so neither side reads or redacts blobs
/// (redaction has its own benchmark).
/// </summary>
internal static class ExportBenchmark
{
    public static async Task RunAsync(int count)
    {
        var folder = Path.Combine(Path.GetTempPath(), "onevalet-bench-export-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OneValet:Storage:ConnectionString"] = "UseDevelopmentStorage=true",
            ["OneValet:Requests:SecretKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["OneValet:Storage:ExportsContainer"] = "benchexp" + suffix,
            ["OneValet:Storage:QueuePrefix"] = "benchexp" + suffix + "-",
        }).Build());
        services.AddLogging();
        services.AddPipeline();
        services.AddSingleton<IRecordStore>(new SqliteRecordStore(Path.Combine(folder, "records.db")));
        services.AddKeyedSingleton<IRecordStore>(DeletionLedger.StoreKey, new SqliteRecordStore(Path.Combine(folder, "ledger.db")));
        services.AddSingleton(new Azure.Storage.Queues.QueueServiceClient("UseDevelopmentStorage=true"));
        services.AddSingleton<StorageQueueTransport>();
        services.AddSingleton<IMessageTransport>(sp => sp.GetRequiredService<StorageQueueTransport>());
        await using var provider = services.BuildServiceProvider();
        var store = (SqliteRecordStore)provider.GetRequiredService<IRecordStore>();
        var now = DateTimeOffset.UtcNow;
        await store.UpsertAsync(Containers.Residents, "r-bench", ResidentRecord.DocumentId, new ResidentRecord
        {
            ResidentId = "r-bench", BuildingId = "b-1", UnitId = "u-1", MovedInAt = now.AddYears(-1), Email = "bench@example.test", Jurisdiction = "canada",
        });
        var rule = new RetentionRule("tdpa-authentication-90d", "O4", TimeSpan.FromDays(90), RetentionAction.Delete);
        await store.ImportAsync(Containers.DoorEvents, Enumerable.Range(0, count).Select(i => ("r-bench", "e-" + i, new DoorEventRecord
        {
            EventId = "e-" + i, BuildingId = "b-1", DoorId = "d-" + (i % 8), Method = EntryMethod.Fob, SubjectId = "r-bench", At = now.AddMinutes(-i), Granted = true,
            DataCategory = "authentication-data", Purpose = "keyless entry", Retention = rule, Deadline = now.AddMinutes(-i) + rule.Period,
        })));

        Console.WriteLine($"export benchmark: access export of one subject with {count:N0} door events; SQLite, Azurite; {Environment.ProcessorCount} cores");
        var work = provider.GetRequiredService<RequestWork>();
        var exportTimes = new List<double>();
        var rawTimes = new List<double>();
        for (var round = 0; round < 4; round++)
        {
            var requestId = "req-bench-" + round;
            await store.UpsertAsync(Containers.Requests, requestId, PrivacyRequestRecord.DocumentId, new PrivacyRequestRecord
            {
                RequestId = requestId, Type = RequestType.Access, Jurisdiction = "canada", Channel = "app", SubjectId = "r-bench",
                ReceivedAt = now, AcknowledgeBy = now.AddDays(14), DueAt = now.AddDays(30), Status = RequestStatus.InProgress,
            });
            var watch = Stopwatch.StartNew();
            await work.RunAsync(requestId, CancellationToken.None);
            await work.CompleteAccessAsync(requestId, CancellationToken.None);
            var export = watch.Elapsed.TotalSeconds;

            watch.Restart();
            var items = 0;
            _ = await store.ReadAsync<JsonObject>(Containers.Residents, "r-bench", ResidentRecord.DocumentId);
            string? continuation = null;
            do
            {
                var page = await store.QueryAsync<JsonObject>(Containers.DoorEvents, "r-bench", RecordQuery.All, 500, continuation);
                items += page.Items.Count;
                continuation = page.Continuation;
            }
            while (continuation is not null);
            var raw = watch.Elapsed.TotalSeconds;
            if (round > 0)
            {
                exportTimes.Add(export);
                rawTimes.Add(raw);
            }

            if (items != count)
            {
                throw new InvalidOperationException("the raw read did not see every item");
            }
        }

        exportTimes.Sort();
        rawTimes.Sort();
        var e = exportTimes[exportTimes.Count / 2];
        var r = rawTimes[rawTimes.Count / 2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  access export (read by category, JSON, write to exports, schedule deletion): {e * 1000:F0} ms (median of 3 after a warm-up)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  raw read of the same items: {r * 1000:F0} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ratio export/raw: {e / r:F2} (goal <= 2.00)"));
        await provider.GetRequiredService<Azure.Storage.Blobs.BlobServiceClient>().GetBlobContainerClient("benchexp" + suffix).DeleteIfExistsAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }
}
