using Grpc.Net.Client;
using Microsoft.Extensions.Options;

namespace OneValet.Local.Durable;

/// <summary>The one gRPC channel the Durable Task worker and client share to reach the loopback sidecar.</summary>
internal sealed class LocalSidecarChannel : IDisposable
{
    /// <summary>Largest gRPC message either side accepts (the sidecar streams histories above 1 MiB).</summary>
    internal const int MaxMessageBytes = 16 * 1024 * 1024;

    private readonly SocketsHttpHandler handler;

    public LocalSidecarChannel(IOptions<LocalDurableOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.Address = new Uri($"http://127.0.0.1:{options.Value.SidecarPort}");
        this.handler = new SocketsHttpHandler
        {
            // Every WaitForInstanceCompletion holds an HTTP/2 stream; let the client open more connections
            // rather than queue behind Kestrel's 100 streams per connection.
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
        };
        this.Channel = GrpcChannel.ForAddress(this.Address, new GrpcChannelOptions
        {
            HttpHandler = this.handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = MaxMessageBytes,
            MaxSendMessageSize = MaxMessageBytes,
        });
    }

    /// <summary>The sidecar's address, <c>http://127.0.0.1:{SidecarPort}</c>.</summary>
    public Uri Address { get; }

    public GrpcChannel Channel { get; }

    public void Dispose()
    {
        this.Channel.Dispose();
        this.handler.Dispose();
    }
}
