using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using OneValet.Local.Auth;
using OneValet.Pipeline.Api;
using OneValet.Tests.EndToEnd;
using OneValet.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static OneValet.Tests.Authorization.AuthorizationMatrixTests;

namespace OneValet.Tests.Authorization;

/// <summary>
/// No way around the gate by spelling (issue 13): every route of the table, and paths under /api that are no route, sent
/// raw (no client-side canonicalization) in other cases, with doubled, encoded, double-encoded and back slashes, dot
/// segments, a trailing slash, path parameters, full-width letters. Without a token a spelling gets 401 (the gate ran) or
/// the gate's "No such route." 404, never a handler's answer; with the officer's token it gets what the canonical path
/// gets, or that 404. Never a 5xx.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class PathSpellingTests(ITestOutputHelper output)
{
    /// <summary>Ways to spell "/api/{rest}" (rest without a leading slash).</summary>
    private static readonly (string Name, Func<string, string> Spell)[] Spellings =
    [
        ("upper prefix", rest => "/API/" + rest),
        ("mixed case", rest => "/Api/" + rest),
        ("all upper", rest => "/API/" + rest),
        ("trailing slash", rest => "/api/" + rest + "/"),
        ("leading double slash", rest => "//api/" + rest),
        ("inner double slash", rest => "/api//" + rest),
        ("encoded slash", rest => "/api%2F" + rest),
        ("encoded slashes inside", rest => "/api/" + rest.Replace("/", "%2F", StringComparison.Ordinal)),
        ("double-encoded slash", rest => "/api%252F" + rest),
        ("encoded letter", rest => "/%61pi/" + rest),
        ("encoded upper letter", rest => "/%41PI/" + rest),
        ("dot segment", rest => "/api/./" + rest),
        ("dot-dot segment", rest => "/x/../api/" + rest),
        ("encoded dot-dot", rest => "/x/%2E%2E/api/" + rest),
        ("backslashes", rest => "/api\\" + rest.Replace("/", "\\", StringComparison.Ordinal)),
        ("path parameter", rest => "/api;x=1/" + rest),
        ("trailing dot", rest => "/api./" + rest),
        ("full-width API", rest => "/\uFF21\uFF30\uFF29/" + rest),
        ("trailing dot segment", rest => "/API/" + rest + "/."),
    ];

    /// <summary>The route's path with its literal segments in capitals (ids keep their spelling: they are case-sensitive,
    /// and another spelling names another object).</summary>
    private static string UpperLiterals(ApiRoute route) =>
        PathOf(route with { Template = Regex.Replace(route.Template, "(^|/)([^/{]+)", m => m.Groups[1].Value + m.Groups[2].Value.ToUpperInvariant()) }, inScope: true);

    /// <summary>Refused before any handler: the gate's 401, its "No such route." 404, or the server's own 400 for a
    /// request line it will not parse (raw non-ASCII), with no body.</summary>
    private static async Task<bool> RefusedAsync(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.Unauthorized
        || (response.StatusCode == HttpStatusCode.NotFound && await DetailAsync(response) == LocalGate.NoSuchRoute)
        || (response.StatusCode == HttpStatusCode.BadRequest && (await response.Content.ReadAsStringAsync()).Length == 0);

    [Fact]
    public async Task No_spelling_of_a_path_reaches_a_handler_without_the_gate()
    {
        await AzuriteFixture.EnsureRunningAsync();
        await using var host = new LocalHostProcess("authz-spelling");
        await host.StartAsync();
        var clients = await SeedAsync(host);
        var officer = clients[Roles.PrivacyOfficer];
        using var anonymous = new HttpClient();

        var cases = 0;
        var failures = new List<string>();
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var routes = ApiRoutes.All.Where(r => r.Scope != Scope.Anonymous).OrderBy(r => r == ApiRoutes.MoveOut).ToList();
        foreach (var route in routes)
        {
            var rest = PathOf(route, inScope: true);
            var upper = UpperLiterals(route);
            using var canonical = await SendRawAsync(officer, host, route.Method, "/api/" + rest);
            var canonicalStatus = (int)canonical.StatusCode;
            foreach (var (name, spell) in Spellings)
            {
                var path = name is "mixed case" or "all upper" ? spell(upper) : spell(rest);
                using var plain = await SendRawAsync(anonymous, host, route.Method, path);
                var plainDetail = await DetailAsync(plain);
                using var asOfficer = await SendRawAsync(officer, host, route.Method, path);
                var officerDetail = await DetailAsync(asOfficer);
                cases += 2;
                var refused = await RefusedAsync(plain);

                // The officer reaches everything: a spelling that routes gets the handler's answer (which may differ from
                // the canonical call's as the object's state moves: a verification locked out by earlier attempts), one
                // that does not is refused. Never a 5xx, never the gate's 401/403.
                var officerOk = (int)asOfficer.StatusCode == canonicalStatus || await RefusedAsync(asOfficer)
                    || ((int)asOfficer.StatusCode < 500 && asOfficer.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden));
                outcomes[$"{name}: {(int)plain.StatusCode}/{(int)asOfficer.StatusCode}"] = outcomes.GetValueOrDefault($"{name}: {(int)plain.StatusCode}/{(int)asOfficer.StatusCode}") + 1;
                if (!refused || !officerOk || (int)asOfficer.StatusCode >= 500)
                {
                    failures.Add($"{route.Method} {path} ({name}): no token {(int)plain.StatusCode} {plainDetail}; officer {(int)asOfficer.StatusCode} {officerDetail} (canonical {canonicalStatus})");
                }
            }
        }

        // Paths under /api that are no route of the table, in any spelling: refused, whatever the token.
        foreach (var rest in new[] { "nothing", "dev/tokens/x", "holds/x-1/y", "", "admin", "durable/instances" })
        {
            foreach (var (name, spell) in Spellings)
            {
                foreach (var method in new[] { "GET", "POST", "DELETE" })
                {
                    using var response = await SendRawAsync(officer, host, method, spell(rest));
                    cases++;
                    var status = (int)response.StatusCode;
                    if (!await RefusedAsync(response) && status != 405)
                    {
                        failures.Add($"{method} {spell(rest)} ({name}): {status} {await DetailAsync(response)}");
                    }
                }
            }
        }

        output.WriteLine($"path spellings: {routes.Count} routes × {Spellings.Length} spellings × (no token, officer) + 6 non-routes × {Spellings.Length} × 3 methods: {cases} cases, {failures.Count} unexpected");
        output.WriteLine(string.Join(", ", outcomes.Select(kv => $"{kv.Key} ×{kv.Value}")));
        foreach (var failure in failures.Take(100))
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(40)));
        Assert.DoesNotContain("Unhandled exception", host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_local_host_answers_loopback_names_only_and_gives_dev_tokens_to_this_machine_only()
    {
        await AzuriteFixture.EnsureRunningAsync();
        await using var host = new LocalHostProcess("authz-loopback");
        await host.StartAsync();

        // DNS rebinding: a page of another site resolving its name to 127.0.0.1 still sends its own Host.
        foreach (var hostName in new[] { "evil.example", "127.0.0.1.nip.io", "10.0.0.5", "" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"http://127.0.0.1:{host.Port}/api/dev/tokens"))
            {
                Content = new StringContent("{\"role\":\"privacy-officer\"}", Encoding.UTF8, "application/json"),
            };
            request.Headers.Host = hostName.Length == 0 ? null : hostName;
            if (hostName.Length == 0)
            {
                continue; // HttpClient always sends one; an empty Host is covered by AllowEmptyHosts = false
            }

            using var client = new HttpClient();
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.DoesNotContain("token", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

            using var health = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{host.Port}/api/health"));
            health.Headers.Host = hostName;
            using var refused = await client.SendAsync(health);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        foreach (var hostName in new[] { "localhost", "127.0.0.1", $"localhost:{host.Port}" })
        {
            using var client = new HttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"http://127.0.0.1:{host.Port}/api/dev/tokens"))
            {
                Content = new StringContent("{\"roles\":[\"resident\",\"authorized-agent\"],\"subjectId\":\"r-1\",\"actsFor\":\"r-2\"}", Encoding.UTF8, "application/json"),
            };
            request.Headers.Host = hostName;
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The data folder (signing key, records, ledger) is its owner's alone.
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(host.DataDirectory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(host.DataDirectory, "dev-token-key")));
    }

    [Theory]
    [InlineData("http://0.0.0.0:{port}")]
    [InlineData("http://*:{port}")]
    [InlineData("http://192.0.2.10:{port}")]
    [InlineData("http://example.com:{port}")]
    public async Task The_local_host_refuses_to_listen_beyond_loopback_unless_told(string url)
    {
        await AzuriteFixture.EnsureRunningAsync();
        await using var host = new LocalHostProcess("authz-bind", new Dictionary<string, string> { ["urls"] = url });
        var failure = await Assert.ThrowsAnyAsync<Exception>(host.StartAsync);
        Assert.Contains("loopback", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Allowed_to_listen_beyond_loopback_the_host_issues_no_dev_tokens()
    {
        await AzuriteFixture.EnsureRunningAsync();
        await using var host = new LocalHostProcess("authz-remote", new Dictionary<string, string>
        {
            ["urls"] = "http://0.0.0.0:{port}",
            ["Local:AllowRemote"] = "true",
        });
        var failure = await Assert.ThrowsAnyAsync<Exception>(host.StartAsync); // the harness asks for a dev token, and none is issued
        Assert.Contains("token", failure.Message, StringComparison.OrdinalIgnoreCase);
        var port = host.Port;
        using var client = new HttpClient();
        using var tokens = await client.PostAsync(new Uri($"http://127.0.0.1:{port}/api/dev/tokens"), new StringContent("{\"role\":\"privacy-officer\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, tokens.StatusCode);
        using var health = await client.GetAsync(new Uri($"http://127.0.0.1:{port}/api/health"));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    private static async Task<HttpResponseMessage> SendRawAsync(HttpClient client, LocalHostProcess host, string method, string rawPath)
    {
        var uri = new Uri($"http://127.0.0.1:{host.Port}{rawPath}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var request = new HttpRequestMessage(new HttpMethod(method), uri);
        if (method is "POST" or "PUT")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        return await client.SendAsync(request).ConfigureAwait(false);
    }
}
