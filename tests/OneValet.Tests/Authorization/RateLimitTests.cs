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

    [Fact]
    public async Task Reads_uploads_and_each_client_address_have_budgets_of_their_own()
    {
        await AzuriteFixture.EnsureRunningAsync();
        await using var host = new LocalHostProcess("authz-limits-read", new Dictionary<string, string>
        {
            ["OneValet:Auth:ReadPermitsPerMinute"] = "3",
            ["OneValet:Auth:UploadPermitsPerMinute"] = "2",
        });
        await host.StartAsync();
        var manager = await host.ManagerAsync("b-1");
        using (var put = await manager.PutAsJsonAsync("residents/r-1", new { buildingId = "b-1", unitId = "u-1", movedInAt = DateTimeOffset.UtcNow.AddYears(-1), email = "r-1@limits.test" }, ApiJson.Options))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var resident = await host.ResidentAsync("r-1", "b-1", "u-1");
        var reads = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var got = await resident.GetAsync(new Uri("residents/r-1", UriKind.Relative));
            reads.Add(got.StatusCode);
            if (got.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(got.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            }
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], reads);

        // Enrollment uploads: their own, smaller budget (the body is not even read past it).
        var uploads = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var content = new ByteArrayContent([0xFF, 0xD8, 0xFF, 0xE0]);
            content.Headers.ContentType = new("image/jpeg");
            using var put = await resident.PutAsync(new Uri("residents/r-1/facial-entry/enrollment", UriKind.Relative), content);
            uploads.Add(put.StatusCode);
        }

        Assert.Equal(2, uploads.Count(s => s != HttpStatusCode.TooManyRequests));
        Assert.Equal(HttpStatusCode.TooManyRequests, uploads[^1]);
    }

    [Fact]
    public async Task Fresh_tokens_do_not_buy_a_fresh_budget_from_the_same_address()
    {
        await AzuriteFixture.EnsureRunningAsync();
        await using var host = new LocalHostProcess("authz-limits-client", new Dictionary<string, string> { ["OneValet:Auth:ClientPermitsPerMinute"] = "30" });
        await host.StartAsync();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12 && !statuses.Contains(HttpStatusCode.TooManyRequests); i++)
        {
            // A new principal every time (its own read budget), from the same address.
            HttpClient client;
            try
            {
                client = await host.ClientAsync(new { role = "property-manager", subjectId = $"manager-{i}", buildingIds = new[] { "b-1" } });
            }
            catch (InvalidOperationException e) when (e.Message.Contains("429", StringComparison.Ordinal))
            {
                statuses.Add(HttpStatusCode.TooManyRequests); // the token endpoint itself counts against the address
                break;
            }

            for (var j = 0; j < 3; j++)
            {
                using var got = await client.GetAsync(new Uri("buildings/b-1/recordings", UriKind.Relative));
                statuses.Add(got.StatusCode);
            }
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.True(statuses.Count(s => s != HttpStatusCode.TooManyRequests) <= 30);
    }
}
