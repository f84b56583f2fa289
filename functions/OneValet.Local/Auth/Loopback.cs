using System.Net;

namespace OneValet.Local.Auth;

/// <summary>
/// The local host is a developer's laptop tool: it listens on loopback only, answers only requests that name a loopback
/// host (so a web page on another site cannot reach it through DNS rebinding), and keeps its data folders readable by
/// its owner alone. Listening elsewhere needs <c>Local:AllowRemote=true</c>, and then no development tokens are issued.
/// </summary>
public static class Loopback
{
    /// <summary>The host names a request may carry (the Host header, without its port).</summary>
    public static readonly string[] HostNames = ["localhost", "127.0.0.1", "[::1]"];

    /// <summary>Refuses to start when a configured address is not loopback, unless remote access is allowed.</summary>
    public static void EnsureLoopbackOnly(IConfiguration configuration, bool allowRemote)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (allowRemote)
        {
            return;
        }

        var urls = (configuration[WebHostDefaults.ServerUrlsKey] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
        foreach (var url in urls)
        {
            var address = BindingAddress.Parse(url);
            if (!address.IsUnixPipe && !IsLoopbackHost(address.Host))
            {
                throw new InvalidOperationException(
                    $"The local host listens on loopback only, and '{address.Host}' is not a loopback address. Use 127.0.0.1, [::1] or localhost, " +
                    "or set Local:AllowRemote=true to listen elsewhere (development tokens are then not issued).");
            }
        }
    }

    public static bool IsLoopbackHost(string? host) =>
        host is not null && (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip)));

    /// <summary>Whether a request comes from this machine and names this machine.</summary>
    public static bool IsLocalRequest(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var remote = context.Connection.RemoteIpAddress;
        return remote is not null && IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote)
            && IsLoopbackHost(context.Request.Host.Host);
    }

    /// <summary>Creates (or narrows) a data folder to its owner alone (0700): tokens' key, records, ledger, emulator data.</summary>
    public static string OwnerOnlyDirectory(string path)
    {
        var full = Path.GetFullPath(path);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(full);
            return full;
        }

        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Directory.CreateDirectory(full, ownerOnly);
        if (File.GetUnixFileMode(full) != ownerOnly)
        {
            File.SetUnixFileMode(full, ownerOnly);
        }

        return full;
    }
}
