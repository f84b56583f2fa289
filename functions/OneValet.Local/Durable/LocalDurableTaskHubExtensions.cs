using System.Net;
using DurableTask.AzureStorage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Grpc;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Grpc;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Durable;

namespace OneValet.Local.Durable;

/// <summary>
/// The local host's durable task backend: the Durable Task Framework's Azure Storage provider on Azurite,
/// served to the Durable Task SDK by the in-process gRPC sidecar of Microsoft.DurableTask.InProcessTestHost,
/// on a loopback HTTP/2 endpoint of this web application.
/// </summary>
/// <remarks>
/// <para>Usage, in the local host's Program.cs:</para>
/// <code>
/// var builder = WebApplication.CreateBuilder(args);
/// builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(7071));   // the host's own HTTP endpoint
/// builder.AddLocalDurableTaskHub();                                 // + 127.0.0.1:7072, HTTP/2 only
/// var app = builder.Build();
/// app.MapLocalDurableTaskHub();
/// app.Run();
/// </code>
/// <para>Endpoints: the sidecar endpoint is added with <c>Listen</c> in code. Kestrel binds every endpoint
/// defined in code (any <c>ConfigureKestrel</c> call, in any order) and in the <c>Kestrel:Endpoints</c>
/// section together, so the caller's <c>ListenLocalhost(7071)</c> keeps working. Addresses given as
/// <c>urls</c> (configuration key, <c>ASPNETCORE_URLS</c>, <c>--urls</c>) are ignored by Kestrel as soon as
/// one endpoint is defined in code; this method therefore adds each of them as an endpoint too (HTTP/1.1
/// and HTTP/2), and Kestrel logs that it overrides them. Do not name the same port both ways. Addresses
/// given to <c>app.Urls</c> or <c>app.Run(url)</c> are not seen: use one of the other ways.</para>
/// <para>Limits of the sidecar on this provider: no <c>RestartAsync</c>, no entities, no history API, and a
/// start time (<c>StartAt</c>) is ignored. Sub-orchestrations work only through the fixes in
/// <see cref="SidecarOrchestrationService"/>; the pipeline avoids them all the same, so that both hosts
/// run it the same way.</para>
/// </remarks>
public static class LocalDurableTaskHubExtensions
{
    /// <summary>Largest gRPC message the sidecar accepts or sends.</summary>
    private const int MaxMessageBytes = LocalSidecarChannel.MaxMessageBytes;

    /// <summary>
    /// Adds the local durable task hub with the pipeline's orchestrators and activities
    /// (<see cref="DurableTasks.Register"/>), a Durable Task worker and a <see cref="DurableTaskClient"/>.
    /// </summary>
    public static WebApplicationBuilder AddLocalDurableTaskHub(this WebApplicationBuilder builder) =>
        builder.AddLocalDurableTaskHub(extraTasks: null);

