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

    /// <summary>Listen on addresses other than loopback (and answer other host names, <c>Local:AllowedHosts</c>). Off by
    /// default; when on, no development tokens are issued.</summary>
    public bool AllowRemote { get; set; }

    /// <summary>A file to copy every queued message to (<see cref="Messaging.MessageJournal"/>); none by default.</summary>
    public string? MessageJournal { get; set; }

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
        var allowRemote = builder.Configuration.GetValue(LocalHostOptions.Section + ":" + nameof(LocalHostOptions.AllowRemote), false);
        Loopback.EnsureLoopbackOnly(builder.Configuration, allowRemote);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<OneValet.Pipeline.Api.DependencyFailureHandler>(); // 503 + Retry-After, not 500, when a service did not answer
        builder.Services.AddPipeline();
        builder.Services.AddPipelineTelemetry(builder.Configuration, "onevalet-local"); // OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set
        builder.AddLocalAuth(allowRemote);

        // The console (issue 19) signs in with the development tokens, which exist only while the host is loopback-only.
        builder.Services.PostConfigure<OneValet.Pipeline.WebConsole.ConsoleOptions>(o => o.DevTokens = !allowRemote);
        builder.Services.AddOptions<LocalHostOptions>().BindConfiguration(LocalHostOptions.Section);

        // The intake's secret (Key Vault in Azure): a key file of the data directory, owner-only, unless configured.
        builder.Services.AddOptions<OneValet.Pipeline.Requests.RequestOptions>().PostConfigure<IOptions<LocalHostOptions>>((o, local) =>
            o.SecretKey ??= OneValet.Local.Requests.RequestSecretFile.LoadOrCreate(Path.GetFullPath(local.Value.DataDirectory)));
        builder.Services.AddSingleton<IRecordStore>(sp => new SqliteRecordStore(DataFile(sp, "records.db")));

        // The deletion ledger outlives the data: its own file, which a restore of records.db does not touch (O7).
        builder.Services.AddKeyedSingleton<IRecordStore>(DeletionLedger.StoreKey, (sp, _) => new SqliteRecordStore(DataFile(sp, "ledger.db")));
        builder.Services.AddSingleton(sp => new QueueServiceClient(
            sp.GetRequiredService<IOptions<StorageOptions>>().Value.ConnectionString,
            OneValet.Local.Messaging.UndecodableMessages.Options()));
        builder.Services.AddSingleton<StorageQueueTransport>();
        builder.Services.AddSingleton<MessageJournal>();
        builder.Services.AddSingleton<IMessageTransport>(sp => sp.GetRequiredService<MessageJournal>().Enabled
            ? new JournalingTransport(sp.GetRequiredService<StorageQueueTransport>(), sp.GetRequiredService<MessageJournal>())
            : sp.GetRequiredService<StorageQueueTransport>());
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
        if (!app.Services.GetRequiredService<IOptions<LocalHostOptions>>().Value.AllowRemote)
        {
            app.MapDevTokens();
        }

        app.MapLocalDurableTaskHub();
        return app;
    }

    private static string DataFile(IServiceProvider services, string name)
    {
        var folder = Loopback.OwnerOnlyDirectory(services.GetRequiredService<IOptions<LocalHostOptions>>().Value.DataDirectory);
        return Path.Combine(folder, name);
    }
}

/// <summary>Creates the blob containers and queues on the emulator before anything else starts (Bicep creates them in Azure).</summary>
internal sealed class StorageInitializer(BlobServiceClient blobs, QueueServiceClient queues, IOptions<StorageOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        foreach (var name in new[] { o.RecordingsContainer, o.QuarantineContainer, o.ExportsContainer, o.AnonymizedContainer, o.FacialReferencesContainer, o.RequestDocumentsContainer })
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
