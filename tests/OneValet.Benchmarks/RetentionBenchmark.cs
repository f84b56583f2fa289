using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using OneValet.Local;
using OneValet.Pipeline;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Configuration;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;

namespace OneValet.Benchmarks;

/// <summary>
/// Step 2: (1) sweep cost follows due items, not the store's size: a store of 1,000,000 items with 10,000 due against a
/// store of 10,000 items all due (goal: ratio ≤ 1.5); (2) the sweep's deletions per second against a raw delete of the same
/// records in the same run; (3) the deletion lag of the timer path on the running local host with production bucket
/// width (goal ≤ 1 minute; Blob lifecycle rules: up to 48 hours).
/// </summary>
internal static class RetentionBenchmark
{
    private const int Due = 10_000;
    private const int BucketSize = 1_000;

    public static async Task RunAsync(int total, bool lag)
    {
        Console.WriteLine($"retention benchmark: {total:N0} items of which {Due:N0} due, against {Due:N0} items all due; SQLite on local disk, {Environment.ProcessorCount} cores");
        var now = DateTimeOffset.UtcNow;
        var large = await SeedAsync(total, now);
        var small = await SeedAsync(Due, now);
        var largeSweep = await SweepAsync(large);
        var smallSweep = await SweepAsync(small);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  sweep, {total:N0} items / {Due:N0} due: {largeSweep.Seconds:F2} s ({largeSweep.Deleted:N0} deleted)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  sweep, {Due:N0} items / {Due:N0} due: {smallSweep.Seconds:F2} s ({smallSweep.Deleted:N0} deleted)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ratio large/small: {largeSweep.Seconds / smallSweep.Seconds:F2} (goal <= 1.50: cost follows due items, not the total)"));

        // Raw baseline: delete the same records, nothing else, one by one as the sweep does.
        var raw = await SeedAsync(Due, now);
        var store = raw.Get<IRecordStore>();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < Due; i++)
        {
            await store.DeleteAsync(Containers.DoorEvents, Partition(i), EventId(i));
        }

        var rawSeconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  deletions/s: sweep {smallSweep.Deleted / smallSweep.Seconds:F0} (audit started + completed, ledger, schedule entry, record), raw delete {Due / rawSeconds:F0}; ratio {smallSweep.Deleted / smallSweep.Seconds / (Due / rawSeconds):F2}"));
        foreach (var h in new[] { large, small, raw })
        {
            await h.DisposeAsync();
        }

