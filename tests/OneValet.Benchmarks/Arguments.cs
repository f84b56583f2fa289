using System.Globalization;

namespace OneValet.Benchmarks;

internal static class Arguments
{
    public static int Int(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var value) ? value : fallback;
    }

    /// <summary>A loopback TCP port that was free a moment ago (for the local host's durable sidecar).</summary>
    public static string FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Settings for a local host run inside a benchmark: its own containers, queues, task hub and data folder,
    /// the local SMTP catcher, quiet logs. Callers add or override what their scenario needs.</summary>
    public static Dictionary<string, string?> LocalHostSettings(string prefix, string data) => new()
    {
        ["urls"] = "http://127.0.0.1:0",
        ["Local:DataDirectory"] = data,
        ["OneValet:Storage:ConnectionString"] = "UseDevelopmentStorage=true",
        ["OneValet:Storage:RecordingsContainer"] = prefix + "rec",
        ["OneValet:Storage:QuarantineContainer"] = prefix + "qua",
        ["OneValet:Storage:ExportsContainer"] = prefix + "exp",
        ["OneValet:Storage:QueuePrefix"] = prefix + "-",
        ["Durable:TaskHubName"] = prefix,
        ["Durable:SidecarPort"] = FreePort(),
        ["Logging:LogLevel:Default"] = "Warning",
        ["OneValet:Email:SmtpHost"] = "127.0.0.1",
        ["OneValet:Email:SmtpPort"] = "1025",
        ["OneValet:Email:UseTls"] = "false",
        ["OneValet:Email:FromAddress"] = "bench@onevalet.local",
        ["OneValet:Email:PrivacyOfficerAddress"] = "privacy-office@onevalet.local",
    };

    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }
}
