using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DurableTask.AzureStorage;
using Microsoft.AspNetCore.Builder;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OneValet.Local.Durable;
using OneValet.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OneValet.Tests.Durable;

/// <summary>
/// A minimal local host in this process: a web application with only the local durable task hub
/// (plus the probe tasks) on Azurite, its sidecar on a free loopback port.
/// </summary>
internal sealed class LocalDurableTestApp : IAsyncDisposable
{
    public const string WorkerId = "onevalet-tests";

    private readonly WebApplication app;
    private bool stopped;

    private LocalDurableTestApp(WebApplication app, int port, TimeSpan startTime)
    {
        this.app = app;
        this.Port = port;
        this.StartTime = startTime;
        this.Client = app.Services.GetRequiredService<DurableTaskClient>();
    }

    public DurableTaskClient Client { get; }

    public IServiceProvider Services => this.app.Services;

    public int Port { get; }

    /// <summary>How long <c>StartAsync</c> of the web application took.</summary>
    public TimeSpan StartTime { get; }

    /// <param name="taskHub">Task hub name.</param>
    /// <param name="output">Where the app logs (null: nowhere).</param>
    /// <param name="configure">Changes the builder before the task hub is added.</param>
    /// <param name="configureApp">Changes the built app, before <c>MapLocalDurableTaskHub</c> unless <paramref name="map"/> is false.</param>
    /// <param name="map">Whether to call <c>MapLocalDurableTaskHub</c>.</param>
    public static async Task<LocalDurableTestApp> StartAsync(
        string taskHub,
        ITestOutputHelper? output,
        Action<WebApplicationBuilder>? configure = null,
        Action<WebApplication>? configureApp = null,
        bool map = true)
    {
        int port = GetFreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Development",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = string.Empty,
            ["Durable:StorageConnectionString"] = AzuriteFixture.ConnectionString,
            ["Durable:TaskHubName"] = taskHub,
            ["Durable:SidecarPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Durable:WorkerId"] = WorkerId,
        });
        builder.Logging.ClearProviders();
        if (output is not null)
        {
            builder.Logging.AddProvider(new XunitLoggerProvider(output, LogLevel.Debug));
            builder.Logging.AddFilter("OneValet", LogLevel.Debug);
            builder.Logging.AddFilter("DurableTask", LogLevel.Warning);
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
            builder.Logging.AddFilter("Microsoft.DurableTask", LogLevel.Warning);
            builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        }

        configure?.Invoke(builder);
        builder.AddLocalDurableTaskHub(ProbeTasks.Register);
        var app = builder.Build();
        configureApp?.Invoke(app);
        if (map)
        {
            app.MapLocalDurableTaskHub();
        }

        var clock = Stopwatch.StartNew();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new LocalDurableTestApp(app, port, clock.Elapsed);
    }

    /// <summary>Stops the application and returns how long it took.</summary>
    public async Task<TimeSpan> StopAsync()
    {
        var clock = Stopwatch.StartNew();
        if (!this.stopped)
        {
            this.stopped = true;
            await this.app.StopAsync();
            await this.app.DisposeAsync();
        }

        return clock.Elapsed;
    }

    public async ValueTask DisposeAsync() => await this.StopAsync();

    /// <summary>A task hub name no other test uses: letters and digits, starting with a letter.</summary>
    public static string NewTaskHubName(string prefix) => prefix + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Deletes a task hub's queues, tables and blobs.</summary>
    public static async Task DeleteTaskHubAsync(string taskHub)
    {
        using var service = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            StorageAccountClientProvider = new StorageAccountClientProvider(AzuriteFixture.ConnectionString),
            TaskHubName = taskHub,
        });
        await service.DeleteAsync();
    }

    public static int GetFreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One task hub per test class, deleted when the class is done.</summary>
public sealed class TaskHubFixture : Xunit.IAsyncLifetime
{
    public string Name { get; } = LocalDurableTestApp.NewTaskHubName("t");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        try
        {
            await LocalDurableTestApp.DeleteTaskHubAsync(this.Name);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Best effort: a leftover task hub in Azurite is harmless.
        }
    }
}
