using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;
using OneValet.Client;
using OneValet.Tests.Contract;
using OneValet.Tests.Infrastructure;

namespace OneValet.Tests.EndToEnd;

/// <summary>
/// The real local host (functions/OneValet.Local) as a child process on loopback, with its own data folder, task hub and
/// blob containers so tests never share state. <see cref="KillAsync"/> is kill -9 (SIGKILL): no shutdown code runs.
/// </summary>
internal sealed class LocalHostProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private readonly List<HttpClient> _clients = [];
    private Process? _process;

    public LocalHostProcess(string name, IReadOnlyDictionary<string, string>? settings = null)
    {
        Name = name;
        DataDirectory = Path.Combine(Path.GetTempPath(), "onevalet-tests", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Settings = new Dictionary<string, string>(settings ?? new Dictionary<string, string>());
        var suffix = Guid.NewGuid().ToString("N")[..10];
        RecordingsContainer = "rec" + suffix;
        QuarantineContainer = "qua" + suffix;
        ExportsContainer = "exp" + suffix;
        AnonymizedContainer = "ano" + suffix;
        FacialReferencesContainer = "ref" + suffix;
        RequestDocumentsContainer = "doc" + suffix;
        TaskHub = "t" + suffix;
    }

    public string Name { get; }

    public string DataDirectory { get; }

    public Dictionary<string, string> Settings { get; }

    public string RecordingsContainer { get; }

    public string QuarantineContainer { get; }

    public string ExportsContainer { get; }

    public string AnonymizedContainer { get; }
    public string FacialReferencesContainer { get; }

    public string RequestDocumentsContainer { get; }

    public string TaskHub { get; }

    /// <summary>The host's own Azurite queues: this prefix + the queue name.</summary>
    public string QueuePrefix => "q" + TaskHub[1..] + "-";

    public int Port { get; private set; }

    /// <summary>Raw HTTP as the privacy officer: for what the generated client cannot say (other spellings of a path,
    /// malformed bodies, other media types). Its responses are checked against the document too.</summary>
    public HttpClient Http { get; private set; } = new();

    /// <summary>The client generated from the OpenAPI document (tests/OneValet.Client), as the privacy officer.</summary>
    public OneValetClient Api { get; private set; } = null!;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public async Task StartAsync()
    {
        Port = FreePort.Next();
        var dll = RepositoryPaths.ProjectOutput("OneValet.Local", "OneValet.Local.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"The local host is not built at {dll}; build the solution first.");
        }

        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(dll);
        var args = new Dictionary<string, string>
        {
            ["urls"] = $"http://127.0.0.1:{Port}",
            ["Local:DataDirectory"] = DataDirectory,
            ["OneValet:Storage:ConnectionString"] = AzuriteFixture.ConnectionString,
            ["OneValet:Storage:RecordingsContainer"] = RecordingsContainer,
            ["OneValet:Storage:QuarantineContainer"] = QuarantineContainer,
            ["OneValet:Storage:ExportsContainer"] = ExportsContainer,
            ["OneValet:Storage:AnonymizedContainer"] = AnonymizedContainer,
            ["OneValet:Storage:FacialReferencesContainer"] = FacialReferencesContainer,
            ["OneValet:Storage:RequestDocumentsContainer"] = RequestDocumentsContainer,
            ["Durable:TaskHubName"] = TaskHub,
            ["OneValet:Storage:QueuePrefix"] = QueuePrefix,
            ["Durable:SidecarPort"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),

            // Tests call far faster than people: the limits are tested on their own, with low settings.
            ["OneValet:Auth:AnonymousPermitsPerMinute"] = "1000000",
            ["OneValet:Auth:IntakePermitsPerMinute"] = "1000000",
            ["OneValet:Auth:ReadPermitsPerMinute"] = "1000000",
            ["OneValet:Auth:UploadPermitsPerMinute"] = "1000000",
            ["OneValet:Auth:ClientPermitsPerMinute"] = "1000000",
            ["OneValet:Requests:RequestsPerSubject"] = "1000000",
            ["OneValet:Requests:RequestsPerAddress"] = "1000000",

            // Tests about other things upload as consoles nobody registered; the device registry's tests (DeviceUploads)
            // turn the check back on (issue 16.3).
            ["OneValet:Ingestion:RegisteredDevicesOnly"] = "false",
        };
        foreach (var (key, value) in Settings)
        {
            args[key] = value.Replace("{port}", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal); // e.g. urls on another address
        }

        foreach (var (key, value) in args)
        {
            info.ArgumentList.Add($"--{key}={value}");
        }

        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        _process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the local host.");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Http = NewClient(new Uri($"http://127.0.0.1:{Port}/api/"));
        Api = ApiOf(Http);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The local host exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await Http.GetAsync(new Uri("health", UriKind.Relative)).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    // Every test calls as the privacy officer unless it asks for another caller (ClientAsync).
                    Http.DefaultRequestHeaders.Authorization = new("Bearer", await TokenAsync(new { role = "privacy-officer", subjectId = "officer-1" }).ConfigureAwait(false));
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        // A host that never answered is not left behind: callers that fail here never reach their await using.
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }

        throw new TimeoutException($"The local host did not answer /api/health within 60 s:\n{Output}");
    }

    /// <summary>A development token from the host's <c>POST /api/dev/tokens</c>, e.g. <c>new { role = "device", deviceId,
    /// buildingIds = new[] { "b-1" }, doorIds = new[] { "lobby" } }</c>.</summary>
    public async Task<string> TokenAsync(object request)
    {
        using var anonymous = new HttpClient { BaseAddress = Http.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var response = await anonymous.PostAsJsonAsync("dev/tokens", request).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"dev/tokens answered {(int)response.StatusCode}: {body}");
        }

        return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>A client of this host calling with a token for the given claims (disposed with the host).</summary>
    public async Task<HttpClient> ClientAsync(object request)
    {
        var client = NewClient(Http.BaseAddress!);
        client.DefaultRequestHeaders.Authorization = new("Bearer", await TokenAsync(request).ConfigureAwait(false));
        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }

    /// <summary>The generated client over a caller's HttpClient (its token, its contract check).</summary>
    public static OneValetClient ApiOf(HttpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        var root = new Uri(client.BaseAddress!, "/");
        return new OneValetClient(new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: client) { BaseUrl = root.ToString().TrimEnd('/') });
    }

    /// <summary>The generated client for a caller with the given claims.</summary>
    public async Task<OneValetClient> ApiAsync(object request) => ApiOf(await ClientAsync(request).ConfigureAwait(false));

    public async Task<OneValetClient> ManagerApiAsync(params string[] buildingIds) => ApiOf(await ManagerAsync(buildingIds).ConfigureAwait(false));

    public async Task<OneValetClient> ResidentApiAsync(string residentId, string buildingId, string unitId) =>
        ApiOf(await ResidentAsync(residentId, buildingId, unitId).ConfigureAwait(false));

    public async Task<OneValetClient> DeviceApiAsync(string deviceId, string buildingId, params string[] doorIds) =>
        ApiOf(await DeviceAsync(deviceId, buildingId, doorIds).ConfigureAwait(false));

    public Task<HttpClient> ManagerAsync(params string[] buildingIds) => ClientAsync(new { role = "property-manager", subjectId = "manager-1", buildingIds });

    public Task<HttpClient> ResidentAsync(string residentId, string buildingId, string unitId) =>
        ClientAsync(new { role = "resident", subjectId = residentId, buildingIds = new[] { buildingId }, unitId });

    public Task<HttpClient> DeviceAsync(string deviceId, string buildingId, params string[] doorIds) =>
        ClientAsync(new { role = "device", deviceId, buildingIds = new[] { buildingId }, doorIds });

    /// <summary>SIGKILL, like kill -9: the process gets no chance to finish anything.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        Http.Dispose();
    }

    /// <summary>A polite stop (SIGTERM), as Ctrl+C would.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync().ConfigureAwait(false);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }

        Http.Dispose();
    }

    /// <summary>Polls a GET of the generated client until it answers (a 404 refusal means "not yet"), and returns the body.</summary>
    public async Task<T> WaitForAsync<T>(Func<OneValetClient, Task<T?>> get, TimeSpan timeout)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(get);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await get(Api).ConfigureAwait(false) is { } found)
                {
                    return found;
                }
            }
            catch (Client.Models.Problem problem) when (problem.ResponseStatusCode == 404 && DateTime.UtcNow <= deadline)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the call did not answer within {timeout}\n{Output}");
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    /// <summary>Polls a condition until it holds; on time-out the host's output goes to a file named in the failure.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition().ConfigureAwait(false))
        {
            if (DateTime.UtcNow >= deadline)
            {
                var log = Path.Combine(Path.GetTempPath(), $"onevalet-{Name}-{Guid.NewGuid():N}.log");
                await File.WriteAllTextAsync(log, Output).ConfigureAwait(false);
                throw new TimeoutException($"timed out; host output in {log}");
            }

            await Task.Delay(200).ConfigureAwait(false);
        }
    }

    /// <summary>The host's record store, opened beside it (SQLite allows a second process to read and write).</summary>
    public Pipeline.Storage.SqliteRecordStore OpenStore() => new(Path.Combine(DataDirectory, "records.db"));

    /// <summary>A restarted host must use the first one's data folder, containers, queues and task hub.</summary>
    public static void Reuse(LocalHostProcess restarted, LocalHostProcess first)
    {
        ArgumentNullException.ThrowIfNull(restarted);
        ArgumentNullException.ThrowIfNull(first);
        restarted.Settings["Local:DataDirectory"] = first.DataDirectory;
        restarted.Settings["OneValet:Storage:RecordingsContainer"] = first.RecordingsContainer;
        restarted.Settings["OneValet:Storage:QuarantineContainer"] = first.QuarantineContainer;
        restarted.Settings["OneValet:Storage:ExportsContainer"] = first.ExportsContainer;
        restarted.Settings["OneValet:Storage:AnonymizedContainer"] = first.AnonymizedContainer;
        restarted.Settings["OneValet:Storage:FacialReferencesContainer"] = first.FacialReferencesContainer;
        restarted.Settings["OneValet:Storage:RequestDocumentsContainer"] = first.RequestDocumentsContainer;
        restarted.Settings["Durable:TaskHubName"] = first.TaskHub;
        restarted.Settings["OneValet:Storage:QueuePrefix"] = "q" + first.TaskHub[1..] + "-";
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        _process?.Dispose();
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Every caller's HttpClient checks each answer of this host against the OpenAPI document (issue 20.2).</summary>
    private static HttpClient NewClient(Uri baseAddress) =>
        new(new ContractValidatingHandler(baseAddress), disposeHandler: true) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