    /// <summary>
    /// Adds the local durable task hub (see the class remarks) from the configuration section
    /// <see cref="LocalDurableOptions.SectionName"/>, with the pipeline's orchestrators and activities and,
    /// when given, more (tests register their own).
    /// </summary>
    /// <param name="builder">The local host's builder.</param>
    /// <param name="extraTasks">Registers orchestrators and activities besides the pipeline's.</param>
    /// <returns>The same builder.</returns>
    public static WebApplicationBuilder AddLocalDurableTaskHub(this WebApplicationBuilder builder, Action<DurableTaskRegistry>? extraTasks)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(LocalDurableMarker)))
        {
            throw new InvalidOperationException("AddLocalDurableTaskHub was already called on this builder.");
        }

        services.AddSingleton<LocalDurableMarker>();
        services.AddOptions<LocalDurableOptions>()
            .Bind(builder.Configuration.GetSection(LocalDurableOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<LocalDurableOptions>, LocalDurableOptionsValidator>();

        // Stopped one after the other, the worker, the server (waiting for the worker's stream) and the
        // provider add up to the 30 s shutdown timeout.
        services.Configure<HostOptions>(host => host.ServicesStopConcurrently = true);

        services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<LocalDurableOptions>, IConfiguration>(ConfigureEndpoints);

        // The provider, the sidecar in front of it, and the hosted service that brings both up and down.
        services.AddSingleton(sp => CreateProvider(sp.GetRequiredService<IOptions<LocalDurableOptions>>().Value, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<LocalDurableOptions>>().Value;
            return new SidecarOrchestrationService(
                sp.GetRequiredService<AzureStorageOrchestrationService>(),
                options.TaskHubName,
                options.WorkerId,
                sp.GetRequiredService<ILogger<SidecarOrchestrationService>>());
        });
        services.AddGrpc().AddServiceOptions<TaskHubGrpcServer>(grpc =>
        {
            grpc.MaxReceiveMessageSize = MaxMessageBytes;
            grpc.MaxSendMessageSize = MaxMessageBytes;
        });
        services.AddSingleton(sp =>
        {
            var provider = sp.GetRequiredService<SidecarOrchestrationService>();
            return new TaskHubGrpcServer(
                sp.GetRequiredService<IHostApplicationLifetime>(),
                sp.GetRequiredService<ILoggerFactory>(),
                provider,
                provider,
                Options.Create(new TaskHubGrpcServerOptions { Mode = TaskHubGrpcServerMode.ApiServerAndDispatcher }));
        });
        services.AddHostedService<LocalTaskHubLifetime>();

        // The worker and the client, both on one channel to the sidecar.
        services.AddSingleton<LocalSidecarChannel>();
        services.AddDurableTaskWorker(worker =>
        {
            worker.AddTasks(DurableTasks.Register);
            if (extraTasks is not null)
            {
                worker.AddTasks(extraTasks);
            }

            worker.UseGrpc();
        });
        services.AddOptions<GrpcDurableTaskWorkerOptions>(Options.DefaultName)
            .Configure<LocalSidecarChannel>((grpc, channel) => grpc.Channel = channel.Channel);
        StartWorkerAfterServer(services);

        services.AddDurableTaskClient(client => client.UseGrpc());
        services.AddOptions<GrpcDurableTaskClientOptions>(Options.DefaultName)
            .Configure<LocalSidecarChannel>((grpc, channel) => grpc.Channel = channel.Channel);
        return builder;
    }

    /// <summary>
    /// Maps the durable sidecar's gRPC service, answering only on its own endpoint
    /// (host <c>127.0.0.1:{SidecarPort}</c>). Required after <see cref="AddLocalDurableTaskHub(WebApplicationBuilder)"/>.
    /// </summary>
    /// <param name="app">The local host.</param>
    /// <returns>The same application.</returns>
    public static WebApplication MapLocalDurableTaskHub(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var marker = app.Services.GetService<LocalDurableMarker>()
            ?? throw new InvalidOperationException("Call builder.AddLocalDurableTaskHub() before app.MapLocalDurableTaskHub().");
        var port = app.Services.GetRequiredService<IOptions<LocalDurableOptions>>().Value.SidecarPort;
        app.MapGrpcService<TaskHubGrpcServer>().RequireHost($"127.0.0.1:{port}").WithMetadata(new Auth.LocalGate.OutsideApiMarker());
        marker.Mapped = true;
        return app;
    }

    private static AzureStorageOrchestrationService CreateProvider(LocalDurableOptions options, ILoggerFactory loggerFactory) =>
        new(new AzureStorageOrchestrationServiceSettings
        {
            StorageAccountClientProvider = new StorageAccountClientProvider(options.StorageConnectionString),
            TaskHubName = options.TaskHubName,
            WorkerId = options.WorkerId,
            MaxQueuePollingInterval = options.MaxQueuePollingInterval,
            // How long a work item taken by a host that then dies stays invisible before another host takes it. The
            // provider's default is 5 minutes; the pipeline's activities are short, and a local host restarted after a
            // kill -9 should resume within seconds. The sidecar does not renew these leases, so no activity may run longer.
            WorkItemQueueVisibilityTimeout = options.LeaseTimeout,
            ControlQueueVisibilityTimeout = options.LeaseTimeout,
            LoggerFactory = loggerFactory,
            ThrowExceptionOnInvalidDedupeStatus = true, // a refused start throws instead of passing silently
        });

    private static void ConfigureEndpoints(KestrelServerOptions kestrel, IOptions<LocalDurableOptions> durable, IConfiguration configuration)
    {
        int sidecarPort = durable.Value.SidecarPort;
        kestrel.Listen(IPAddress.Loopback, sidecarPort, listen => listen.Protocols = HttpProtocols.Http2);

        // Endpoints in code make Kestrel ignore "urls": bind those here as well (see the class remarks).
        var urls = configuration[WebHostDefaults.ServerUrlsKey];
        if (string.IsNullOrWhiteSpace(urls))
        {
            return;
        }

        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var address = BindingAddress.Parse(url);
            Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions> protocols = listen =>
            {
                if (string.Equals(address.Scheme, "https", StringComparison.OrdinalIgnoreCase))
                {
                    listen.UseHttps();
                }
            };
            if (address.IsUnixPipe)
            {
                kestrel.ListenUnixSocket(address.UnixPipePath, protocols);
            }
            else if (string.Equals(address.Host, "localhost", StringComparison.OrdinalIgnoreCase))
            {
                kestrel.ListenLocalhost(address.Port, protocols);
            }
            else if (IPAddress.TryParse(address.Host, out var ip))
            {
                if (IPAddress.IsLoopback(ip) && ip.AddressFamily == IPAddress.Loopback.AddressFamily && address.Port == sidecarPort)
                {
                    continue;
                }

                kestrel.Listen(ip, address.Port, protocols);
            }
            else
            {
                kestrel.ListenAnyIP(address.Port, protocols); // "*", "+", or a host name
            }
        }
    }

    /// <summary>
    /// Wraps the Durable Task worker's hosted service in <see cref="LocalDurableWorkerLifetime"/>, which
    /// starts it after the web server (hosted services added to a <see cref="WebApplicationBuilder"/> start
    /// before the server) and closes the channel after it stops.
    /// </summary>
    private static void StartWorkerAfterServer(IServiceCollection services)
    {
        var workerAssembly = typeof(IDurableTaskWorkerBuilder).Assembly;
        for (int i = 0; i < services.Count; i++)
        {
            var descriptor = services[i];
            if (descriptor.ServiceType == typeof(IHostedService)
                && descriptor.ImplementationFactory is { } factory
                && factory.Method.DeclaringType?.Assembly == workerAssembly)
            {
                services[i] = ServiceDescriptor.Singleton<IHostedService>(sp => new LocalDurableWorkerLifetime(
                    (IHostedService)factory(sp),
                    sp.GetRequiredService<LocalSidecarChannel>(),
                    sp.GetRequiredService<ILogger<LocalDurableWorkerLifetime>>()));
            }
        }
    }
}