        if (lag)
        {
            await TimerLagAsync();
        }
    }

    private static async Task<(double Seconds, int Deleted)> SweepAsync(Harness h)
    {
        var sweep = h.Get<RetentionSweep>();
        var watch = Stopwatch.StartNew();
        var (_, deleted, _) = await sweep.EnforceDueAsync(CancellationToken.None);
        return (watch.Elapsed.TotalSeconds, deleted);
    }

    /// <summary>Door events (record only) with schedule entries: <see cref="Due"/> in buckets already due, the rest spread
    /// over future buckets of the next 90 days, like a real store.</summary>
    private static async Task<Harness> SeedAsync(int total, DateTimeOffset now)
    {
        var h = Harness.Create();
        var store = (SqliteRecordStore)h.Get<IRecordStore>();
        var rule = new RetentionRule("tdpa-authentication-90d", "O4", TimeSpan.FromDays(90), RetentionAction.Delete);
        var width = TimeSpan.FromMinutes(1);
        string Bucket(int i)
        {
            var due = i < Due ? now.AddMinutes(-1 - (i / BucketSize)) : now.AddMinutes(10 + ((i - Due) / BucketSize * 130.0));
            var start = new DateTimeOffset(due.UtcTicks - (due.UtcTicks % width.Ticks), TimeSpan.Zero);
            return start.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'.'fff", CultureInfo.InvariantCulture);
        }

        DateTimeOffset Deadline(int i) => i < Due ? now.AddMinutes(-1.5 - (i / BucketSize)) : now.AddMinutes(10.5 + ((i - Due) / BucketSize * 130.0));
        var watch = Stopwatch.StartNew();
        await store.ImportAsync(Containers.DoorEvents, Enumerable.Range(0, total).Select(i => (Partition(i), EventId(i), new DoorEventRecord
        {
            EventId = EventId(i),
            BuildingId = "b-" + (i % 100),
            DoorId = "door-1",
            Method = EntryMethod.Fob,
            SubjectId = "r-" + (i % 5000),
            At = Deadline(i) - rule.Period,
            Granted = true,
            DataCategory = "authentication-data",
            Purpose = "keyless entry",
            Retention = rule,
            Deadline = Deadline(i),
        })));
        await store.ImportAsync(Containers.Schedule, Enumerable.Range(0, total).Select(i => (Bucket(i), "doorEvent~" + Partition(i) + "~" + EventId(i) + "~0", new ScheduleEntry
        {
            Kind = ItemKind.DoorEvent,
            ItemPartition = Partition(i),
            ItemId = EventId(i),
            SubjectId = "r-" + (i % 5000),
            BuildingId = "b-" + (i % 100),
            EventAt = Deadline(i) - rule.Period,
            Category = "authentication-data",
            Rule = rule,
            Deadline = Deadline(i),
        })));
        var buckets = Enumerable.Range(0, total).Select(i => (Key: Bucket(i), i)).GroupBy(x => x.Key).Select(g => g.Key).ToList();
        await store.ImportAsync(Containers.Schedule, buckets.Select(key => (RetentionSchedule.BucketsPartition, key, new BucketRecord(key,
            DateTimeOffset.ParseExact(key, "yyyyMMdd'T'HHmmss'.'fff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal) + width))));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  seeded {total:N0} items, {total:N0} schedule entries and {buckets.Count:N0} buckets in {watch.Elapsed.TotalSeconds:F1} s (not measured)"));
        return h;
    }

    private static string Partition(int i) => "r-" + (i % 5000);

    private static string EventId(int i) => "e-" + i.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The timer path on the running local host with production settings: the default bucket width, the planner every 5 minutes
    /// (horizon 2 h), no sweep after start. Three kinds of item, uploaded one a second: on time with a 90-second footage
    /// rule; a building with a 20-second rule (short rule); and clips uploaded 2 minutes after capture, already past the
    /// 90-second rule (late). With a 5-minute planner every one of them is due before the planner's next pass: what keeps
    /// the lag is the timer started at ingestion, or enforcement at once for the late ones. Lag = done-at minus the later
    /// of the deadline and the upload (a late item cannot be deleted before it arrives).
    /// </summary>
    private static async Task TimerLagAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var data = Path.Combine(Path.GetTempPath(), "onevalet-bench-lag-" + suffix);
        var builder = WebApplication.CreateBuilder();
        var settings = Arguments.LocalHostSettings("lag" + suffix, data);
        settings["OneValet:Retention:SurveillanceFootage"] = "00:01:30";
        settings["OneValet:Ingestion:RegisteredDevicesOnly"] = "false"; // deletion lag is measured here; the registry in IngestionBenchmark
        settings["OneValet:Retention:Buildings:short:SurveillanceFootage"] = "00:00:20";
        settings["OneValet:Retention:PlanInterval"] = "00:05:00";
        settings["OneValet:Retention:PlanningHorizon"] = "02:00:00";
        settings["OneValet:Retention:SweepInterval"] = "01:00:00";
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddLocalHost();
        await using var app = builder.Build();
        app.MapLocalHost();
        await app.StartAsync();
        await Task.Delay(TimeSpan.FromSeconds(3)); // the planner's and the sweep's passes at start are over
        var blobs = app.Services.GetRequiredService<BlobServiceClient>();
        var container = blobs.GetBlobContainerClient("lag" + suffix + "rec");
        var items = new List<(string Kind, string Name, DateTimeOffset CapturedAt)>();
        for (var i = 0; i < 30; i++)
        {
            items.Add(("on time, 90 s rule", $"lag/door-1/c-{i}", default));
            if (i % 3 == 0)
            {
                items.Add(("short rule (20 s)", $"short/door-1/s-{i}", default));
                items.Add(("late (uploaded 120 s after capture, 90 s rule)", $"lag/door-1/l-{i}", default));
            }
        }

        var uploadedAt = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var (kind, name, _) in items)
        {
            var bytes = new byte[16_000];
            Random.Shared.NextBytes(bytes);
            byte[] head = [0, 0, 0, 0x18, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'i', (byte)'s', (byte)'o', (byte)'m'];
            head.CopyTo(bytes, 0);
            var captured = kind.StartsWith("late", StringComparison.Ordinal) ? DateTimeOffset.UtcNow.AddSeconds(-120) : DateTimeOffset.UtcNow;
            using var stream = new MemoryStream(bytes);
            await container.GetBlobClient(name + ".mp4").UploadAsync(stream, new BlobUploadOptions
            {
                Metadata = new Dictionary<string, string>
                {
                    ["capturedat"] = captured.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
                    ["deviceid"] = "bench",
                    ["kind"] = "surveillance",
                },
            });
            uploadedAt[name] = DateTimeOffset.UtcNow;
            await Task.Delay(1000);
        }

        var store = app.Services.GetRequiredService<IRecordStore>();
        var watch = Stopwatch.StartNew();
        List<AuditRecord> done;
        while (true)
        {
            var audits = new List<AuditRecord>();
            string? continuation = null;
            do
            {
                var page = await store.QueryAsync<AuditRecord>(Containers.Audit, AuditLog.PartitionFor(DateTimeOffset.UtcNow), RecordQuery.All, 500, continuation);
                audits.AddRange(page.Items.Select(x => x.Document));
                continuation = page.Continuation;
            }
            while (continuation is not null);
            done = [.. audits.Where(a => a.Action == "deleted" && a.Outcome == "completed")];
            if (done.Count >= items.Count || watch.Elapsed > TimeSpan.FromMinutes(6))
            {
                break;
            }

            await Task.Delay(1000);
        }

        foreach (var group in items.GroupBy(i => i.Kind))
        {
            var lags = new List<double>();
            foreach (var (_, name, _) in group)
            {
                var parts = name.Split('/');
                var itemRef = $"recordingVersion/{parts[0]}/{parts[1]}_{parts[2]}/1";
                if (done.FirstOrDefault(a => a.ItemRef == itemRef) is { } audit)
                {
                    var from = audit.Deadline!.Value > uploadedAt[name] ? audit.Deadline.Value : uploadedAt[name];
                    lags.Add((audit.DoneAt - from).TotalSeconds);
                }
            }

            lags.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  deletion lag, {group.Key} ({lags.Count}/{group.Count()} deleted; planner every 5 min, {new RetentionOptions().BucketWidth.TotalSeconds:F0}-second buckets): p50 {Arguments.Percentile(lags, 50):F1} s, p95 {Arguments.Percentile(lags, 95):F1} s, max {(lags.Count > 0 ? lags[^1] : double.NaN):F1} s (goal <= 60 s)"));
        }

        await app.StopAsync();
        await container.DeleteIfExistsAsync();
        await blobs.GetBlobContainerClient("lag" + suffix + "qua").DeleteIfExistsAsync();
        await blobs.GetBlobContainerClient("lag" + suffix + "exp").DeleteIfExistsAsync();
    }

    /// <summary>The pipeline's services over fresh SQLite files (the engine under test), Azurite for blobs.</summary>
    private sealed class Harness : IAsyncDisposable
    {
        private readonly ServiceProvider _services;
        private readonly string _folder;

        private Harness(ServiceProvider services, string folder)
        {
            _services = services;
            _folder = folder;
        }

        public static Harness Create()
        {
            var folder = Path.Combine(Path.GetTempPath(), "onevalet-bench-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(folder);
            var services = new ServiceCollection();
            services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["OneValet:Storage:ConnectionString"] = "UseDevelopmentStorage=true",
                ["OneValet:Requests:SecretKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            }).Build());
            services.AddLogging();
            services.AddPipeline();
            services.AddSingleton<IRecordStore>(new SqliteRecordStore(Path.Combine(folder, "records.db")));
            services.AddKeyedSingleton<IRecordStore>(DeletionLedger.StoreKey, new SqliteRecordStore(Path.Combine(folder, "ledger.db")));
            services.AddSingleton(new Azure.Storage.Queues.QueueServiceClient("UseDevelopmentStorage=true"));
            services.AddSingleton<IMessageTransport, StorageQueueTransport>();
            return new Harness(services.BuildServiceProvider(), folder);
        }

        public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

        public async ValueTask DisposeAsync()
        {
            await _services.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(_folder, recursive: true);
        }
    }
}
