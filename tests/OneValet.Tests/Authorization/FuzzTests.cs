using System.Net;
using System.Text;
using OneValet.Pipeline.Api;
using OneValet.Tests.EndToEnd;
using OneValet.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OneValet.Tests.Authorization;

/// <summary>
/// Hostile inputs on every route of the table, as a caller allowed on it (so the inputs reach the handlers), against the
/// real local host process: malformed JSON, bodies over 1 MiB (with and without a Content-Length), deep nesting, odd ids
/// in the path, odd dates and Unicode tricks in fields, card numbers in text. Never a 500, never a crash.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class FuzzTests(ITestOutputHelper output)
{
    private static readonly string[] OddIds =
    [
        "..%2F..%2Fetc%2Fpasswd", "%2E%2E", "a%00b", "%00", "r-%E2%80%AEni", "r%E2%80%8B-in", "%EF%BD%92-in" /* fullwidth r */,
        "r-%D1%96n" /* Cyrillic i */, new string('a', 300), "%F0%9F%92%A5", "A-UPPER", "-", "%20", "r-in%3Fx%3D1", "%25%25",
    ];

    private static readonly string[] OddDates =
    [
        "0000-00-00", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "-1", "1e99", "2026-11-26T25:61:61Z",
        "2026-11-26T00:00:00+99:00", "now", "",
    ];

    private static readonly string[] OddTexts =
    [
        "\u202Egnp.exe", "a\u200Bb\u200Cc\u200Dd\uFEFF", "\u0000", "\uD800", "\\u0000", "ＡＢＣ", "𝐚𝐛𝐜", new string('x', 100_000),
        "<script>alert(1)</script>", "' OR 1=1 --", "${jndi:ldap://x}", "{{7*7}}", "\r\n\r\nX-Injected: 1",
    ];

    private static readonly string[] CardTexts =
    [
        "4111 1111 1111 1111", "4111-1111-1111-1111", "card 5500000000000004 thanks", "３７８２８２２４６３１０００５", "4111\u200B1111\u200B1111\u200B1111",
        "6011 0009 9013 9424",
    ];

    [Fact]
    public async Task Hostile_inputs_on_every_route_never_answer_500_nor_crash_the_host()
    {
        await AzuriteFixture.EnsureRunningAsync();
        await using var host = new LocalHostProcess("authz-fuzz");
        await host.StartAsync();
        var clients = await AuthorizationMatrixTests.SeedAsync(host);

        var cases = new HashSet<string>(StringComparer.Ordinal);
        var inputs = 0;
        var failures = new List<string>();
        var cardRefusals = 0;

        foreach (var route in ApiRoutes.All)
        {
            var role = Enum.GetValues<Roles>().FirstOrDefault(r => r != Roles.None && route.Callers.HasFlag(r) && r != Roles.PrivacyOfficer);
            var client = route.Callers.HasFlag(Roles.PrivacyOfficer) || role == Roles.None ? clients[Roles.PrivacyOfficer] : clients[role];
            var readsBody = false;

            async Task TryAsync(string kind, HttpRequestMessage request)
            {
                cases.Add(route.Name + ":" + kind);
                inputs++;
                try
                {
                    using var response = await client.SendAsync(request);
                    if ((int)response.StatusCode >= 500)
                    {
                        failures.Add($"{route.Method} {route.Template} [{kind}] answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                    }

                    if (kind.StartsWith("card", StringComparison.Ordinal) && readsBody)
                    {
                        var body = await response.Content.ReadAsStringAsync();
                        if (response.StatusCode == HttpStatusCode.BadRequest && body.Contains("card-number-refused", StringComparison.Ordinal))
                        {
                            cardRefusals++;
                        }
                        else
                        {
                            failures.Add($"{route.Method} {route.Template} [{kind}] did not refuse a card number: {(int)response.StatusCode} {body}");
                        }
                    }
                }
                catch (HttpRequestException e) when (kind.StartsWith("huge", StringComparison.Ordinal))
                {
                    // The server may close the connection on an oversized body before reading it all: not a crash.
                    output.WriteLine($"{route.Template} [{kind}]: connection closed ({e.Message})");
                }
                finally
                {
                    request.Dispose();
                }
            }

            HttpRequestMessage Request(string path, string? body = null, string contentType = "application/json", bool chunked = false)
            {
                var request = new HttpRequestMessage(new HttpMethod(route.Method), new Uri(path, UriKind.Relative));
                if (body is not null && route.Method is "POST" or "PUT")
                {
                    request.Content = chunked
                        ? new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body)))
                        : new StringContent(body, Encoding.UTF8);
                    request.Content.Headers.ContentType = new(contentType);
                    if (chunked)
                    {
                        request.Headers.TransferEncodingChunked = true;
                    }
                }

                return request;
            }

            var inPath = AuthorizationMatrixTests.PathOf(route, inScope: true);

            // Odd ids in every path parameter.
            foreach (var parameter in route.Parameters)
            {
                foreach (var odd in OddIds)
                {
                    var path = AuthorizationMatrixTests.PathOf(route, true, name => name == parameter ? odd : AuthorizationMatrixTests.Objects.TryGetValue(name, out var o) ? o.In : "x-1");
                    await TryAsync("odd-id", Request(path, "{}"));
                }
            }

            // Odd query values.
            foreach (var name in route.Query)
            {
                foreach (var odd in OddDates.Concat(["-1", "99999999999999999999", "%%%", "0"]))
                {
                    await TryAsync("odd-query", Request($"{inPath}?{name}={Uri.EscapeDataString(odd)}"));
                }
            }

            if (route.Method is not ("POST" or "PUT"))
            {
                continue;
            }

            // Does the route read a body at all (an unknown field is refused)? Only then must it refuse card numbers.
            using (var probe = Request(inPath, "{\"unknownField\":1}"))
            using (var answer = await client.SendAsync(probe))
            {
                readsBody = answer.StatusCode == HttpStatusCode.BadRequest;
            }

            // Malformed JSON and wrong media types.
            foreach (var bad in new[] { "", "{", "}", "[", "nul", "null", "[]", "123", "\"x\"", "{\"a\":}", "{'a':1}", "{\"a\":1,}", "\u0000", "\uFEFF{}", "{\"a\":1}{\"b\":2}", "{\"buildingId\":{\"$ne\":null}}" })
            {
                await TryAsync("malformed", Request(inPath, bad));
            }

            await TryAsync("media-type", Request(inPath, "{}", "text/plain"));
            await TryAsync("media-type", Request(inPath, "<x/>", "application/xml"));

            // Huge bodies, with and without a Content-Length.
            var huge = "{\"note\":\"" + new string('a', (int)RequestBody.MaxBytes + 10) + "\"}";
            await TryAsync("huge", Request(inPath, huge));
            await TryAsync("huge-chunked", Request(inPath, huge, chunked: true));

            // Deep nesting: just over the limit, and far over it.
            foreach (var depth in new[] { 17, 64, 10_000 })
            {
                await TryAsync("deep", Request(inPath, new string('[', depth) + new string(']', depth)));
                await TryAsync("deep", Request(inPath, string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth)));
            }

            // Known fields with odd dates, odd texts, wrong types; and card numbers in text.
            foreach (var field in new[] { "buildingId", "unitId", "email", "name", "note", "owner", "policyVersion", "setting", "value", "description", "recipientName", "legalBasis" })
            {
                foreach (var text in OddTexts)
                {
                    await TryAsync("odd-text", Request(inPath, $"{{\"{field}\":{System.Text.Json.JsonSerializer.Serialize(text)}}}"));
                }

                await TryAsync("wrong-type", Request(inPath, $"{{\"{field}\":12}}"));
                await TryAsync("wrong-type", Request(inPath, $"{{\"{field}\":[\"a\"]}}"));
            }

            foreach (var field in new[] { "movedInAt", "movedOutAt", "at", "reviewBy", "discoveredAt", "windowFrom", "windowTo", "disclosedAt" })
            {
                foreach (var date in OddDates)
                {
                    await TryAsync("odd-date", Request(inPath, $"{{\"{field}\":{System.Text.Json.JsonSerializer.Serialize(date)}}}"));
                }
            }

            foreach (var card in CardTexts)
            {
                await TryAsync("card", Request(inPath, $"{{\"note\":{System.Text.Json.JsonSerializer.Serialize(card)}}}"));
                await TryAsync("card-nested", Request(inPath, $"{{\"events\":[{{\"eventId\":\"e-1\",\"subjectId\":{System.Text.Json.JsonSerializer.Serialize(card)}}}]}}"));
            }
        }

        using var health = await host.Http.GetAsync(new Uri("health", UriKind.Relative));
        output.WriteLine($"fuzz: {ApiRoutes.All.Count} routes, {cases.Count} cases (route × kind of input), {inputs} inputs sent, {cardRefusals} card numbers refused, {failures.Count} failures; host {(health.IsSuccessStatusCode ? "alive" : "DOWN")}");
        foreach (var failure in failures.Take(50))
        {
            output.WriteLine(failure);
        }

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(50)));
        Assert.DoesNotContain("Unhandled exception", host.Output, StringComparison.Ordinal);
    }
}
