using System.Diagnostics;
using System.Globalization;
using OneValet.Pipeline;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Evidence;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;

namespace OneValet.Benchmarks;

/// <summary>
/// Issue 18, item 5: the compliance report over N audit entries spread over two years (completed deletions under O2, O4
/// and O5, a few held items), through the real loader and builder (the period's day partitions, the open buckets, the
/// request months, the holds), against a raw scan of the same day partitions in the same run (goal ≤ 2×).
/// </summary>
internal static class ReportBenchmark
{
    public static async Task RunAsync(int count)
    {
        var folder = Path.Combine(Path.GetTempPath(), "onevalet-bench-report-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OneValet:Storage:ConnectionString"] = "UseDevelopmentStorage=true",
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
        var to = new DateTimeOffset(DateTimeOffset.UtcNow.UtcDateTime.Date, TimeSpan.Zero);
        var from = to.AddDays(-730);
        var span = (to - from).Ticks;
        string[] obligations = ["O2", "O4", "O5"];
        await store.ImportAsync(Containers.Audit, Enumerable.Range(0, count).Select(i =>
        {
            var deadline = from + TimeSpan.FromTicks(span / count * i);
            var held = i % 1000 == 999;
            var entry = new AuditRecord
            {
                Action = held ? "held" : "deleted",
                ItemRef = $"doorEvent/r-{i % 400}/e-{i}/0",
                Category = "authentication-data",
                RuleId = "rule-" + obligations[i % 3],
                Obligation = held ? "O6" : obligations[i % 3],
                Deadline = deadline,
                Holds = held ? ["hold-1"] : null,
                Outcome = held ? null : "completed",
                How = held ? "deletion skipped while the hold is active" : "record deleted",
                At = deadline,
                DoneAt = deadline.AddSeconds(i % 90),
                LagSeconds = held ? null : i % 90,
            };
            return (AuditLog.PartitionFor(deadline), AuditLog.IdFor(entry.Action, entry.ItemRef), entry);
        }));

        Console.WriteLine($"report benchmark: compliance report over {count:N0} audit entries in 730 day partitions; SQLite; {Environment.ProcessorCount} cores");
        var loader = provider.GetRequiredService<ComplianceReportLoader>();
        var reportTimes = new List<double>();
        var rawTimes = new List<double>();
        ComplianceReport? report = null;
        for (var round = 0; round < 4; round++)
        {
            var watch = Stopwatch.StartNew();
            report = await loader.BuildAsync(from, to, CancellationToken.None);
            var built = watch.Elapsed.TotalSeconds;

            watch.Restart();
            var items = 0;
            foreach (var day in AuditTrail.Days(from, to))
            {
                string? continuation = null;
                do
                {
                    var page = await store.QueryAsync<AuditRecord>(Containers.Audit, AuditTrail.PartitionOf(day), RecordQuery.All, 1000, continuation);
                    items += page.Items.Count;
                    continuation = page.Continuation;
                }
                while (continuation is not null);
            }

            var raw = watch.Elapsed.TotalSeconds;
            if (items != count)
            {
                throw new InvalidOperationException("the raw scan did not see every entry");
            }

            if (round > 0)
            {
                reportTimes.Add(built);
                rawTimes.Add(raw);
            }
        }

        var judged = report!.Lines.Sum(l => l.Due);
        if (judged != count)
        {
            throw new InvalidOperationException($"the report judged {judged} items, not {count}");
        }

        reportTimes.Sort();
        rawTimes.Sort();
        var b = reportTimes[reportTimes.Count / 2];
        var r = rawTimes[rawTimes.Count / 2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  report (load, judge {judged:N0} items in {report.Lines.Count} lines): {b * 1000:F0} ms (median of 3 after a warm-up)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  raw scan of the same day partitions: {r * 1000:F0} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ratio report/raw: {b / r:F2} (goal <= 2.00)"));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }
}
