using System.Net;
using System.Net.Http.Json;
using OneValet.Pipeline.Api;
using OneValet.Tests.EndToEnd;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Authorization;

/// <summary>The rate limits on the real local host, with low settings: anonymous routes per client IP, intake per principal.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class RateLimitTests
{
    [Fact]
    public async Task Anonymous_routes_and_intake_answer_429_with_retry_after_past_their_limits()
    {
        await AzuriteFixture.EnsureRunningAsync();
        await using var host = new LocalHostProcess("authz-limits");
        await host.StartAsync();
        var device = await host.DeviceAsync("device-1", "b-1", "door-1");
        var other = await host.DeviceAsync("device-2", "b-1", "door-1");
        await host.StopAsync();

        // Restart on the same data (same signing key, so the tokens stay valid) with low limits.
        await using var limited = new LocalHostProcess("authz-limits-2", new Dictionary<string, string>
        {
            ["OneValet:Auth:AnonymousPermitsPerMinute"] = "40",
            ["OneValet:Auth:IntakePermitsPerMinute"] = "3",
        });
        LocalHostProcess.Reuse(limited, host);
        await limited.StartAsync();
        using var deviceClient = new HttpClient { BaseAddress = limited.Http.BaseAddress };
        deviceClient.DefaultRequestHeaders.Authorization = device.DefaultRequestHeaders.Authorization;
        using var otherClient = new HttpClient { BaseAddress = limited.Http.BaseAddress };
        otherClient.DefaultRequestHeaders.Authorization = other.DefaultRequestHeaders.Authorization;

        var intake = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var posted = await deviceClient.PostAsJsonAsync("buildings/b-1/door-events", new { events = Array.Empty<object>() }, ApiJson.Options);
            intake.Add(posted.StatusCode);
            if (posted.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.NotNull(posted.Headers.RetryAfter);
            }
        }

        Assert.Equal([HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], intake);
        using (var another = await otherClient.PostAsJsonAsync("buildings/b-1/door-events", new { events = Array.Empty<object>() }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.BadRequest, another.StatusCode); // another principal has its own budget
        }

        var anonymous = new List<HttpStatusCode>();
        using var plain = new HttpClient { BaseAddress = limited.Http.BaseAddress };
        for (var i = 0; i < 45; i++)
        {
            using var health = await plain.GetAsync(new Uri("health", UriKind.Relative));
            anonymous.Add(health.StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, anonymous);
        Assert.True(anonymous.Count(s => s == HttpStatusCode.OK) <= 40);
    }
}
