using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using OneValet.Pipeline;
using OneValet.Pipeline.Ingestion;
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
    private const int Rounds = 7;
    private const int Recordings = 50;
    private const string Photo = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";

    public static async Task RunAsync(int count, bool profile = false)
    {
        // Its own in-memory Azurite: the shared one persists its whole blob database as one JSON file every few seconds, and
        // after a test run that save stalls every call (measured: the same export 0.7 s on a fresh emulator, 10 s after the
        // test suite); the raw read, SQLite only, would not see it.
        await using var azurite = await PrivateAzurite.StartAsync();
        var folder = Path.Combine(Path.GetTempPath(), "onevalet-bench-export-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OneValet:Storage:ConnectionString"] = azurite.ConnectionString,
            ["OneValet:Requests:SecretKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["OneValet:Storage:ExportsContainer"] = "benchexp" + suffix,
            ["OneValet:Storage:RecordingsContainer"] = "benchrec" + suffix,
            ["OneValet:Email:SmtpHost"] = "127.0.0.1",
            ["OneValet:Email:FromAddress"] = "bench@onevalet.local",
            ["OneValet:Email:PrivacyOfficerAddress"] = "privacy-office@onevalet.local",
            ["OneValet:Storage:QueuePrefix"] = "benchexp" + suffix + "-",
        }).Build());
        services.AddLogging();
        // --profile: every store and blob call of the export counted and timed (RoundTrips); the raw side reads the store
        // unwrapped.
        var trips = new RoundTrips();
        var sqlite = new SqliteRecordStore(Path.Combine(folder, "records.db"));
        if (profile)
        {
            var blobOptions = new Azure.Storage.Blobs.BlobClientOptions();
            blobOptions.AddPolicy(new RoundTrips.BlobPolicy(trips), Azure.Core.HttpPipelinePosition.PerCall);
            services.AddSingleton(new Azure.Storage.Blobs.BlobServiceClient(azurite.ConnectionString, blobOptions));
        }

        services.AddPipeline();
        services.AddSingleton<IRecordStore>(profile ? new RoundTrips.Store(sqlite, trips) : sqlite);
        services.AddKeyedSingleton<IRecordStore>(DeletionLedger.StoreKey, new SqliteRecordStore(Path.Combine(folder, "ledger.db")));
        services.AddSingleton(new Azure.Storage.Queues.QueueServiceClient(azurite.ConnectionString));
        services.AddSingleton<StorageQueueTransport>();
        services.AddSingleton<IMessageTransport>(sp => sp.GetRequiredService<StorageQueueTransport>());
        await using var provider = services.BuildServiceProvider();
        var store = sqlite;
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

        Console.WriteLine($"export benchmark: access export of one subject with {count:N0} door events, and of one with {Recordings} recordings; SQLite, a private in-memory Azurite; {Environment.ProcessorCount} cores, load {Load()}");
        var work = provider.GetRequiredService<RequestWork>();
        var footage = provider.GetRequiredService<AccessFootage>();
        var blobService = provider.GetRequiredService<Azure.Storage.Blobs.BlobServiceClient>();
        var recordingsContainer = blobService.GetBlobContainerClient("benchrec" + suffix);
        await MeasureAsync("r-bench", count, Rounds, false);

        // A subject with 50 recordings: one door event at each of 50 doors, and a still (JPEG, the photo of messi5.jpg) of
        // that door's camera 10 s later. The export redacts each (BlazeFace, every face blurred) into the exports container;
        // the raw side reads the same records and downloads the same 50 blobs.
        await store.UpsertAsync(Containers.Residents, "r-rec", ResidentRecord.DocumentId, new ResidentRecord
        {
            ResidentId = "r-rec", BuildingId = "b-2", UnitId = "u-2", MovedInAt = now.AddYears(-1), Email = "bench2@example.test", Jurisdiction = "canada",
        });
        await recordingsContainer.CreateIfNotExistsAsync();
        var photo = await File.ReadAllBytesAsync(Photo);
        var footageRule = new RetentionRule("footage-30d", "O2", TimeSpan.FromDays(30), RetentionAction.Delete);
        for (var i = 0; i < Recordings; i++)
        {
            var at = now.AddHours(-i - 1);
            var door = "d-" + i;
            await store.UpsertAsync(Containers.DoorEvents, "r-rec", "e-" + i, new DoorEventRecord
            {
                EventId = "e-" + i, BuildingId = "b-2", DoorId = door, Method = EntryMethod.Fob, SubjectId = "r-rec", At = at, Granted = true,
                DataCategory = "authentication-data", Purpose = "keyless entry", Retention = rule, Deadline = at + rule.Period,
            });
            var blobName = $"b-2/{door}/c-{i}.jpg";
            await recordingsContainer.GetBlobClient(blobName).UploadAsync(new BinaryData(photo), overwrite: true);
            var captured = at.AddSeconds(10);
            await store.UpsertAsync(Containers.Recordings, "b-2", RecordingRecord.IdFor(door, "c-" + i), new RecordingRecord
            {
                BuildingId = "b-2", DoorId = door, CaptureId = "c-" + i, BlobName = blobName, Kind = RecordingKind.Surveillance, DeviceId = "camera-" + i,
                CapturedAt = captured, SizeBytes = photo.Length, Sha256 = "00", ContentType = "image/jpeg", DataCategory = "sensory-data", Purpose = "bench",
                Source = "entry-camera", Retention = footageRule, Deadline = captured + footageRule.Period, Status = RecordingStatus.Catalogued, CataloguedAt = captured,
                Versions = [new RecordingVersion(1, "00", photo.Length, captured, "camera-" + i, captured, captured + footageRule.Period, null, [])],
            });
        }

        await MeasureAsync("r-rec", Recordings, Math.Max(3, Rounds / 2), true);
        await blobService.GetBlobContainerClient("benchexp" + suffix).DeleteIfExistsAsync();
        await recordingsContainer.DeleteIfExistsAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
        return;

        // Rounds alternate which side goes first (the second reads a warm page cache), the first round of each order is a
        // warm-up; p50 and the spread of the rest are printed.
        async Task MeasureAsync(string subject, int expected, int rounds, bool withRecordings)
        {
            var exportTimes = new List<double>();
            var rawTimes = new List<double>();
            var ratios = new List<double>();
            var exportCpu = new List<double>();
            var azuriteCpu = new List<double>();
            var rawCpu = new List<double>();
            var rawStored = new List<double>();
            var storedRatios = new List<double>();
            for (var round = 0; round < rounds + 2; round++)
            {
                var requestId = $"req-{subject}-{round}";
                await store.UpsertAsync(Containers.Requests, requestId, PrivacyRequestRecord.DocumentId, new PrivacyRequestRecord
                {
                    RequestId = requestId, Type = RequestType.Access, Jurisdiction = "canada", Channel = "app", SubjectId = subject,
                    ReceivedAt = now, AcknowledgeBy = now.AddDays(14), DueAt = now.AddDays(30), Status = RequestStatus.InProgress,
                });
                double export = 0, raw = 0;
                (double Own, double Azurite) exportUse = default, rawUse = default;
                if (round % 2 == 0)
                {
                    (export, exportUse) = await CpuAsync(() => ExportAsync(requestId));
                    (raw, rawUse) = await CpuAsync(() => RawAsync(subject, expected, withRecordings));
                }
                else
                {
                    (raw, rawUse) = await CpuAsync(() => RawAsync(subject, expected, withRecordings));
                    (export, exportUse) = await CpuAsync(() => ExportAsync(requestId));
                }

                // For comparison only (not the goal's baseline): the same items read as stored (JsonElement), the cheaper
                // read the export's own reading uses since issue 15.7; the goal's raw read stays the JsonObject read above.
                var stored = withRecordings ? 0 : (await CpuAsync(() => RawStoredAsync(subject, expected))).Seconds;
                if (round >= 2)
                {
                    if (!withRecordings)
                    {
                        rawStored.Add(stored);
                        storedRatios.Add(export / stored);
                    }

                    exportTimes.Add(export);
                    rawTimes.Add(raw);
                    ratios.Add(export / raw);
                    exportCpu.Add(exportUse.Own);
                    azuriteCpu.Add(exportUse.Azurite);
                    rawCpu.Add(rawUse.Own + rawUse.Azurite);
                }
            }

            exportTimes.Sort();
            rawTimes.Sort();
            ratios.Sort();
            exportCpu.Sort();
            azuriteCpu.Sort();
            rawCpu.Sort();
            var what = withRecordings ? $"{expected} recordings (plan, redact each, assemble)" : $"{expected:N0} door events";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  subject with {what}, {exportTimes.Count} rounds:"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    access export: p50 {Arguments.Percentile(exportTimes, 50) * 1000:F0} ms (min {exportTimes[0] * 1000:F0}, max {exportTimes[^1] * 1000:F0})"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    raw read of the same items{(withRecordings ? " and blobs" : string.Empty)}: p50 {Arguments.Percentile(rawTimes, 50) * 1000:F0} ms (min {rawTimes[0] * 1000:F0}, max {rawTimes[^1] * 1000:F0})"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    ratio export/raw per round: p50 {Arguments.Percentile(ratios, 50):F2} (min {ratios[0]:F2}, max {ratios[^1]:F2}){(withRecordings ? string.Empty : " (goal <= 1.50)")}; load {Load()}"));
            // CPU time does not grow with other sessions' load as wall time does: on a shared machine it says what each side
            // costs (this process's CPU in the interval includes its runtime's background work, both sides alike).
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    CPU per round, p50: export {Arguments.Percentile(exportCpu, 50):F0} ms here + {Arguments.Percentile(azuriteCpu, 50):F0} ms in Azurite, raw read {Arguments.Percentile(rawCpu, 50):F0} ms"));
            if (rawStored.Count > 0)
            {
                rawStored.Sort();
                storedRatios.Sort();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    for comparison, the same items read as stored (JsonElement): p50 {Arguments.Percentile(rawStored, 50) * 1000:F0} ms (min {rawStored[0] * 1000:F0}, max {rawStored[^1] * 1000:F0}); export/that p50 {Arguments.Percentile(storedRatios, 50):F2} (min {storedRatios[0]:F2}, max {storedRatios[^1]:F2})"));
            }
        }

        async Task<(double Seconds, (double Own, double Azurite) CpuMs)> CpuAsync(Func<Task<double>> run)
        {
            using var own = Process.GetCurrentProcess();
            var (ownBefore, azuriteBefore) = (own.TotalProcessorTime, azurite.CpuTime);
            var seconds = await run();
            own.Refresh();
            return (seconds, ((own.TotalProcessorTime - ownBefore).TotalMilliseconds, (azurite.CpuTime - azuriteBefore).TotalMilliseconds));
        }

        async Task<double> ExportAsync(string requestId)
        {
            trips.Clear();
            var watch = Stopwatch.StartNew();
            var result = await work.RunAsync(requestId, CancellationToken.None);
            var workStep = watch.Elapsed.TotalMilliseconds;
            for (var i = 0; i < (result.FootageItems ?? 0); i++)
            {
                if (!await footage.RedactAsync(requestId, i, CancellationToken.None))
                {
                    throw new InvalidOperationException("a recording was not redacted");
                }
            }

            var redacted = watch.Elapsed.TotalMilliseconds;
            await work.CompleteAccessAsync(requestId, CancellationToken.None);
            var elapsed = watch.Elapsed.TotalSeconds;
            if (profile)
            {
                trips.Print(string.Create(CultureInfo.InvariantCulture, $"{requestId}: work step {workStep:F0} ms, redaction {redacted - workStep:F0} ms, assembly {elapsed * 1000 - redacted:F0} ms"));
            }

            return elapsed;
        }

        async Task<double> RawStoredAsync(string subject, int expected)
        {
            var watch = Stopwatch.StartNew();
            var items = 0;
            _ = await store.ReadAsync<System.Text.Json.JsonElement>(Containers.Residents, subject, ResidentRecord.DocumentId);
            string? continuation = null;
            do
            {
                var page = await store.QueryAsync<System.Text.Json.JsonElement>(Containers.DoorEvents, subject, RecordQuery.All, 500, continuation);
                items += page.Items.Count;
                continuation = page.Continuation;
            }
            while (continuation is not null);
            return items == expected ? watch.Elapsed.TotalSeconds : throw new InvalidOperationException("the raw read did not see every item");
        }

        async Task<double> RawAsync(string subject, int expected, bool withRecordings)
        {
            var watch = Stopwatch.StartNew();
            var items = 0;
            _ = await store.ReadAsync<JsonObject>(Containers.Residents, subject, ResidentRecord.DocumentId);
            string? continuation = null;
            do
            {
                var page = await store.QueryAsync<JsonObject>(Containers.DoorEvents, subject, RecordQuery.All, 500, continuation);
                items += page.Items.Count;
                continuation = page.Continuation;
            }
            while (continuation is not null);
            if (withRecordings)
            {
                items = 0;
                continuation = null;
                do
                {
                    var page = await store.QueryAsync<RecordingRecord>(Containers.Recordings, "b-2", RecordQuery.All, 500, continuation);
                    foreach (var r in page.Items)
                    {
                        _ = (await recordingsContainer.GetBlobClient(r.Document.BlobName).DownloadContentAsync()).Value.Content;
                        items++;
                    }

                    continuation = page.Continuation;
                }
                while (continuation is not null);
            }

            if (items != expected)
            {
                throw new InvalidOperationException("the raw read did not see every item");
            }

            return watch.Elapsed.TotalSeconds;
        }
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}
