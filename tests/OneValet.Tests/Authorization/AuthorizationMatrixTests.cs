using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OneValet.Pipeline.Api;
using OneValet.Local.Auth;
using OneValet.Pipeline.Api.Auth;
using OneValet.Tests.EndToEnd;
using OneValet.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OneValet.Tests.Authorization;

/// <summary>
/// Every route of <see cref="ApiRoutes"/> × every role × an in-scope and an out-of-scope object, and without a token,
/// against the real local host process with tokens from its <c>POST /api/dev/tokens</c>. The expectations are derived
/// from the table here, independently of the authorizer: a route added to the table is covered without touching this file.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class AuthorizationMatrixTests(ITestOutputHelper output)
{
    /// <summary>The objects a token's grant reaches (in scope) and the objects it does not (out of scope).</summary>
    internal static readonly Dictionary<string, (string In, string Out)> Objects = new(StringComparer.Ordinal)
    {
        ["requestId"] = ("req-unseeded", "req-unseeded"),
        ["residentId"] = ("r-in", "r-out"),
        ["subjectId"] = ("r-in", "r-out"),
        ["buildingId"] = ("b-1", "b-2"),
        ["unitId"] = ("u-1", "u-2"),
        ["doorId"] = ("door-1", "door-9"),
        ["deviceId"] = ("device-1", "device-9"),
        ["queue"] = ("notifications", "notifications"),
    };

    /// <summary>One token per role, each granted exactly the in-scope objects.</summary>
    internal static readonly Dictionary<Roles, object> Grants = new()
    {
        [Roles.Resident] = new { role = "resident", subjectId = "r-in", buildingIds = new[] { "b-1" }, unitId = "u-1" },
        [Roles.AuthorizedAgent] = new { role = "authorized-agent", subjectId = "agent-1", actsFor = "r-in", verified = true },
        [Roles.PropertyManager] = new { role = "property-manager", subjectId = "manager-1", buildingIds = new[] { "b-1" } },
        [Roles.PrivacyOfficer] = new { role = "privacy-officer", subjectId = "officer-1" },
        [Roles.Device] = new { role = "device", deviceId = "device-1", buildingIds = new[] { "b-1" }, doorIds = new[] { "door-1" } },
        [Roles.Partner] = new { role = "partner", subjectId = "partner-1" },
    };

    internal enum Expected
    {
        /// <summary>Past authorization: anything but 401, 403, the gate's 404 and 5xx (a handler may answer 400 to an empty body).</summary>
        Allowed,
        Unauthorized,
        Forbidden,
        NotFound,
    }

    [Fact]
    public async Task Every_route_answers_every_role_in_and_out_of_scope_as_the_table_says()
    {
        await AzuriteFixture.EnsureRunningAsync();
        await using var host = new LocalHostProcess("authz-matrix");
        await host.StartAsync();
        var clients = await SeedAsync(host);

        var cases = 0;
        var failures = new List<string>();
        var seen = new SortedDictionary<string, int>(StringComparer.Ordinal);
        // Move-out last: it changes what a resident reaches (a former resident has no unit any more).
        foreach (var route in ApiRoutes.All.OrderBy(r => r == ApiRoutes.MoveOut))
        {
            var hasObject = route.ScopeParameter is { } p && p != ApiRoute.ScopeInBody;
            var variants = hasObject ? new[] { true, false } : [true];
            foreach (var inScope in variants)
            {
                foreach (var role in Grants.Keys.Cast<Roles?>().Append(null))
                {
                    var expected = Expect(route, role, inScope);
                    var client = role is { } r ? clients[r] : clients[Roles.None];
                    using var response = await SendAsync(client, route, inScope, body: "{}");
                    var status = (int)response.StatusCode;
                    var detail = await DetailAsync(response);
                    cases++;
                    var key = $"{expected}->{status}";
                    seen[key] = seen.GetValueOrDefault(key) + 1;
                    if (!Meets(expected, status, detail))
                    {
                        failures.Add($"{route.Method} {route.Template} as {role?.ToString() ?? "anonymous"} ({(inScope ? "in" : "out of")} scope): expected {expected}, got {status} {detail}");
                    }
                }
            }
        }

        output.WriteLine($"authorization matrix: {ApiRoutes.All.Count} routes × {Grants.Count} roles + no token, in/out of scope: {cases} cases, {failures.Count} unexpected");
        output.WriteLine("expected->status: " + string.Join(", ", seen.Select(kv => $"{kv.Key} ×{kv.Value}")));
        foreach (var failure in failures)
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.DoesNotContain("Unhandled exception", host.Output, StringComparison.Ordinal);
    }

    internal static bool Meets(Expected expected, int status, string? detail) => expected switch
    {
        Expected.Allowed => status < 500 && status is not 401 and not 403 && !(status == 404 && detail is ApiGate.NotFoundDetail or LocalGate.NoSuchRoute),
        Expected.Unauthorized => status == 401,
        Expected.Forbidden => status == 403,
        _ => status == 404,
    };

    /// <summary>What the table says a call should get, derived from the route's callers, scope and scope parameter.</summary>
    internal static Expected Expect(ApiRoute route, Roles? role, bool inScope)
    {
        if (route.Scope == Scope.Anonymous)
        {
            return Expected.Allowed;
        }

        if (role is not { } r)
        {
            return Expected.Unauthorized;
        }

        if (!route.Callers.HasFlag(r))
        {
            return Expected.Forbidden;
        }

        if (r == Roles.PrivacyOfficer)
        {
            return Expected.Allowed;
        }

        if (route.Scope == Scope.Global)
        {
            return Expected.Forbidden;
        }

        if (route.ScopeParameter == ApiRoute.ScopeInBody)
        {
            return Expected.Allowed; // the handler checks the body's object
        }

        if (route.ScopeParameter is null || !inScope)
        {
            return Expected.NotFound;
        }

        var names = route.Parameters;
        var onResident = names.Contains("residentId") || names.Contains("subjectId") || names.Contains("requestId");
        var reaches = r switch
        {
            Roles.Resident => onResident || names.Contains("unitId"),
            Roles.AuthorizedAgent => onResident,
            Roles.PropertyManager => true,
            Roles.Device => !onResident && names.Contains("buildingId"),
            _ => false,
        };
        return reaches ? Expected.Allowed : Expected.NotFound;
    }

    /// <summary>Residents r-in (b-1, u-1) and r-out (b-2, u-2), registered by their buildings' managers; a client per role.</summary>
    internal static async Task<Dictionary<Roles, HttpClient>> SeedAsync(LocalHostProcess host)
    {
        foreach (var (id, building, unit) in new[] { ("r-in", "b-1", "u-1"), ("r-out", "b-2", "u-2") })
        {
            var manager = await host.ManagerAsync(building);
            using var put = await manager.PutAsJsonAsync($"residents/{id}", new { buildingId = building, unitId = unit, movedInAt = DateTimeOffset.UtcNow.AddYears(-1), email = $"{id}@matrix.test" }, ApiJson.Options);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        // A privacy request about each resident, submitted by the office: a request belongs to its subject.
        var ids = new List<string>();
        foreach (var id in new[] { "r-in", "r-out" })
        {
            using var submitted = await host.Http.PostAsJsonAsync("privacy-requests", new { type = "categories-shared", jurisdiction = "other", subject = new { residentId = id }, channel = "phone" }, ApiJson.Options);
            Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
            ids.Add(JsonDocument.Parse(await submitted.Content.ReadAsStringAsync()).RootElement.GetProperty("requestId").GetString()!);
        }

        lock (Objects)
        {
            Objects["requestId"] = (ids[0], ids[1]);
        }

        var clients = new Dictionary<Roles, HttpClient>();
        foreach (var (role, grant) in Grants)
        {
            clients[role] = await host.ClientAsync(grant);
        }

        clients[Roles.None] = await host.ClientAsync(new { role = "partner" });
        clients[Roles.None].DefaultRequestHeaders.Authorization = null;
        return clients;
    }

    internal static string PathOf(ApiRoute route, bool inScope, Func<string, string>? value = null) =>
        System.Text.RegularExpressions.Regex.Replace(route.Template, @"\{(\w+)[^}]*\}", m =>
        {
            var name = m.Groups[1].Value;
            if (value is not null)
            {
                return value(name);
            }

            return Objects.TryGetValue(name, out var o) ? (inScope ? o.In : o.Out) : "x-1";
        });

    internal static Task<HttpResponseMessage> SendAsync(HttpClient client, ApiRoute route, bool inScope, string? body, string? path = null)
    {
        var request = new HttpRequestMessage(new HttpMethod(route.Method), new Uri(path ?? PathOf(route, inScope), UriKind.Relative));
        if (body is not null && route.Method is "POST" or "PUT")
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return SendAndDisposeAsync(client, request);
    }

    private static async Task<HttpResponseMessage> SendAndDisposeAsync(HttpClient client, HttpRequestMessage request)
    {
        using (request)
        {
            return await client.SendAsync(request).ConfigureAwait(false);
        }
    }

    internal static async Task<string?> DetailAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            using var json = JsonDocument.Parse(text);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
