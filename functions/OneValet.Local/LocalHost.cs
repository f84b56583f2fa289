using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using OneValet.Local.Auth;
using OneValet.Local.Durable;
using OneValet.Local.Retention;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Retention;
using Microsoft.Extensions.Options;
using OneValet.Local.Ingestion;
using OneValet.Local.Messaging;
using OneValet.Pipeline;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Configuration;
using OneValet.Pipeline.Storage;
using OneValet.Pipeline.Telemetry;

namespace OneValet.Local;

/// <summary>Where the local host keeps its durable state.</summary>
public sealed class LocalHostOptions
{
    public const string Section = "Local";

    /// <summary>Folder of the SQLite record store (created if missing).</summary>
    public string DataDirectory { get; set; } = ".data";

    /// <summary>Whether this host consumes the queues (the fan-out benchmark turns it off to measure publishing alone).</summary>
    public bool ProcessQueues { get; set; } = true;
}

/// <summary>Composition of the local host: the pipeline on Azurite, SQLite and the durable sidecar, on loopback.</summary>
public static class LocalHost
{
    public static WebApplicationBuilder AddLocalHost(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure<HostOptions>(o =>
        {
            o.ServicesStartConcurrently = false;
            o.ServicesStopConcurrently = true;
            o.ShutdownTimeout = TimeSpan.FromSeconds(10);
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddPipeline();
        builder.Services.AddPipelineTelemetry(builder.Configuration, "onevalet-local"); // OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set
        builder.AddLocalAuth();
        builder.Services.AddOptions<LocalHostOptions>().BindConfiguration(LocalHostOptions.Section);
        builder.Services.AddSingleton<IRecordStore>(sp => new SqliteRecordStore(DataFile(sp, "records.db")));

        // The deletion ledger outlives the data: its own file, which a restore of records.db does not touch (O7).
        builder.Services.AddKeyedSingleton<IRecordStore>(DeletionLedger.StoreKey, (sp, _) => new SqliteRecordStore(DataFile(sp, "ledger.db")));
        builder.Services.AddSingleton(sp => new QueueServiceClient(
            sp.GetRequiredService<IOptions<StorageOptions>>().Value.ConnectionString,
            new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }));
        builder.Services.AddSingleton<StorageQueueTransport>();
        builder.Services.AddSingleton<IMessageTransport>(sp => sp.GetRequiredService<StorageQueueTransport>());
        builder.AddLocalDurableTaskHub();
        builder.Services.AddHostedService<StorageInitializer>();
        builder.Services.AddHostedService<UploadPoller>();
        builder.Services.AddHostedService<RetentionSweepService>();
        if (builder.Configuration.GetValue(LocalHostOptions.Section + ":ProcessQueues", true))
        {
            builder.Services.AddHostedService<QueueProcessor>();
        }
        return builder;
    }

    public static WebApplication MapLocalHost(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseLocalGate();
        app.MapPipelineApi();
        app.MapDevTokens();
        app.MapLocalDurableTaskHub();
        return app;
    }

    private static string DataFile(IServiceProvider services, string name)
    {
        var folder = Path.GetFullPath(services.GetRequiredService<IOptions<LocalHostOptions>>().Value.DataDirectory);
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }
}

/// <summary>Creates the blob containers and queues on the emulator before anything else starts (Bicep creates them in Azure).</summary>
internal sealed class StorageInitializer(BlobServiceClient blobs, QueueServiceClient queues, IOptions<StorageOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        foreach (var name in new[] { o.RecordingsContainer, o.QuarantineContainer, o.ExportsContainer, o.AnonymizedContainer, o.FacialReferencesContainer })
        {
            await blobs.GetBlobContainerClient(name).CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        foreach (var queue in Queues.All)
        {
            await queues.GetQueueClient(o.QueuePrefix + queue).CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await queues.GetQueueClient(o.QueuePrefix + queue + "-poison").CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
