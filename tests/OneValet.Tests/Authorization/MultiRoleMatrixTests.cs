using System.Net.Http.Json;
using System.Text;
using OneValet.Local.Auth;
using OneValet.Pipeline.Api;
using OneValet.Tests.EndToEnd;
using OneValet.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static OneValet.Tests.Authorization.AuthorizationMatrixTests;

namespace OneValet.Tests.Authorization;

/// <summary>
/// The grown matrix (issue 13): every route × every role, every pair of roles and an unverified agent alone and paired ×
/// objects whose building, unit and subject vary independently (the right unit number in the wrong building, a neighbour
/// in the same building, a person in another building), with real bodies for the routes whose object is in the body, on
/// the real local host. Expectations come from the policy as README's "Who may do what" states it, role by role: a token
/// with several roles gets what one of its roles would get alone, never more.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class MultiRoleMatrixTests(ITestOutputHelper output)
{
    /// <summary>Who lives where (seeded through the API by each building's manager).</summary>
    private static readonly Dictionary<string, (string Building, string Unit)> Homes = new(StringComparer.Ordinal)
    {
        ["r-in"] = ("b-1", "u-1"),
        ["r-unit"] = ("b-1", "u-2"),
        ["r-bldg"] = ("b-2", "u-1"),
        ["r-out"] = ("b-2", "u-2"),
    };

    /// <summary>One role's part of a token: the claims that role brings.</summary>
    private sealed record Part(string Role, string? Subject = null, string[]? Buildings = null, string? Unit = null, string? Device = null, string[]? Doors = null, string? ActsFor = null, bool? Verified = null);

    private static readonly Part[] Parts =
    [
        new("resident", Subject: "r-in", Buildings: ["b-1"], Unit: "u-1"),
        new("authorized-agent", Subject: "agent-1", ActsFor: "r-unit", Verified: true),
        new("property-manager", Subject: "manager-1", Buildings: ["b-1"]),
        new("privacy-officer", Subject: "officer-1"),
        new("device", Device: "device-1", Buildings: ["b-1"], Doors: ["door-1"]),
        new("partner", Subject: "partner-1"),
    ];

    private static readonly Part UnverifiedAgent = new("authorized-agent", Subject: "agent-2", ActsFor: "r-unit", Verified: false);

    /// <summary>A token: its parts merged (the resident's subject wins, buildings are the union).</summary>
    private sealed record Token(string Name, Part[] Parts)
    {
        public Roles Roles => Parts.Aggregate(Roles.None, (r, p) => r | Pipeline.Api.Auth.AuthClaims.RoleNames[p.Role]);

        public string? Subject => Parts.FirstOrDefault(p => p.Role == "resident")?.Subject ?? Parts.Select(p => p.Subject).FirstOrDefault(s => s is not null);

        public string[] Buildings => [.. Parts.SelectMany(p => p.Buildings ?? []).Distinct()];

        public string? Unit => Parts.Select(p => p.Unit).FirstOrDefault(u => u is not null);

        public string? ActsFor => Parts.Select(p => p.ActsFor).FirstOrDefault(a => a is not null);

        public bool Verified => Parts.Any(p => p.Verified == true);

        public object Request => new
        {
            roles = Parts.Select(p => p.Role).ToArray(),
            subjectId = Subject,
            buildingIds = Buildings.Length > 0 ? Buildings : null,
            unitId = Unit,
            deviceId = Parts.Select(p => p.Device).FirstOrDefault(d => d is not null),
            doorIds = Parts.SelectMany(p => p.Doors ?? []).ToArray() is { Length: > 0 } doors ? doors : null,
            actsFor = ActsFor,
            verified = Verified,
        };
    }

    private static IEnumerable<Token> Tokens()
    {
        var parts = Parts.Append(UnverifiedAgent).ToArray();
        for (var i = 0; i < parts.Length; i++)
        {
            yield return new Token(Describe(parts[i]), [parts[i]]);
            for (var j = i + 1; j < parts.Length; j++)
            {
                if (parts[i].Role != parts[j].Role)
                {
                    yield return new Token(Describe(parts[i]) + "+" + Describe(parts[j]), [parts[i], parts[j]]);
                }
            }
        }

        static string Describe(Part p) => p.Verified == false ? "unverified-agent" : p.Role;
    }

    /// <summary>The object of a call: a person (their building and unit from where they live), a unit, or a building.</summary>
    private sealed record Target(string? Resident, string? Building, string? Unit)
    {
        public override string ToString() => Resident ?? (Unit is null ? Building! : Building + "/" + Unit);
    }

    private static IEnumerable<Target> TargetsOf(ApiRoute route)
    {
        var names = route.Parameters;
        if (names.Contains("residentId") || names.Contains("requestId"))
        {
            return Homes.Select(h => new Target(h.Key, h.Value.Building, h.Value.Unit));
        }

        if (names.Contains("unitId"))
        {
            return Homes.Values.Select(h => new Target(null, h.Building, h.Unit));
        }

        if (names.Contains("buildingId"))
        {
            return [new Target(null, "b-1", null), new Target(null, "b-2", null)];
        }

        return [new Target(null, null, null)];
    }

    /// <summary>What one role alone reaches, from the policy: a resident their own record and the unit they live in; an
    /// agent, once verified, the person it acts for; a manager the buildings of the grant (a person's building is where
    /// the person lives); a device its building, never a person's record; a partner nothing.</summary>
    private static bool Reaches(Roles role, Token token, Target target) => role switch
    {
        Roles.Resident => target.Resident is not null
            ? target.Resident == token.Subject
            : target.Unit is not null && token.Subject is { } self && Homes.TryGetValue(self, out var home) && home == (target.Building!, target.Unit),
        Roles.AuthorizedAgent => token.Verified && target.Resident is not null && target.Resident == token.ActsFor,
        Roles.PropertyManager => target.Building is not null && token.Buildings.Contains(target.Building),
        // A device's unit_id (a token's claims are shared by its roles) confines it to that unit.
        Roles.Device => target.Resident is null && target.Building is not null && token.Buildings.Contains(target.Building)
            && (token.Unit is null || target.Unit is null || target.Unit == token.Unit),
        _ => false,
    };

    private static Expected Expect(ApiRoute route, Token? token, Target target)
    {
        if (route.Scope == Scope.Anonymous)
        {
            return Expected.Allowed;
        }

        if (token is null)
        {
            return Expected.Unauthorized;
        }

        var usable = token.Roles & route.Callers;
        if (usable == Roles.None)
        {
            return Expected.Forbidden;
        }

        if (usable.HasFlag(Roles.PrivacyOfficer))
        {
            return Expected.Allowed;
        }

        if (route.Scope == Scope.Global)
        {
            return Expected.Forbidden;
        }

        if (route.ScopeParameter == ApiRoute.ScopeInBody)
        {
            // The object is in the body: the handler decides (checked with real bodies). An agent files a request before
            // it is verified: the request's own code verifies it (O10).
            return BodyReaches(route, usable, token, target) ? Expected.Allowed : Expected.NotFound;
        }

        if (usable == Roles.AuthorizedAgent && !token.Verified)
        {
            return Expected.Forbidden;
        }

        return Enum.GetValues<Roles>().Any(r => r != Roles.None && usable.HasFlag(r) && Reaches(r, token, target)) ? Expected.Allowed : Expected.NotFound;
    }

    /// <summary>Body routes: a privacy request's subject (the person themselves, or the one an agent acts for, verified or
    /// not: the request's own code verifies it); a disclosure's building (a person's building where they live).</summary>
    private static bool BodyReaches(ApiRoute route, Roles usable, Token token, Target target) => route == ApiRoutes.SubmitPrivacyRequest
        ? (usable.HasFlag(Roles.Resident) && target.Resident == token.Subject) || (usable.HasFlag(Roles.AuthorizedAgent) && target.Resident == token.ActsFor)
        : usable.HasFlag(Roles.PropertyManager) && target.Building is not null && token.Buildings.Contains(target.Building);

    private static IEnumerable<Target> BodyTargetsOf(ApiRoute route) => route == ApiRoutes.SubmitPrivacyRequest
        ? Homes.Select(h => new Target(h.Key, h.Value.Building, h.Value.Unit))
        : Homes.Select(h => new Target(h.Key, h.Value.Building, h.Value.Unit)).Concat([new Target(null, "b-1", null), new Target(null, "b-2", null)]);

    private static string BodyFor(ApiRoute route, Target target) => route == ApiRoutes.SubmitPrivacyRequest
        ? System.Text.Json.JsonSerializer.Serialize(new { type = "categories-shared", jurisdiction = "other", subject = new { residentId = target.Resident }, channel = "app" })
        : System.Text.Json.JsonSerializer.Serialize(new
        {
            subjectId = target.Resident,
            buildingId = target.Resident is null ? target.Building : null,
            dataCategories = new[] { "identifiers" },
            recipientCategory = "property-management",
            recipientName = "Building management company",
            purpose = "property-management",
            legalBasis = "lease contract",
        });

    [Fact]
    public async Task Every_route_answers_every_role_pair_of_roles_and_object_as_the_policy_says()
    {
        await AzuriteFixture.EnsureRunningAsync();
        await using var host = new LocalHostProcess("authz-multirole");
        await host.StartAsync();
        var requests = await SeedAsync(host);
        var tokens = Tokens().ToList();
        var clients = new Dictionary<string, HttpClient>(StringComparer.Ordinal);
        foreach (var token in tokens)
        {
            clients[token.Name] = await host.ClientAsync(token.Request);
        }

        using var anonymous = new HttpClient { BaseAddress = host.Http.BaseAddress };
        var cases = 0;
        var failures = new List<string>();
        var seen = new SortedDictionary<string, int>(StringComparer.Ordinal);
        // Move-out last: it changes what a resident reaches (a former resident has no unit any more).
        foreach (var route in ApiRoutes.All.OrderBy(r => r == ApiRoutes.MoveOut))
        {
            var inBody = route.ScopeParameter == ApiRoute.ScopeInBody && route.Scope != Scope.Global;
            foreach (var target in inBody ? BodyTargetsOf(route) : TargetsOf(route))
            {
                var path = PathOf(route, inScope: true, name => name switch
                {
                    "residentId" or "subjectId" => target.Resident!,
                    "requestId" => requests[target.Resident!],
                    "buildingId" => target.Building!,
                    "unitId" => target.Unit!,
                    _ => Objects.TryGetValue(name, out var o) ? o.In : "x-1",
                });
                var body = inBody ? BodyFor(route, target) : "{}";
                foreach (var token in tokens.Cast<Token?>().Append(null))
                {
                    var expected = Expect(route, token, target);
                    using var response = await SendAsync(token is null ? anonymous : clients[token.Name], route, inScope: true, body, path);
                    var status = (int)response.StatusCode;
                    var detail = await DetailAsync(response);
                    cases++;
                    seen[$"{expected}->{status}"] = seen.GetValueOrDefault($"{expected}->{status}") + 1;
                    var ok = Meets(expected, status, detail) && (!inBody || expected != Expected.Allowed || status is 201 or 202);
                    if (!ok)
                    {
                        failures.Add($"{route.Method} {path} as {token?.Name ?? "no token"} on {target}: expected {expected}, got {status} {detail}");
                    }
                }
            }
        }

        output.WriteLine($"multi-role matrix: {ApiRoutes.All.Count} routes × {tokens.Count} tokens ({Parts.Length} roles, their pairs, an unverified agent alone and paired) + no token × objects varied by building, unit and subject: {cases} cases, {failures.Count} unexpected, {seen.Where(kv => kv.Key.EndsWith("->500", StringComparison.Ordinal)).Sum(kv => kv.Value)} 5xx");
        output.WriteLine("expected->status: " + string.Join(", ", seen.Select(kv => $"{kv.Key} ×{kv.Value}")));
        foreach (var failure in failures.Take(200))
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} unexpected:\n" + string.Join('\n', failures.Take(50)));
        Assert.DoesNotContain("Unhandled exception", host.Output, StringComparison.Ordinal);
    }

    /// <summary>The four residents, through the API, and one privacy request about each (filed by the office).</summary>
    private static async Task<Dictionary<string, string>> SeedAsync(LocalHostProcess host)
    {
        foreach (var (id, (building, unit)) in Homes)
        {
            var manager = await host.ManagerAsync(building);
            using var put = await manager.PutAsJsonAsync($"residents/{id}", new { buildingId = building, unitId = unit, movedInAt = DateTimeOffset.UtcNow.AddYears(-1), email = $"{id}@matrix.test" }, ApiJson.Options);
            Assert.Equal(System.Net.HttpStatusCode.Created, put.StatusCode);
        }

        var requests = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in Homes.Keys)
        {
            using var submitted = await host.Http.PostAsJsonAsync("privacy-requests", new { type = "access", jurisdiction = "other", subject = new { residentId = id }, channel = "phone" }, ApiJson.Options);
            Assert.Equal(System.Net.HttpStatusCode.Accepted, submitted.StatusCode);
            requests[id] = System.Text.Json.JsonDocument.Parse(await submitted.Content.ReadAsStringAsync()).RootElement.GetProperty("requestId").GetString()!;
        }

        return requests;
    }
}
