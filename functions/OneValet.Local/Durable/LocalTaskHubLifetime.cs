using System.Diagnostics;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.Extensions.Options;

namespace OneValet.Local.Durable;

/// <summary>
/// Brings the task hub up before the sidecar serves and down after everything else has stopped.
/// Registered before the web server, so its <see cref="StartAsync"/> runs first: it creates the
/// task hub's queues, tables and lease blobs once (the sidecar only calls <c>StartAsync</c>), and
/// constructs the sidecar so that it is waiting for the worker when the server starts listening.
/// </summary>
internal sealed partial class LocalTaskHubLifetime : IHostedLifecycleService
{
    private readonly SidecarOrchestrationService service;
    private readonly LocalDurableMarker marker;
    private readonly IOptions<LocalDurableOptions> options;
    private readonly ILogger<LocalTaskHubLifetime> logger;

    public LocalTaskHubLifetime(
        SidecarOrchestrationService service,
        TaskHubGrpcServer sidecar,
        LocalDurableMarker marker,
        IOptions<LocalDurableOptions> options,
        ILogger<LocalTaskHubLifetime> logger)
    {
        ArgumentNullException.ThrowIfNull(sidecar); // resolved here so that it hooks ApplicationStarted in time
        this.service = service;
        this.marker = marker;
        this.options = options;
        this.logger = logger;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!this.marker.Mapped)
        {
            throw new InvalidOperationException(
                "The local durable task hub was added but its sidecar is not mapped: call app.MapLocalDurableTaskHub() before running the app.");
        }

        var clock = Stopwatch.StartNew();
        try
        {
            await this.service.CreateIfNotExistsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException(
                $"Cannot create the durable task hub '{this.options.Value.TaskHubName}' in the storage account " +
                "(Durable:StorageConnectionString). Is Azurite running? Start it with: bash infra/start-emulators.sh",
                e);
        }

        LogReady(this.logger, this.options.Value.TaskHubName, clock.ElapsedMilliseconds, this.options.Value.SidecarPort);
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// After the worker and the server have stopped: hand back the work items still out and stop the
    /// provider (its lease manager releases the partitions, so a restarted host resumes at once). The
    /// sidecar starts the same stop when the application begins stopping; the two calls coalesce.
    /// </summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await this.service.StopAsync(isForced: true).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            LogStopTimedOut(this.logger, this.options.Value.TaskHubName);
            return;
        }

        LogStopped(this.logger, this.options.Value.TaskHubName, clock.ElapsedMilliseconds);
    }

    [LoggerMessage(1, LogLevel.Information, "Durable task hub {TaskHub} ready in {ElapsedMs} ms; sidecar on 127.0.0.1:{Port}.")]
    private static partial void LogReady(ILogger logger, string taskHub, long elapsedMs, int port);

    [LoggerMessage(2, LogLevel.Information, "Durable task hub {TaskHub} stopped in {ElapsedMs} ms.")]
    private static partial void LogStopped(ILogger logger, string taskHub, long elapsedMs);

    [LoggerMessage(3, LogLevel.Warning, "Durable task hub {TaskHub} did not stop within the host's shutdown timeout.")]
    private static partial void LogStopTimedOut(ILogger logger, string taskHub);
}

/// <summary>Records that the local durable task hub was added and mapped.</summary>
internal sealed class LocalDurableMarker
{
    public bool Mapped { get; set; }
}

/// <summary>
/// Runs the Durable Task worker's hosted service so that it fits the sidecar's lifetime:
/// <list type="bullet">
/// <item>it starts only once every hosted service, the web server included, has started, so the worker
/// connects to a sidecar that already listens instead of failing, logging and backing off;</item>
/// <item>once it has stopped, the gRPC channel is closed: the server stops concurrently and would
/// otherwise wait seconds for the client's HTTP/2 connection to close. The <c>DurableTaskClient</c> is thus unusable once the host stops, as it would be anyway with
/// the sidecar gone.</item>
/// </list>
/// </summary>
internal sealed partial class LocalDurableWorkerLifetime : IHostedLifecycleService, IDisposable
{
    private readonly IHostedService worker;
    private readonly LocalSidecarChannel channel;
    private readonly ILogger logger;
    private bool started;

    public LocalDurableWorkerLifetime(
        IHostedService worker, LocalSidecarChannel channel, ILogger<LocalDurableWorkerLifetime> logger)
    {
        this.worker = worker;
        this.channel = channel;
        this.logger = logger;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        await this.worker.StartAsync(cancellationToken).ConfigureAwait(false);
        this.started = true;
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            if (this.started)
            {
                await this.worker.StopAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            this.channel.Dispose();
        }

        LogStopped(this.logger, clock.ElapsedMilliseconds);
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => (this.worker as IDisposable)?.Dispose();

    [LoggerMessage(1, LogLevel.Debug, "Durable Task worker stopped in {ElapsedMs} ms; sidecar channel closed.")]
    private static partial void LogStopped(ILogger logger, long elapsedMs);
}
