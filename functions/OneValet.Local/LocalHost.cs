using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using OneValet.Local.Ingestion;
using OneValet.Pipeline;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Configuration;
using OneValet.Pipeline.Storage;

namespace OneValet.Local;

/// <summary>Where the local host keeps its durable state.</summary>
public sealed class LocalHostOptions
{
    public const string Section = "Local";

    /// <summary>Folder of the SQLite record store (created if missing).</summary>
    public string DataDirectory { get; set; } = ".data";
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
        builder.Services.AddOptions<LocalHostOptions>().BindConfiguration(LocalHostOptions.Section);
        builder.Services.AddSingleton<IRecordStore>(sp =>
        {
            var folder = Path.GetFullPath(sp.GetRequiredService<IOptions<LocalHostOptions>>().Value.DataDirectory);
            Directory.CreateDirectory(folder);
            return new SqliteRecordStore(Path.Combine(folder, "records.db"));
        });
        builder.Services.AddHostedService<StorageInitializer>();
        builder.Services.AddHostedService<UploadPoller>();
        return builder;
    }

    public static WebApplication MapLocalHost(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapPipelineApi();
        return app;
    }
}

/// <summary>Creates the blob containers on the emulator before anything else starts (Bicep creates them in Azure).</summary>
internal sealed class StorageInitializer(BlobServiceClient blobs, IOptions<StorageOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        foreach (var name in new[] { o.RecordingsContainer, o.QuarantineContainer, o.ExportsContainer })
        {
            await blobs.GetBlobContainerClient(name).CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
