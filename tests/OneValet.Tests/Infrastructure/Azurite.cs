using System.Diagnostics;
using System.Net.Sockets;

namespace OneValet.Tests.Infrastructure;

/// <summary>The real Azurite on 127.0.0.1:10000-10002, started through infra/start-emulators.sh if nothing listens yet.</summary>
internal static class Azurite
{
    public const string ConnectionString =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;" +
        "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;";

    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static async Task EnsureRunningAsync()
    {
        await Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (await ListensAsync().ConfigureAwait(false))
            {
                return;
            }

            if (!File.Exists(RepositoryPaths.InfraBin("azurite")))
            {
                throw new InvalidOperationException("Azurite is not installed: run `bash infra/install.sh` (README, 'Run the tests').");
            }

            var info = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add(Path.Combine(RepositoryPaths.Root, "infra", "start-emulators.sh"));
            using var process = Process.Start(info)!;
            await process.WaitForExitAsync().ConfigureAwait(false);
            if (process.ExitCode != 0 || !await ListensAsync().ConfigureAwait(false))
            {
                throw new InvalidOperationException("Azurite did not start: " + await process.StandardError.ReadToEndAsync().ConfigureAwait(false));
            }
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<bool> ListensAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", 10000).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
