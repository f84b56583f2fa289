using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OneValet.Pipeline.Api;
using OneValet.Tests.Authorization;
using OneValet.Tests.EndToEnd;
using OneValet.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OneValet.Tests.Contract;

/// <summary>
/// One request, one meaning: against the real local host, a body or query value is read only as the contract spells it,
/// and any other spelling is a 400 problem (never a default, never "the last one wins", never a 500). The cases come from
/// the contract (<see cref="OpenApiDocument"/>: required lists, nullability, property names, the page size's pattern),
/// applied to a valid body of every route that takes one. Without the fix, a hold with no reason was placed as a
/// security-incident hold (O6), a door event with no method was stored as a face capture (O4), a disclosure with no
/// purpose was recorded as "service-provision" (O12), message choices with one field left out turned the other off (O16),
/// a field sent twice took its last value, <c>BuildingId</c> was read as <c>buildingId</c>, an enum's C# name and two names
/// joined by a comma were read (<c>"law-enforcement, property-management"</c> ORed into <c>energy-efficiency</c>; a request of
/// type <c>"access, deletion"</c> became a deletion), one list read "+5" as a page size that the others refused, and a
/// query time was read in any spelling .NET's lenient parser knows (<c>01/02/2026 00:00:00Z</c>: January 2).
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class RequestSpellingTests(ITestOutputHelper output)
{
    /// <summary>A value no body of a valid case carries: a problem that echoes it leaks what was sent.</summary>
    private const string Probe = "probe-value-7f3a";

    [Fact]
    public async Task A_body_is_read_only_as_the_contract_spells_it_and_a_query_number_only_as_its_pattern()
    {
        await AzuriteFixture.EnsureRunningAsync();
        await using var host = new LocalHostProcess("contract-spelling");
        await host.StartAsync();
        var clients = await AuthorizationMatrixTests.SeedAsync(host);
        var contract = OpenApiDocument.Build();
        var schemas = contract["components"]!["schemas"]!.AsObject();
        var failures = new List<string>();
        var sent = 0;

        foreach (var (route, role, valid) in MutationFuzzTests.ValidBodies)
        {
            var path = AuthorizationMatrixTests.PathOf(route, inScope: true);
            var schema = contract["paths"]![route.Path]![route.Method.ToLowerInvariant()]!["requestBody"]!["content"]!["application/json"]!["schema"]!;
            foreach (var (kind, body) in Spellings(JsonNode.Parse(valid)!, schema, schemas, []))
            {
                sent++;
                using var request = new HttpRequestMessage(new HttpMethod(route.Method), new Uri(path, UriKind.Relative)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                using var response = await clients[role].SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.BadRequest || response.Content.Headers.ContentType?.MediaType != "application/problem+json"
                    || text.Contains(Probe, StringComparison.Ordinal))
                {
                    failures.Add($"{route.Method} {route.Template} [{kind}]: {(int)response.StatusCode} {text[..Math.Min(text.Length, 200)]}");
                }
            }

            // Other media types than the contract's application/json (UTF-8): refused as such, 415.
            foreach (var contentType in new[] { "application/jsonp", "application/json-seq", "application/json; charset=utf-16", "application/json; charset=latin1", "text/json" })
            {
                sent++;
                using var request = new HttpRequestMessage(new HttpMethod(route.Method), new Uri(path, UriKind.Relative)) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(valid)) };
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
                using var response = await clients[role].SendAsync(request);
                if (response.StatusCode != HttpStatusCode.UnsupportedMediaType)
                {
                    failures.Add($"{route.Method} {route.Template} [Content-Type {contentType}]: {(int)response.StatusCode}");
                }
            }
        }

        // Page sizes: accepted exactly when the contract's pattern matches and the value is in the route's range.
        var officer = clients[Roles.PrivacyOfficer];
        var pattern = new System.Text.RegularExpressions.Regex(PageSizes.Pattern);
        foreach (var route in ApiRoutes.All.Where(r => r.Query.Contains("pageSize")))
        {
            var client = route.Callers.HasFlag(Roles.PrivacyOfficer) ? officer : clients[Roles.Resident];
            Assert.Equal(PageSizes.Pattern, contract["paths"]![route.Path]![route.Method.ToLowerInvariant()]!["parameters"]!.AsArray()
                .Single(p => p!["name"]!.GetValue<string>() == "pageSize")!["schema"]!["pattern"]!.GetValue<string>());
            var rest = route.Query.Contains("from") ? "&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z" : "";
            foreach (var size in new[] { "5", "05", "0005", "+5", "-5", " 5", "5 ", "5.0", "5e0", "0x5", "00005", "\u0665", "\uFF15", "5,6", "0", "" })
            {
                sent++;
                using var response = await client.GetAsync(new Uri($"{AuthorizationMatrixTests.PathOf(route, inScope: true)}?pageSize={Uri.EscapeDataString(size)}{rest}", UriKind.Relative));
                var expected = pattern.IsMatch(size) && int.Parse(size, System.Globalization.CultureInfo.InvariantCulture) >= 1 ? HttpStatusCode.OK : HttpStatusCode.BadRequest;
                if (response.StatusCode != expected)
                {
                    failures.Add($"GET {route.Template}?pageSize='{size}': {(int)response.StatusCode}, expected {(int)expected}");
                }
            }
        }

        // Times: an RFC 3339 date-time (the contract's format), nothing else .NET's lenient parser would also read.
        foreach (var route in ApiRoutes.All.Where(r => r.Query.Contains("from")))
        {
            var client = route.Callers.HasFlag(Roles.PrivacyOfficer) ? officer : clients[Roles.PropertyManager];
            foreach (var (from, ok) in new[]
            {
                ("2026-01-01T00:00:00Z", true), ("2026-01-01t00:00:00z", true), ("2026-01-01T00:00:00.5+00:00", true), ("2026-01-01T01:00:00+01:00", true),
                ("2026-01-01 00:00:00Z", false), (" 2026-01-01T00:00:00Z", false), ("01/01/2026 00:00:00Z", false), ("1 Jan 2026 00:00:00Z", false),
                ("2026-01-01T00:00Z", false), ("2026-01-01T00:00:00", false), ("Thu, 01 Jan 2026 00:00:00 +00:00", false), ("2026-01-01T00:00:00Z ", false),
            })
            {
                sent++;
                using var response = await client.GetAsync(new Uri($"{AuthorizationMatrixTests.PathOf(route, inScope: true)}?from={Uri.EscapeDataString(from)}&to=2026-01-02T00:00:00Z", UriKind.Relative));
                var expected = ok ? HttpStatusCode.OK : HttpStatusCode.BadRequest;
                if (response.StatusCode != expected)
                {
                    failures.Add($"GET {route.Template}?from='{from}': {(int)response.StatusCode}, expected {(int)expected}");
                }
            }
        }

        output.WriteLine($"spellings: {sent} requests, {failures.Count} failures");
        foreach (var failure in failures.Take(60))
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(60)));
        Assert.DoesNotContain("Unhandled exception", host.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Each field of the body (nested ones too) spelled otherwise than the contract allows: left out where it is required,
    /// null where it may not be, sent twice, named in another case.
    /// </summary>
    private static IEnumerable<(string Kind, string Body)> Spellings(JsonNode root, JsonNode schema, JsonObject schemas, string[] path)
    {
        var node = Locate(root, path);
        var resolved = Resolve(schema, schemas);
        if (node is JsonArray array && array.Count > 0 && resolved?["items"] is { } items)
        {
            foreach (var inner in Spellings(root, items, schemas, [.. path, "0"]))
            {
                yield return inner;
            }

            yield break;
        }

        if (node is not JsonObject obj || resolved is null)
        {
            yield break;
        }

        var required = resolved["required"]?.AsArray().Select(r => r!.GetValue<string>()).ToHashSet(StringComparer.Ordinal) ?? [];
        var properties = resolved["properties"]?.AsObject();
        foreach (var (key, value) in obj.ToList())
        {
            var where = string.Join('/', path.Append(key));
            if (required.Contains(key))
            {
                yield return ($"{where}:left-out", Change(root, path, o => o.Remove(key)));
            }

            if (properties?[key] is { } property && !MayBeNull(property, schemas))
            {
                yield return ($"{where}:null", Change(root, path, o => o[key] = null));
            }

            yield return ($"{where}:twice", Twice(root, path, key, JsonValue.Create(Probe)));
            yield return ($"{where}:twice-same", Twice(root, path, key, value?.DeepClone()));
            yield return ($"{where}:other-case", Change(root, path, o =>
            {
                var moved = o[key]?.DeepClone();
                o.Remove(key);
                o[char.ToUpperInvariant(key[0]) + key[1..]] = moved;
            }));
            yield return ($"{where}:upper-case", Change(root, path, o =>
            {
                var moved = o[key]?.DeepClone();
                o.Remove(key);
                o[key.ToUpperInvariant()] = moved;
            }));

            // An enum is one of the names the contract lists, as listed: not the C# name, another case, padded, or two joined.
            if (value is JsonValue && Resolve(properties?[key], schemas)?["enum"] is JsonArray listed
                && listed.OfType<JsonValue>().Where(n => n.GetValueKind() == JsonValueKind.String).Select(n => n.GetValue<string>()).ToList() is [var first, var second, ..])
            {
                var pascal = string.Concat(first.Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
                foreach (var other in new[] { pascal, first.ToUpperInvariant(), " " + first, first + " ", first + ", " + second, first + "," + second, "0" })
                {
                    yield return ($"{where}:enum '{other}'", Change(root, path, o => o[key] = other));
                }
            }

            if (value is JsonObject or JsonArray && properties?[key] is { } inner)
            {
                foreach (var nested in Spellings(root, inner, schemas, [.. path, key]))
                {
                    yield return nested;
                }
            }
        }
    }

    private static JsonNode? Resolve(JsonNode? schema, JsonObject schemas)
    {
        for (var i = 0; i < 8 && schema is JsonObject s; i++)
        {
            if (s["$ref"]?.GetValue<string>() is { } reference)
            {
                schema = schemas[reference["#/components/schemas/".Length..]];
            }
            else if ((s["anyOf"] ?? s["oneOf"]) is JsonArray options)
            {
                schema = options.FirstOrDefault(o => o?["type"]?.ToString() != "null");
            }
            else
            {
                return s;
            }
        }

        return schema;
    }

    private static bool MayBeNull(JsonNode schema, JsonObject schemas)
    {
        if ((schema["anyOf"] ?? schema["oneOf"]) is JsonArray options)
        {
            return options.Any(o => o is not null && MayBeNull(o, schemas));
        }

        var resolved = Resolve(schema, schemas);
        return resolved?["type"] switch
        {
            JsonArray types => types.Any(t => t?.GetValue<string>() == "null"),
            JsonValue type => type.GetValue<string>() == "null",
            _ => resolved?["enum"] is JsonArray values && values.Any(v => v is null),
        };
    }

    private static JsonNode Locate(JsonNode root, string[] path) =>
        path.Aggregate(root, (n, s) => n is JsonArray a ? a[int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)]! : n[s]!);

    private static string Change(JsonNode root, string[] path, Action<JsonObject> change)
    {
        var copy = root.DeepClone();
        change((JsonObject)Locate(copy, path));
        return copy.ToJsonString();
    }

    /// <summary>The body with the object at <paramref name="path"/> naming <paramref name="key"/> a second time, first.</summary>
    private static string Twice(JsonNode root, string[] path, string key, JsonNode? first)
    {
        const string Marker = "@@twice@@";
        var copy = root.DeepClone();
        var target = (JsonObject)Locate(copy, path);
        var text = "{" + JsonSerializer.Serialize(key) + ":" + (first?.ToJsonString() ?? "null") + "," + target.ToJsonString()[1..];
        if (path.Length == 0)
        {
            return text;
        }

        var parent = Locate(copy, path[..^1]);
        if (parent is JsonArray a)
        {
            a[int.Parse(path[^1], System.Globalization.CultureInfo.InvariantCulture)] = Marker;
        }
        else
        {
            parent[path[^1]] = Marker;
        }

        return copy.ToJsonString().Replace("\"" + Marker + "\"", text, StringComparison.Ordinal);
    }
}
