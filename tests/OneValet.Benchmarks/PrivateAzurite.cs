using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace OneValet.Benchmarks;

/// <summary>
/// An Azurite of the benchmark's own, on free loopback ports, keeping everything in memory (<c>--inMemoryPersistence</c>).
/// The shared Azurite of <c>infra/start-emulators.sh</c> saves its whole queue database as one JSON file every few
/// seconds; with 100,000 messages queued that save stalls it for seconds at a time, so durable leases time out and a run
/// measures the emulator's disk writer rather than the pipeline. The baseline and the pipeline use the same instance.
/// </summary>
internal sealed class PrivateAzurite : IAsyncDisposable
{
    /// <summary>Azurite's published development account and key.</summary>
    private const string Account = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;";

    private readonly Process _process;

    private PrivateAzurite(Process process, string connectionString)
    {
        _process = process;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    /// <summary>The CPU time the emulator has used so far (user and system): on a shared machine, what a call cost it
    /// does not depend on what other processes do, where its wall time does.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public static async Task<PrivateAzurite> StartAsync()
    {
        var azurite = Path.Combine(RepositoryRoot(), "infra", "node_modules", ".bin", "azurite");
        if (!File.Exists(azurite))
        {
            throw new InvalidOperationException("Azurite is not installed: run bash infra/install.sh");
        }

        var (blob, queue, table) = (Arguments.FreePort(), Arguments.FreePort(), Arguments.FreePort());
        var start = new ProcessStartInfo(azurite,
            ["--silent", "--skipApiVersionCheck", "--loose", "--inMemoryPersistence", "--blobHost", "127.0.0.1", "--blobPort", blob,
             "--queueHost", "127.0.0.1", "--queuePort", queue, "--tableHost", "127.0.0.1", "--tablePort", table])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("Azurite could not be started.");
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        // Node starts Azurite in about a second on a quiet machine, in tens of seconds on a loaded one: wait up to two minutes.
        var deadline = DateTime.UtcNow.AddMinutes(2);
        foreach (var port in new[] { blob, queue, table })
        {
            while (true)
            {
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync("127.0.0.1", int.Parse(port, CultureInfo.InvariantCulture));
                    break;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
                {
                    await Task.Delay(50);
                }
            }
        }

        var connection = Account +
            $"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;";
        return new PrivateAzurite(process, connection);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "OneValet.Serverless.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("OneValet.Serverless.sln not found above the benchmark's folder.");
    }
}
