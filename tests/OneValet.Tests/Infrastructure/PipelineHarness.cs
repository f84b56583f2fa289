using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OneValet.Pipeline;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;

namespace OneValet.Tests.Infrastructure;

/// <summary>
/// The pipeline's real services in-process, on real Azurite (own containers and queues) and real SQLite files (own
/// folder), with a fake clock the test moves. For engine tests that need exact time, not waiting.
/// </summary>
internal sealed class PipelineHarness : IAsyncDisposable
{
    private PipelineHarness(ServiceProvider services, string folder, string suffix, FakeTimeProvider clock)
    {
        Services = services;
        Folder = folder;
        Suffix = suffix;
        Clock = clock;
    }

    public ServiceProvider Services { get; }

    public string Folder { get; }

    public string Suffix { get; }

    public FakeTimeProvider Clock { get; }

    public IRecordStore Store => Services.GetRequiredService<IRecordStore>();

    public BlobContainerClient Recordings => Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient("rec" + Suffix);

    public BlobContainerClient Exports => Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient("exp" + Suffix);

    public BlobContainerClient Anonymized => Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient("ano" + Suffix);

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Every audit entry of the day before, the day of and the day after the clock's now (entries are partitioned by day).</summary>
    public Task<List<AuditRecord>> AuditsAsync() => Audits.AroundAsync(Store, Clock.GetUtcNow());

    public BlobContainerClient FacialReferences => Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient("ref" + Suffix);

    /// <summary>Starts the pipeline; <paramref name="configure"/> may replace services after the pipeline's own (e.g. the
    /// Face API clients over a test double of the remote service).</summary>
    public static async Task<PipelineHarness> StartAsync(IDictionary<string, string?>? settings = null, DateTimeOffset? now = null, Action<IServiceCollection>? configure = null)
    {
        await AzuriteFixture.EnsureRunningAsync();
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var folder = Path.Combine(Path.GetTempPath(), "onevalet-harness", suffix);
        Directory.CreateDirectory(folder);
        var values = new Dictionary<string, string?>
        {
            ["OneValet:Storage:ConnectionString"] = AzuriteFixture.ConnectionString,
            ["OneValet:Storage:RecordingsContainer"] = "rec" + suffix,
            ["OneValet:Storage:QuarantineContainer"] = "qua" + suffix,
            ["OneValet:Storage:ExportsContainer"] = "exp" + suffix,
            ["OneValet:Storage:AnonymizedContainer"] = "ano" + suffix,
            ["OneValet:Storage:FacialReferencesContainer"] = "ref" + suffix,
            ["OneValet:Storage:RequestDocumentsContainer"] = "doc" + suffix,
            ["OneValet:Storage:QueuePrefix"] = "q" + suffix + "-",
            ["OneValet:Email:SmtpHost"] = MailDevFixture.Host,
            ["OneValet:Email:SmtpPort"] = MailDevFixture.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["OneValet:Email:UseTls"] = "false",
            ["OneValet:Email:FromAddress"] = "privacy@onevalet.test",
            ["OneValet:Email:PrivacyOfficerAddress"] = "privacy-office@onevalet.test",
            ["OneValet:Requests:SecretKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),

            // Uploads here come from consoles nobody registered; the device registry has its own tests (issue 16.3).
            ["OneValet:Ingestion:RegisteredDevicesOnly"] = "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var clock = new FakeTimeProvider(now ?? DateTimeOffset.UtcNow);
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddSingleton<TimeProvider>(clock);
        services.AddPipeline();
        services.AddSingleton<IRecordStore>(new SqliteRecordStore(Path.Combine(folder, "records.db")));
        services.AddKeyedSingleton<IRecordStore>(DeletionLedger.StoreKey, new SqliteRecordStore(Path.Combine(folder, "ledger.db")));
        services.AddSingleton(new QueueServiceClient(AzuriteFixture.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }));
        services.AddSingleton<IMessageTransport, StorageQueueTransport>();
        configure?.Invoke(services);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var harness = new PipelineHarness(provider, folder, suffix, clock);
        var blobs = provider.GetRequiredService<BlobServiceClient>();
        await blobs.GetBlobContainerClient("rec" + suffix).CreateIfNotExistsAsync();
        await blobs.GetBlobContainerClient("qua" + suffix).CreateIfNotExistsAsync();
        await blobs.GetBlobContainerClient("ref" + suffix).CreateIfNotExistsAsync();
        await blobs.GetBlobContainerClient("doc" + suffix).CreateIfNotExistsAsync();
        foreach (var queue in Queues.All)
        {
            await provider.GetRequiredService<QueueServiceClient>().GetQueueClient("q" + suffix + "-" + queue).CreateIfNotExistsAsync();
        }

        return harness;
    }

    public async ValueTask DisposeAsync()
    {
        var blobs = Services.GetRequiredService<BlobServiceClient>();
        await blobs.GetBlobContainerClient("rec" + Suffix).DeleteIfExistsAsync();
        await blobs.GetBlobContainerClient("qua" + Suffix).DeleteIfExistsAsync();
        await blobs.GetBlobContainerClient("exp" + Suffix).DeleteIfExistsAsync();
        await blobs.GetBlobContainerClient("ano" + Suffix).DeleteIfExistsAsync();
        await blobs.GetBlobContainerClient("ref" + Suffix).DeleteIfExistsAsync();
        await blobs.GetBlobContainerClient("doc" + Suffix).DeleteIfExistsAsync();
        foreach (var queue in Queues.All)
        {
            await Services.GetRequiredService<QueueServiceClient>().GetQueueClient("q" + Suffix + "-" + queue).DeleteIfExistsAsync();
        }

        await Services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
