using System.Text.Json.Nodes;
using OneValet.Pipeline.Api;

namespace OneValet.Tests.Contract;

/// <summary>
/// Checks a served JSON body against the schema the document declares for its route and status: types, required members,
/// no undeclared members, enums, items, <c>$ref</c> and <c>allOf</c> (the subset of JSON Schema the generated document
/// uses; formats and patterns are not checked). Returns what does not conform.
/// </summary>
internal static class SchemaConformance
{
    /// <summary>The document the code produces (built once: it depends on the route table and the types only).</summary>
    public static readonly JsonObject Document = OpenApiDocument.Build();

    public static IReadOnlyList<string> Check(ApiRoute route, int status, string body)
    {
        var document = Document;
        var response = document["paths"]?[route.Path]?[route.Method.ToLowerInvariant()]?["responses"]?[status.ToString(System.Globalization.CultureInfo.InvariantCulture)]
            ?? throw new InvalidOperationException($"{route.Name} declares no {status} response.");
        var schema = response["content"]?["application/json"]?["schema"] ?? response["content"]?["application/problem+json"]?["schema"]
            ?? throw new InvalidOperationException($"{route.Name} {status} declares no body.");
        return Check(schema, body);
    }

    /// <summary>A body against a schema of <see cref="Document"/> (<c>$ref</c>s resolve there).</summary>
    public static IReadOnlyList<string> Check(JsonNode schema, string body)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var problems = new List<string>();
        Check(Document, schema, JsonNode.Parse(body), "$", problems);
        return problems;
    }

    private static void Check(JsonObject document, JsonNode schema, JsonNode? value, string path, List<string> problems)
    {
        if (schema["$ref"]?.GetValue<string>() is { } reference)
        {
            JsonNode? target = document;
            foreach (var segment in reference[2..].Split('/'))
            {
                target = target?[segment];
            }

            Check(document, target ?? throw new InvalidOperationException("unresolved " + reference), value, path, problems);
            return;
        }

        if (schema["allOf"] is JsonArray parts)
        {
            // Each part may declare only its own members: check types and required per part, undeclared members on the union.
            var declared = new HashSet<string>(StringComparer.Ordinal);
            foreach (var part in parts)
            {
                var resolved = Resolve(document, part!);
                foreach (var (name, _) in resolved["properties"] as JsonObject ?? [])
                {
                    declared.Add(name);
                }

                Check(document, WithoutClosure(resolved), value, path, problems);
            }

            foreach (var name in (value as JsonObject ?? []).Select(p => p.Key).Where(n => !declared.Contains(n)))
            {
                problems.Add($"{path}.{name}: not declared");
            }

            return;
        }

        var kind = value switch
        {
            null => "null",
            JsonObject => "object",
            JsonArray => "array",
            JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => "string",
            JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.Number => v.ToJsonString().Contains('.', StringComparison.Ordinal) ? "number" : "integer",
            _ => "boolean",
        };
        var types = schema["type"] switch
        {
            JsonArray many => many.Select(t => t!.GetValue<string>()).ToList(),
            JsonValue one => [one.GetValue<string>()],
            _ => null,
        };
        if (types is not null && !types.Contains(kind) && !(kind == "integer" && types.Contains("number")))
        {
            problems.Add($"{path}: {kind}, declared {string.Join("|", types)}");
            return;
        }

        if (schema["enum"] is JsonArray values && !values.Any(v => JsonNode.DeepEquals(v, value)))
        {
            problems.Add($"{path}: {value?.ToJsonString()} is not one of the enum's values");
        }

        if (value is JsonObject obj)
        {
            var properties = schema["properties"] as JsonObject ?? [];
            foreach (var name in (schema["required"] as JsonArray ?? []).Select(r => r!.GetValue<string>()).Where(r => !obj.ContainsKey(r)))
            {
                problems.Add($"{path}.{name}: required, missing");
            }

            foreach (var (name, member) in obj)
            {
                if (properties[name] is { } memberSchema)
                {
                    Check(document, memberSchema, member, $"{path}.{name}", problems);
                }
                else if (schema["additionalProperties"] is JsonValue open ? !open.GetValue<bool>() : schema["x-open"] is null && properties.Count > 0)
                {
                    problems.Add($"{path}.{name}: not declared");
                }
            }
        }
        else if (value is JsonArray array && schema["items"] is { } items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                Check(document, items, array[i], $"{path}[{i}]", problems);
            }
        }
    }

    private static JsonObject Resolve(JsonObject document, JsonNode schema)
    {
        if (schema["$ref"]?.GetValue<string>() is not { } reference)
        {
            return schema.AsObject();
        }

        JsonNode? target = document;
        foreach (var segment in reference[2..].Split('/'))
        {
            target = target?[segment];
        }

        return target!.AsObject();
    }

    /// <summary>The part with a marker that lets members of the other parts through.</summary>
    private static JsonObject WithoutClosure(JsonObject part)
    {
        var copy = part.DeepClone().AsObject();
        copy.Remove("additionalProperties");
        copy["x-open"] = true;
        return copy;
    }
}
