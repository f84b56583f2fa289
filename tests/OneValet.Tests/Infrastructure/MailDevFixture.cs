using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OneValet.Tests.Infrastructure;

/// <summary>
/// Makes sure the SMTP catcher (maildev) answers on 127.0.0.1:1025 (SMTP) and 127.0.0.1:1080 (REST): reuses one that
/// already listens, otherwise runs <c>infra/start-emulators.sh</c> from the repository root once per test run.
/// Use as a class fixture: <c>IClassFixture&lt;MailDevFixture&gt;</c>. Other tests may share the catcher: filter by a
/// recipient of your own (<see cref="UniqueRecipient"/>) rather than clearing it.
/// </summary>
public sealed class MailDevFixture : IDisposable
{
    public const string Host = "127.0.0.1";
    public const int SmtpPort = 1025;
    public const int WebPort = 1080;

    private static readonly Lazy<Task> Started = new(EnsureStartedAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    public MailDevFixture()
    {
        Started.Value.GetAwaiter().GetResult();
        Api = new MailDevClient(new Uri($"http://{Host}:{WebPort}/"));
    }

    /// <summary>The REST client of the shared catcher.</summary>
    public MailDevClient Api { get; }

    /// <summary>An address no other test uses, lower case (maildev's filters compare exactly).</summary>
    public static string UniqueRecipient(string label) =>
        $"{label}-{Guid.NewGuid():N}@residents.onevalet.test".ToLowerInvariant();

    public void Dispose() => Api.Dispose();

    private static async Task EnsureStartedAsync()
    {
        if (await IsListeningAsync(SmtpPort) && await IsListeningAsync(WebPort))
        {
            return;
        }

        if (!File.Exists(RepositoryPaths.InfraBin("maildev")))
        {
            throw new InvalidOperationException(
                $"maildev is not running on {Host}:{SmtpPort} and is not installed ({RepositoryPaths.InfraBin("maildev")} is missing). " +
                "Run: bash infra/install.sh");
        }

        var start = new ProcessStartInfo("bash", [Path.Combine(RepositoryPaths.Root, "infra", "start-emulators.sh")])
        {
            WorkingDirectory = RepositoryPaths.Root,
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
            if (await IsListeningAsync(SmtpPort) && await IsListeningAsync(WebPort))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"maildev was started but does not answer on {Host}:{SmtpPort} and :{WebPort}: {await stdout}{await stderr}");
    }

    internal static async Task<bool> IsListeningAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(Host, port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}

/// <summary>
/// A client for maildev 3's REST API (under <c>/api</c>): <c>GET /api/email?to.address=...</c> lists the caught
/// messages with their headers, <c>DELETE /api/email/{id}</c> and <c>DELETE /api/email/all</c> remove them.
/// </summary>
public sealed class MailDevClient(Uri baseAddress) : IDisposable
{
    private readonly HttpClient http = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Every caught message sent to <paramref name="toAddress"/> (an exact, case-sensitive match).</summary>
    public async Task<IReadOnlyList<CaughtEmail>> ListAsync(string toAddress, CancellationToken cancellationToken = default) =>
        await http.GetFromJsonAsync<List<CaughtEmail>>($"api/email?to.address={Uri.EscapeDataString(toAddress)}", cancellationToken)
        ?? [];

    /// <summary>Polls until at least <paramref name="count"/> messages to <paramref name="toAddress"/> are caught.</summary>
    public async Task<IReadOnlyList<CaughtEmail>> WaitForAsync(string toAddress, int count, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var caught = await ListAsync(toAddress);
            if (caught.Count >= count)
            {
                return caught;
            }

            if (deadline.Elapsed > (timeout ?? TimeSpan.FromSeconds(10)))
            {
                throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                    $"maildev at {baseAddress} holds {caught.Count} of the {count} messages expected for the test's recipient."));
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Every caught message (for a catcher a test owns).</summary>
    public async Task<IReadOnlyList<CaughtEmail>> ListAllAsync(CancellationToken cancellationToken = default) =>
        await http.GetFromJsonAsync<List<CaughtEmail>>("api/email", cancellationToken) ?? [];

    public async Task DeleteAsync(string id)
    {
        using var response = await http.DeleteAsync(new Uri($"api/email/{Uri.EscapeDataString(id)}", UriKind.Relative));
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Clears the whole catcher; only for an instance a test owns (see <see cref="MailDevProcess"/>).</summary>
    public async Task DeleteAllAsync()
    {
        using var response = await http.DeleteAsync(new Uri("api/email/all", UriKind.Relative));
        response.EnsureSuccessStatusCode();
    }

    public void Dispose() => http.Dispose();
}

/// <summary>One message as maildev's REST API returns it (the fields the tests read).</summary>
public sealed record CaughtEmail(
    string Id,
    string? Subject,
    string? Text,
    string? Html,
    IReadOnlyList<CaughtAddress> From,
    IReadOnlyList<CaughtAddress> To,
    Dictionary<string, JsonElement> Headers)
{
    /// <summary>A header's value (maildev lower-cases the names); repeated headers come back joined with newlines.</summary>
    public string? Header(string name) =>
        Headers.TryGetValue(name.ToLowerInvariant(), out var value)
            ? value.ValueKind == JsonValueKind.Array
                ? string.Join('\n', value.EnumerateArray().Select(v => v.ToString()))
                : value.ToString()
            : null;
}

public sealed record CaughtAddress([property: JsonPropertyName("address")] string Address, [property: JsonPropertyName("name")] string? Name);

/// <summary>
/// A maildev of a test's own, on free loopback ports with extra options (e.g. <c>--incoming-user</c>), keeping its
/// mail in a temporary folder; killed and its folder deleted on dispose.
/// </summary>
public sealed class MailDevProcess : IAsyncDisposable
{
    private readonly StringBuilder output = new();
    private readonly string mailDirectory;
    private readonly string[] arguments;
    private Process? process;

    private MailDevProcess(int smtpPort, int webPort, string[] arguments)
    {
        SmtpPort = smtpPort;
        WebPort = webPort;
        this.arguments = arguments;
        mailDirectory = Directory.CreateTempSubdirectory("onevalet-maildev-").FullName;
        Api = new MailDevClient(new Uri($"http://{MailDevFixture.Host}:{webPort}/"));
    }

    public int SmtpPort { get; }

    public int WebPort { get; }

    public MailDevClient Api { get; }

    /// <summary>What maildev printed, for failure messages.</summary>
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

    public static async Task<MailDevProcess> StartAsync(params string[] arguments)
    {
        if (!File.Exists(RepositoryPaths.InfraBin("maildev")))
        {
            throw new InvalidOperationException($"{RepositoryPaths.InfraBin("maildev")} is missing. Run: bash infra/install.sh");
        }

        var instance = new MailDevProcess(FreePort.Next(), FreePort.Next(), arguments);
        try
        {
            await instance.StartAsync();
            return instance;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the server (SIGKILL: its connections drop without a goodbye) and starts it again on the same ports.</summary>
    public async Task RestartAsync()
    {
        Kill();
        await StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        Api.Dispose();
        await Task.Yield();
        try
        {
            Directory.Delete(mailDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: it is a temporary folder.
        }
    }

    private async Task StartAsync()
    {
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // maildev looks for a config file in its working directory and the folders above it.
            WorkingDirectory = mailDirectory,
        };
        foreach (string argument in new[]
        {
            RepositoryPaths.InfraBin("maildev"),
            "--ip", MailDevFixture.Host, "--smtp", SmtpPort.ToString(CultureInfo.InvariantCulture),
            "--web-ip", MailDevFixture.Host, "--web", WebPort.ToString(CultureInfo.InvariantCulture),
            "--mail-directory", mailDirectory,
        }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Record(e.Data);
        process.ErrorDataReceived += (_, e) => Record(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var waited = Stopwatch.StartNew();
        while (!(await MailDevFixture.IsListeningAsync(SmtpPort) && await MailDevFixture.IsListeningAsync(WebPort)))
        {
            if (process.HasExited || waited.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new InvalidOperationException($"maildev did not start on {SmtpPort}/{WebPort}. Output:\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    private void Kill()
    {
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
            // It has already exited.
        }

        process.Dispose();
        process = null;
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
