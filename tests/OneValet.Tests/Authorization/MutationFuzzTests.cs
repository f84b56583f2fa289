using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using OneValet.Local.Auth;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Api.Auth;
using OneValet.Tests.EndToEnd;
using OneValet.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OneValet.Tests.Authorization;

/// <summary>
/// Fuzzing from valid inputs (issue 13): for each route that takes a body, a body the handler accepts, mutated one field
/// at a time (removed, null, empty, other JSON types, huge, odd Unicode, odd dates and numbers, reserved and odd ids, the
/// field twice, its name in another case, an unknown sibling), nested fields included; then the headers (Authorization,
/// Host, Content-Type) and the development token endpoint. Every answer is a 2xx or a 4xx problem, never a 5xx, and the
/// host stays up. Counts how many inputs got past the gate and the body parser into the handler's own validation.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class MutationFuzzTests(ITestOutputHelper output)
{
    private static readonly string Now = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O");
    private static readonly string Later = DateTimeOffset.UtcNow.AddDays(30).ToString("O");

    /// <summary>A valid body per route, and the role that sends it (in scope of the seeded objects).</summary>
    internal static readonly (ApiRoute Route, Roles Role, string Body)[] ValidBodies =
    [
        (ApiRoutes.PutResident, Roles.PropertyManager, $$"""{"buildingId":"b-1","unitId":"u-1","movedInAt":"2025-01-01T00:00:00Z","email":"r-in@matrix.test","name":"Ada Lovelace","phone":"+1 212 555 0100","jurisdiction":"new-york"}"""),
        (ApiRoutes.GiveFacialEntryConsent, Roles.Resident, """{"policyVersion":"2022-06-29"}"""),
        (ApiRoutes.PutMessagePreferences, Roles.Resident, """{"informational":true,"offers":false}"""),
        (ApiRoutes.PostDoorEvents, Roles.Device, $$"""{"events":[{"eventId":"e-1","doorId":"door-1","method":"fob","subjectId":"r-in","at":"{{Now}}","granted":true}]}"""),
        (ApiRoutes.PlaceHold, Roles.PrivacyOfficer, $$"""{"reason":"security-incident","scope":{"subjectId":"r-in"},"owner":"office@matrix.test","reviewBy":"{{Later}}","note":"case 17"}"""),
        (ApiRoutes.RecordDisclosure, Roles.PropertyManager, """{"buildingId":"b-1","dataCategories":["identifiers"],"recipientCategory":"property-management","recipientName":"Management company","purpose":"property-management","legalBasis":"lease contract"}"""),
        (ApiRoutes.ChangeUnitSetting, Roles.Resident, """{"setting":"thermostat-setpoint","value":"21"}"""),
        (ApiRoutes.SubmitPrivacyRequest, Roles.Resident, """{"type":"access","jurisdiction":"new-york","subject":{"residentId":"r-in"},"channel":"app"}"""),
        (ApiRoutes.VerifyPrivacyRequest, Roles.PrivacyOfficer, """{"code":"123456"}"""),
        (ApiRoutes.ExtendPrivacyRequest, Roles.PrivacyOfficer, """{"reason":"The footage must be redacted first."}"""),
        (ApiRoutes.ResolveCorrection, Roles.PrivacyOfficer, """{"outcome":"declined","note":"The record is correct."}"""),
        (ApiRoutes.MoveOut, Roles.PropertyManager, $$"""{"movedOutAt":"{{Now}}"}"""),
    ];

    private static readonly string[] OddStrings =
    [
        "", " ", "\u0000", "\u202Egnp.exe", "a\u200Bb", "ＡＢＣ", "𝐚𝐛𝐜", "\uD83D\uDCA5", new string('x', 70_000), "open", "subject-r-in", "R-IN", "r-in ", "r-%2F",
        "../../etc/passwd", "${jndi:ldap://x}", "\r\nX-Injected: 1", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "-1", "1e400",
    ];

    private static readonly JsonNode?[] OddValues =
    [
        null, JsonValue.Create(0), JsonValue.Create(-1), JsonValue.Create(long.MaxValue), JsonValue.Create(1.5e300), JsonValue.Create(true),
        new JsonArray(), new JsonArray("a", "b"), new JsonObject(), new JsonObject { ["x"] = 1 },
    ];

    [Fact]
    public async Task Valid_bodies_mutated_one_field_at_a_time_and_odd_headers_never_answer_500()
    {
        await AzuriteFixture.EnsureRunningAsync();
        await using var host = new LocalHostProcess("authz-mutation");
        await host.StartAsync();
        var clients = await AuthorizationMatrixTests.SeedAsync(host);

        var sent = 0;
        var deeper = 0;
        var failures = new List<string>();

        async Task SendAsync(string kind, HttpClient client, HttpRequestMessage request)
        {
            sent++;
            using (request)
            {
                using var response = await client.SendAsync(request);
                var status = (int)response.StatusCode;
                var detail = await AuthorizationMatrixTests.DetailAsync(response);
                if (status >= 500)
                {
                    failures.Add($"{request.Method} {request.RequestUri} [{kind}]: {status} {detail}");
                }
                else if (status < 300 || !(IsGate(status, detail) || IsParser(detail)))
                {
                    deeper++;
                }
            }
        }

        foreach (var (route, role, valid) in ValidBodies)
        {
            var client = clients[role];
            var path = AuthorizationMatrixTests.PathOf(route, inScope: true);

            // The valid body first: it must pass (a fuzzer that never reaches the handler proves nothing).
            using (var first = Json(route, path, valid))
            using (var accepted = await client.SendAsync(first))
            {
                Assert.True((int)accepted.StatusCode < 300 || route == ApiRoutes.VerifyPrivacyRequest || route == ApiRoutes.ResolveCorrection || route == ApiRoutes.ExtendPrivacyRequest,
                    $"{route.Name}: the valid body answered {(int)accepted.StatusCode} {await accepted.Content.ReadAsStringAsync()}");
            }

            foreach (var (kind, body) in Mutations(JsonNode.Parse(valid)!))
            {
                await SendAsync(route.Name + ":" + kind, client, Json(route, path, body));
            }

            // Content types: what the parser must refuse cleanly.
            foreach (var contentType in new[] { "text/plain", "application/json; charset=utf-16", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json, text/plain", "application/json; charset=\"" + new string('x', 2000) + "\"" })
            {
                var request = new HttpRequestMessage(new HttpMethod(route.Method), new Uri(path, UriKind.Relative)) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(valid)) };
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
                await SendAsync(route.Name + ":content-type", client, request);
            }

            var noType = new HttpRequestMessage(new HttpMethod(route.Method), new Uri(path, UriKind.Relative)) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(valid)) };
            await SendAsync(route.Name + ":no-content-type", client, noType);
        }

        // Authorization headers: other spellings of the scheme, broken and forged tokens, two headers.
        var good = clients[Roles.PrivacyOfficer].DefaultRequestHeaders.Authorization!.Parameter!;
        var parts = good.Split('.');
        var unsigned = Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + parts[1] + ".";
        var otherKey = parts[0] + "." + parts[1] + "." + Base64Url("not the signature");
        var swappedAlg = Base64Url("{\"alg\":\"RS256\",\"typ\":\"JWT\"}") + "." + parts[1] + "." + parts[2];
        using var raw = new HttpClient { BaseAddress = host.Http.BaseAddress };
        var authorizations = new List<string?>
        {
            null, "", "Bearer", "Bearer ", "bearer " + good, "BEARER " + good, "Bearer  " + good, "Bearer " + good + " ", "Bearer " + good + "x",
            "Bearer " + unsigned, "Bearer " + otherKey, "Bearer " + swappedAlg, "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("officer:secret")),
            "Bearer " + new string('a', 20_000), "Bearer " + good + ", Bearer " + good, "Token " + good, "Bearer\t" + good, "Bearer " + parts[0] + "." + parts[1],
        };
        var gateOnly = 0;
        foreach (var authorization in authorizations)
        {
            foreach (var route in new[] { ApiRoutes.ListHolds, ApiRoutes.GetResident, ApiRoutes.PlaceHold })
            {
                var request = new HttpRequestMessage(new HttpMethod(route.Method), new Uri(AuthorizationMatrixTests.PathOf(route, true), UriKind.Relative));
                if (authorization is not null)
                {
                    request.Headers.TryAddWithoutValidation("Authorization", authorization);
                }

                if (route.Method == "POST")
                {
                    request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                }

                using (request)
                {
                    sent++;
                    using var response = await raw.SendAsync(request);
                    var status = (int)response.StatusCode;
                    var forged = authorization is not null && (authorization.Contains(unsigned, StringComparison.Ordinal) || authorization.Contains(otherKey, StringComparison.Ordinal) || authorization.Contains(swappedAlg, StringComparison.Ordinal));
                    if (status >= 500 || (forged && status != 401))
                    {
                        failures.Add($"{route.Name} with Authorization '{authorization?[..Math.Min(authorization.Length, 40)]}': {status}");
                    }

                    if (status == 401)
                    {
                        gateOnly++;
                    }
                }
            }
        }

        // Host headers: only loopback names are answered (DNS rebinding).
        foreach (var hostHeader in new[] { "evil.example", "localhost.evil.example", "127.0.0.1.evil", "[::2]", "0", "localhost:1", "LOCALHOST", "127.000.000.001" })
        {
            var request = new HttpRequestMessage(HttpMethod.Get, new Uri("holds", UriKind.Relative));
            request.Headers.Host = hostHeader;
            sent++;
            using (request)
            using (var response = await clients[Roles.PrivacyOfficer].SendAsync(request))
            {
                var loopbackName = hostHeader.StartsWith("localhost", StringComparison.OrdinalIgnoreCase) && !hostHeader.Contains("evil", StringComparison.Ordinal);
                if ((int)response.StatusCode >= 500 || (!loopbackName && response.StatusCode != HttpStatusCode.BadRequest))
                {
                    failures.Add($"Host '{hostHeader}': {(int)response.StatusCode}");
                }
            }
        }

        // The development token endpoint.
        foreach (var (kind, body) in Mutations(JsonNode.Parse("""{"roles":["resident","authorized-agent"],"subjectId":"r-in","buildingIds":["b-1"],"unitId":"u-1","actsFor":"r-out","verified":false}""")!)
            .Concat([("roles-many", """{"roles":["resident","resident","device","partner","privacy-officer","property-manager","authorized-agent","x"]}"""), ("role-unknown", """{"role":"admin"}"""), ("role-case", """{"role":"Privacy-Officer"}""")]))
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri("dev/tokens", UriKind.Relative)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            sent++;
            using (request)
            using (var response = await raw.SendAsync(request))
            {
                if ((int)response.StatusCode >= 500)
                {
                    failures.Add($"dev/tokens [{kind}]: {(int)response.StatusCode}");
                }

                if (kind is "role-unknown" or "role-case" or "roles-many" && response.StatusCode != HttpStatusCode.BadRequest)
                {
                    failures.Add($"dev/tokens [{kind}] issued a token: {(int)response.StatusCode}");
                }
            }
        }

        using var health = await host.Http.GetAsync(new Uri("health", UriKind.Relative));
        output.WriteLine($"mutation fuzz: {ValidBodies.Length} routes from valid bodies, {authorizations.Count} Authorization spellings, 8 Host headers, the dev token endpoint: {sent} inputs, {deeper} reached the handlers' own validation, {gateOnly} stopped at the gate as unauthenticated, {failures.Count} failures; host {(health.IsSuccessStatusCode ? "alive" : "DOWN")}");
        foreach (var failure in failures.Take(50))
        {
            output.WriteLine(failure);
        }

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(50)));
        Assert.True(deeper > sent / 4, $"only {deeper} of {sent} inputs reached the handlers");
        Assert.DoesNotContain("Unhandled exception", host.Output, StringComparison.Ordinal);
    }

    /// <summary>Each field of the body (nested ones too), changed one at a time.</summary>
    private static IEnumerable<(string Kind, string Body)> Mutations(JsonNode valid)
    {
        foreach (var (path, parent, key) in Fields(valid))
        {
            string With(Action<JsonNode> change)
            {
                var copy = valid.DeepClone();
                change(Locate(copy, path));
                return copy.ToJsonString();
            }

            yield return ($"{key}:removed", With(p => (p as JsonObject)?.Remove(key)));
            foreach (var odd in OddValues)
            {
                yield return ($"{key}:{odd?.GetValueKind().ToString() ?? "null"}", With(p => Set(p, key, odd?.DeepClone())));
            }

            foreach (var text in OddStrings)
            {
                yield return ($"{key}:odd-text", With(p => Set(p, key, JsonValue.Create(text))));
            }

            if (parent is JsonObject)
            {
                yield return ($"{key}:renamed-case", With(p =>
                {
                    var o = (JsonObject)p;
                    var value = o[key]?.DeepClone();
                    o.Remove(key);
                    o[char.ToUpperInvariant(key[0]) + key[1..]] = value;
                }));
                yield return ($"{key}:twice", With(p => { }).Replace("{", "{\"" + key + "\":\"x\",", StringComparison.Ordinal));
                yield return ($"{key}:sibling", With(p => ((JsonObject)p)["unexpected"] = 1));
            }
        }
    }

    private static IEnumerable<(string Path, JsonNode Parent, string Key)> Fields(JsonNode node, string path = "")
    {
        if (node is JsonObject o)
        {
            foreach (var (key, value) in o.ToList())
            {
                yield return (path, o, key);
                if (value is JsonObject or JsonArray)
                {
                    foreach (var inner in Fields(value, path + "/" + key))
                    {
                        yield return inner;
                    }
                }
            }
        }
        else if (node is JsonArray a && a.Count > 0 && a[0] is JsonObject first)
        {
            foreach (var inner in Fields(first, path + "/0"))
            {
                yield return inner;
            }
        }
    }

    private static JsonNode Locate(JsonNode root, string path) =>
        path.Split('/', StringSplitOptions.RemoveEmptyEntries).Aggregate(root, (n, s) => n is JsonArray a ? a[int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)]! : n[s]!);

    private static void Set(JsonNode parent, string key, JsonNode? value)
    {
        if (parent is JsonObject o)
        {
            o[key] = value;
        }
    }

    private static HttpRequestMessage Json(ApiRoute route, string path, string body) =>
        new(new HttpMethod(route.Method), new Uri(path, UriKind.Relative)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    private static bool IsGate(int status, string? detail) =>
        status is 401 or 403 or 429 || (status == 404 && detail is ApiGate.NotFoundDetail or LocalGate.NoSuchRoute);

    private static bool IsParser(string? detail) =>
        detail is not null && (detail.StartsWith("The body", StringComparison.Ordinal) || detail.StartsWith("Send the body", StringComparison.Ordinal)
            || detail.StartsWith("A text field carries", StringComparison.Ordinal));

    private static string Base64Url(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
