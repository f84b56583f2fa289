using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Azure.Cosmos;
using OneValet.Pipeline.Storage;
using Xunit;

namespace OneValet.Tests.Infrastructure;

/// <summary>
/// Starts the Cosmos-protocol server the project installs (<c>@vercel/cosmosdb-server</c>, in memory, HTTPS with a
/// self-signed certificate) on a free loopback port, creates the database and every container, and kills the server
/// when the tests are done. Missing node_modules is a failure that says what to run, never a silent skip.
/// </summary>
public sealed class CosmosServerFixture : IAsyncLifetime, IDisposable
{
    public const string DatabaseName = "onevalet-tests";

    // The emulator checks no signature; any base64 key will do. This one is the Cosmos DB emulator's published key.
    private const string EmulatorKey = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);

    private readonly StringBuilder output = new();
    private Process? server;
    private CosmosClient? client;

    public CosmosClient Client => client ?? throw new InvalidOperationException("The Cosmos server fixture is not initialized.");

    public Uri Endpoint { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        string root = FindRepositoryRoot();
        string cli = Path.Combine(root, "infra", "node_modules", ".bin", "cosmosdb-server");
        if (!File.Exists(cli))
        {
            throw new InvalidOperationException(
                $"The Cosmos-protocol server is not installed ({cli} is missing). Run `bash infra/install.sh` in {root} first.");
        }

        int port = FreeLoopbackPort();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        foreach (string argument in new[] { cli, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--host", "127.0.0.1" })
        {
            start.ArgumentList.Add(argument);
        }

        server = new Process { StartInfo = start, EnableRaisingEvents = true };
        server.OutputDataReceived += (_, e) =>
        {
            Record(e.Data);
            if (e.Data?.Contains("Ready to accept", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        server.ErrorDataReceived += (_, e) => Record(e.Data);
        server.Exited += (_, _) => ready.TrySetException(new InvalidOperationException(
            $"cosmosdb-server exited before it was ready. Output:\n{Output}"));
        try
        {
            server.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("Could not start `node`; the tests need Node.js on PATH.", e);
        }

        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(StartupTimeout);
        }
        catch (TimeoutException e)
        {
            throw new InvalidOperationException($"cosmosdb-server did not become ready. Output:\n{Output}", e);
        }

        Endpoint = new Uri($"https://127.0.0.1:{port}/");
        client = CreateClient(Endpoint);

        // The first real request: it proves the server answers the SDK, and lays out the database.
        await CosmosRecordStore.EnsureCreatedAsync(client, DatabaseName);
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        client?.Dispose();
        client = null;
        if (server is not null)
        {
            try
            {
                if (!server.HasExited)
                {
                    server.Kill(entireProcessTree: true);
                    server.WaitForExit();
                }
            }
            catch (InvalidOperationException)
            {
                // It has already exited.
            }

            server.Dispose();
            server = null;
        }
    }

    /// <summary>What the server printed, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>A Gateway-mode client for the emulator: its certificate is self-signed, so this client (and only
    /// this test client, bound to a loopback endpoint) accepts any server certificate.</summary>
    public static CosmosClient CreateClient(Uri endpoint) => new(endpoint.ToString(), EmulatorKey, new CosmosClientOptions
    {
        ConnectionMode = ConnectionMode.Gateway,
        LimitToEndpoint = true,
        ServerCertificateCustomValidationCallback = (_, _, _) => true,
        RequestTimeout = TimeSpan.FromSeconds(30),
    });

    /// <summary>Walks up from the test binaries to the folder holding OneValet.Serverless.sln.</summary>
    public static string FindRepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "OneValet.Serverless.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No OneValet.Serverless.sln above {AppContext.BaseDirectory}.");
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}

/// <summary>Test classes in this collection share one running server.</summary>
[CollectionDefinition(Name)]
public sealed class CosmosServerDefinition : ICollectionFixture<CosmosServerFixture>
{
    public const string Name = "Cosmos server";
}
