using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace OneValet.Pipeline.Api.Auth;

/// <summary>
/// Abuse resistance on every route, from the route table. Each call counts against two budgets and must pass both:
/// <list type="bullet">
/// <item>its client address (every route, anonymous or not: minting tokens gives no fresh budget);</item>
/// <item>its principal (the token's device id or subject) on authenticated routes, with a budget per kind of call: reads
/// (GET), writes (other methods), uploads (the enrollment image, a visitor's photo); anonymous routes and the dev token endpoint count
/// against an anonymous budget per client address instead.</item>
/// </list>
/// Fixed one-minute windows from System.Threading.RateLimiting, no queueing: over a limit is a 429 with Retry-After.
/// Per instance (a scaled-out Functions app multiplies the budget; the front end's own limits sit before it).
/// </summary>
public sealed class ApiRateLimits(IOptions<AuthOptions> options) : IDisposable
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetFixedWindowLimiter(key, k => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Limit(options.Value, k[..k.IndexOf('|', StringComparison.Ordinal)]),
            Window = Window,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>The budgets a call counts against (each "budget|key").</summary>
    public static IReadOnlyList<string> PartitionsOf(ApiRoute? route, Caller? caller, string? clientAddress, bool anonymousEndpoint = false)
    {
        var client = clientAddress ?? "unknown";
        var partitions = new List<string>(2) { "client|" + client };
        if (anonymousEndpoint || route is null || route.Scope == Scope.Anonymous || caller is null)
        {
            partitions.Add("anonymous|" + client);
            return partitions;
        }

        var who = caller.DeviceId is { } device ? "device:" + device : "sub:" + (caller.SubjectId ?? "none");
        var budget = route == ApiRoutes.PutFacialEnrollment || route == ApiRoutes.PutVisitorPhoto ? "upload" : route.Method == "GET" ? "read" : "write";
        partitions.Add(budget + "|" + who);
        return partitions;
    }

    private static int Limit(AuthOptions o, string budget) => budget switch
    {
        "client" => o.ClientPermitsPerMinute,
        "anonymous" => o.AnonymousPermitsPerMinute,
        "read" => o.ReadPermitsPerMinute,
        "upload" => o.UploadPermitsPerMinute,
        _ => o.IntakePermitsPerMinute,
    };

    /// <summary>True when the call may go on; false with the time to wait when one of its budgets is spent.</summary>
    public bool TryAcquire(IReadOnlyList<string> partitions, out TimeSpan retryAfter)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        retryAfter = TimeSpan.Zero;
        foreach (var partition in partitions)
        {
            using var lease = _limiter.AttemptAcquire(partition);
            if (!lease.IsAcquired)
            {
                retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : Window;
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The client's address. With <see cref="AuthOptions.ClientAddressHeader"/> set (the Functions app: the platform's
    /// front end terminates the connection and appends the address it saw to <c>X-Forwarded-For</c>), the entry that
    /// many hops from the right (<see cref="AuthOptions.TrustedProxyHops"/>): entries further left were written by the
    /// client and are not trusted. Without it (the local host, on loopback), the connection's own address.
    /// </summary>
    public static string? ClientAddressOf(HttpContext context, AuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        if (options.ClientAddressHeader is { Length: > 0 } header)
        {
            var entries = context.Request.Headers[header].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToArray();
            var index = entries.Length - Math.Max(1, options.TrustedProxyHops);
            if (index >= 0 && ParseAddress(entries[index]) is { } forwarded)
            {
                return forwarded.ToString();
            }
        }

        return context.Connection.RemoteIpAddress?.ToString();
    }

    /// <summary>An address as proxies write it: <c>1.2.3.4</c>, <c>1.2.3.4:5678</c>, <c>::1</c> or <c>[::1]:80</c>.</summary>
    private static IPAddress? ParseAddress(string value)
    {
        if (IPAddress.TryParse(value, out var ip))
        {
            return ip;
        }

        if (IPEndPoint.TryParse(value, out var endpoint))
        {
            return endpoint.Address;
        }

        return null;
    }

    public void Dispose() => _limiter.Dispose();

    internal static string Seconds(TimeSpan wait) => ((int)Math.Ceiling(Math.Max(1, wait.TotalSeconds))).ToString(CultureInfo.InvariantCulture);
}
