using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace OneValet.Pipeline.Api.Auth;

/// <summary>
/// Abuse resistance, from the route table: anonymous routes are limited per client IP, intake routes (every POST) per
/// principal (or per client IP without one). Fixed one-minute windows from System.Threading.RateLimiting, no queueing:
/// over the limit is a 429 with Retry-After. Per instance (a scaled-out Functions app multiplies the budget).
/// </summary>
public sealed class ApiRateLimits(IOptions<AuthOptions> options) : IDisposable
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetFixedWindowLimiter(key, k => new FixedWindowRateLimiterOptions
        {
            PermitLimit = k.StartsWith("anonymous|", StringComparison.Ordinal) ? options.Value.AnonymousPermitsPerMinute : options.Value.IntakePermitsPerMinute,
            Window = Window,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>The partition a call counts against, or null when the route is not limited.</summary>
    public static string? PartitionOf(ApiRoute? route, Caller? caller, string? clientIp, bool anonymousEndpoint = false)
    {
        if (anonymousEndpoint || route?.Scope == Scope.Anonymous)
        {
            return "anonymous|" + (clientIp ?? "unknown");
        }

        if (route is not null && route.Method == "POST")
        {
            var who = caller?.DeviceId ?? caller?.SubjectId;
            return "intake|" + (who is not null ? "principal:" + who : "ip:" + (clientIp ?? "unknown"));
        }

        return null;
    }

    /// <summary>True when the call may go on; false with the time to wait when the partition is spent.</summary>
    public bool TryAcquire(string? partition, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (partition is null)
        {
            return true;
        }

        using var lease = _limiter.AttemptAcquire(partition);
        if (lease.IsAcquired)
        {
            return true;
        }

        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : Window;
        return false;
    }

    public void Dispose() => _limiter.Dispose();
}
