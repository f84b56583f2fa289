using System.Diagnostics;
using System.Net.Sockets;

namespace OneValet.Tests.Infrastructure;

/// <summary>
/// Makes sure Azurite answers on 127.0.0.1:10000 (blob), 10001 (queue) and 10002 (table): reuses one that
/// already listens, otherwise runs <c>infra/start-emulators.sh</c> from the repository root once per test run.
/// Use as a class fixture: <c>IClassFixture&lt;AzuriteFixture&gt;</c>.
/// </summary>
public sealed class AzuriteFixture
{
    /// <summary>Connection string of Azurite's well-known development account.</summary>
    public const string ConnectionString = "UseDevelopmentStorage=true";

    private static readonly Lazy<Task> Started = new(EnsureStartedAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    public AzuriteFixture() => Started.Value.GetAwaiter().GetResult();

    /// <summary>The folder holding OneValet.Serverless.sln, found by walking up from the test binaries.</summary>
    public static string RepositoryRoot => RepositoryPaths.Root;

    /// <summary>For tests that are not class fixtures: the same check, awaited.</summary>
    public static Task EnsureRunningAsync() => Started.Value;

    private static async Task EnsureStartedAsync()
    {
        if (await IsListeningAsync(10000) && await IsListeningAsync(10001) && await IsListeningAsync(10002))
        {
            return;
        }

        var infra = Path.Combine(RepositoryRoot, "infra");
        if (!File.Exists(Path.Combine(infra, "node_modules", ".bin", "azurite")))
        {
            throw new InvalidOperationException(
                $"Azurite is not running on 127.0.0.1:10000 and is not installed ({Path.Combine(infra, "node_modules")} is missing). " +
                "Run: bash infra/install.sh");
        }

        var start = new ProcessStartInfo("bash", [Path.Combine(infra, "start-emulators.sh")])
        {
            WorkingDirectory = RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not run infra/start-emulators.sh.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"infra/start-emulators.sh failed with exit code {process.ExitCode}: {await stdout}{await stderr}");
        }

        for (int attempt = 0; attempt < 50; attempt++)
        {
            if (await IsListeningAsync(10000) && await IsListeningAsync(10001) && await IsListeningAsync(10002))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"Azurite was started but does not answer on 127.0.0.1:10000-10002: {await stdout}{await stderr}");
    }

    private static async Task<bool> IsListeningAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync("127.0.0.1", port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
