using System.Globalization;
using System.Text.Json.Nodes;

namespace OneValet.Tests.Contract;

/// <summary>
/// Compares an OpenAPI document with the last released one and lists the changes that break a client built on the
/// released one (issue 20): a removed operation or success response, a removed response field, a new required request
/// field or parameter, a narrowed enum, a changed type. What is added (routes, optional fields, response fields, enum
/// values a request may send) is not breaking.
/// </summary>
internal static class OpenApiCompatibility
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch", "head", "options"];

    /// <summary>Null when the current document may be published as it is; else why not.</summary>
    public static string? Verdict(JsonObject released, JsonObject current)
    {
        var releasedVersion = Major(released);
        var currentVersion = Major(current);
        if (currentVersion < releasedVersion)
        {
            return $"info.version went back from major {releasedVersion} to {currentVersion}.";
        }

        var breaking = BreakingChanges(released, current);
        return breaking.Count == 0 || currentVersion > releasedVersion
            ? null
            : $"Breaking changes without a new major version (released {released["info"]?["version"]}, now {current["info"]?["version"]}):\n  " + string.Join("\n  ", breaking);
    }

    public static int Major(JsonObject document)
    {
        var version = document["info"]?["version"]?.GetValue<string>() ?? throw new ArgumentException("info.version is missing.", nameof(document));
        return int.Parse(version.Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture);
    }

    public static IReadOnlyList<string> BreakingChanges(JsonObject released, JsonObject current)
    {
        var found = new List<string>();
        foreach (var (path, releasedItem) in released["paths"]?.AsObject() ?? [])
        {
            foreach (var method in Methods)
            {
                if (releasedItem?[method] is not JsonObject before)
                {
                    continue;
                }

                var where = $"{method.ToUpperInvariant()} {path}";
                if (current["paths"]?[path]?[method] is not JsonObject after)
                {
                    found.Add($"{where}: operation removed");
                    continue;
                }

                CompareParameters(where, before, after, found);
                CompareRequest(where, released, before, current, after, found);
                CompareResponses(where, released, before, current, after, found);
            }
        }

        return found;
    }

    private static void CompareParameters(string where, JsonObject before, JsonObject after, List<string> found)
    {
        var old = Parameters(before);
        foreach (var (key, parameter) in Parameters(after))
        {
            if (parameter["required"]?.GetValue<bool>() == true && (!old.TryGetValue(key, out var was) || was["required"]?.GetValue<bool>() != true))
            {
                found.Add($"{where}: parameter {key} is newly required");
            }
        }

        foreach (var (key, parameter) in old)
        {
            if (Parameters(after).TryGetValue(key, out var now))
            {
                CompareSchemas($"{where} parameter {key}", null, parameter["schema"], null, now["schema"], Direction.Request, found, 0);
            }
        }
    }

    private static Dictionary<string, JsonNode> Parameters(JsonObject operation) =>
        (operation["parameters"]?.AsArray() ?? []).Where(p => p is not null)
            .ToDictionary(p => $"{p!["in"]}:{p["name"]}", p => p!, StringComparer.Ordinal);

    private static void CompareRequest(string where, JsonObject releasedDoc, JsonObject before, JsonObject currentDoc, JsonObject after, List<string> found)
    {
        var was = before["requestBody"];
        var now = after["requestBody"];
        if (now?["required"]?.GetValue<bool>() == true && was?["required"]?.GetValue<bool>() != true)
        {
            found.Add($"{where}: a request body is newly required");
        }

        foreach (var (media, content) in was?["content"]?.AsObject() ?? [])
        {
            if (now?["content"]?[media] is not { } nowContent)
            {
                if (now is not null)
                {
                    found.Add($"{where}: request media type {media} no longer accepted");
                }

                continue;
            }

            CompareSchemas($"{where} request", releasedDoc, content?["schema"], currentDoc, nowContent["schema"], Direction.Request, found, 0);
        }
    }

    private static void CompareResponses(string where, JsonObject releasedDoc, JsonObject before, JsonObject currentDoc, JsonObject after, List<string> found)
    {
        foreach (var (status, response) in before["responses"]?.AsObject() ?? [])
        {
            if (!status.StartsWith('2'))
            {
                continue; // refusals may come and go: a client handles any problem details
            }

            if (after["responses"]?[status] is not { } now)
            {
                found.Add($"{where}: response {status} removed");
                continue;
            }

            foreach (var (media, content) in response?["content"]?.AsObject() ?? [])
            {
                if (now["content"]?[media] is not { } nowContent)
                {
                    found.Add($"{where}: response {status} no longer {media}");
                    continue;
                }

                CompareSchemas($"{where} response {status}", releasedDoc, content?["schema"], currentDoc, nowContent["schema"], Direction.Response, found, 0);
            }
        }
    }

    private enum Direction
    {
        Request,
        Response,
    }

    private static void CompareSchemas(string where, JsonObject? releasedDoc, JsonNode? was, JsonObject? currentDoc, JsonNode? now, Direction direction, List<string> found, int depth)
    {
        if (depth > 24)
        {
            return; // a recursive type: its first levels were compared
        }

        var before = Flatten(releasedDoc, was);
        var after = Flatten(currentDoc, now);
        if (before is null || after is null)
        {
            return;
        }

        var oldTypes = Types(before);
        var newTypes = Types(after);
        if (oldTypes.Count > 0 && newTypes.Count > 0)
        {
            // A request may accept more types than before, a response may send fewer; anything else breaks a client.
            var compatible = direction == Direction.Request ? newTypes.IsSupersetOf(oldTypes) : newTypes.IsSubsetOf(oldTypes);
            if (!compatible)
            {
                found.Add($"{where}: type changed from [{string.Join(",", oldTypes.Order())}] to [{string.Join(",", newTypes.Order())}]");
            }
        }

        if (before["enum"] is JsonArray oldEnum && after["enum"] is JsonArray newEnum)
        {
            var kept = newEnum.Select(v => v?.ToJsonString() ?? "null").ToHashSet(StringComparer.Ordinal);
            foreach (var value in oldEnum.Select(v => v?.ToJsonString() ?? "null").Where(v => !kept.Contains(v)))
            {
                found.Add($"{where}: enum value {value} removed");
            }
        }
        else if (before["enum"] is null && after["enum"] is not null)
        {
            found.Add($"{where}: values newly restricted to an enum");
        }

        var oldProperties = before["properties"] as JsonObject ?? [];
        var newProperties = after["properties"] as JsonObject ?? [];
        var oldRequired = Required(before);
        var newRequired = Required(after);
        foreach (var (name, schema) in oldProperties)
        {
            if (!newProperties.ContainsKey(name))
            {
                if (direction == Direction.Response)
                {
                    found.Add($"{where}: field {name} removed");
                }

                continue;
            }

            if (direction == Direction.Response && oldRequired.Contains(name) && !newRequired.Contains(name))
            {
                found.Add($"{where}: field {name} no longer always present");
            }

            CompareSchemas($"{where}.{name}", releasedDoc, schema, currentDoc, newProperties[name], direction, found, depth + 1);
        }

        if (direction == Direction.Request)
        {
            foreach (var name in newRequired.Where(n => !oldRequired.Contains(n)))
            {
                found.Add($"{where}: field {name} is newly required");
            }

            if (after["additionalProperties"] is JsonValue closed && !closed.GetValue<bool>())
            {
                foreach (var name in oldProperties.Select(p => p.Key).Where(n => !newProperties.ContainsKey(n)))
                {
                    found.Add($"{where}: field {name} is no longer accepted");
                }
            }
        }

        if (before["items"] is { } oldItems && after["items"] is { } newItems)
        {
            CompareSchemas($"{where}[]", releasedDoc, oldItems, currentDoc, newItems, direction, found, depth + 1);
        }
    }

    /// <summary>The schema with its <c>$ref</c> followed and an <c>allOf</c> merged (properties and required).</summary>
    private static JsonObject? Flatten(JsonObject? document, JsonNode? schema, int depth = 0)
    {
        if (schema is not JsonObject obj || depth > 16)
        {
            return null;
        }

        if (obj["$ref"]?.GetValue<string>() is { } reference)
        {
            return document is null ? null : Flatten(document, Resolve(document, reference), depth + 1);
        }

        if (obj["allOf"] is not JsonArray parts)
        {
            return obj;
        }

        var merged = new JsonObject { ["type"] = "object" };
        var properties = new JsonObject();
        var required = new JsonArray();
        foreach (var part in parts.Select(p => Flatten(document, p, depth + 1)).OfType<JsonObject>())
        {
            foreach (var (name, value) in part["properties"] as JsonObject ?? [])
            {
                properties[name] = value?.DeepClone();
            }

            foreach (var name in Required(part))
            {
                required.Add(name);
            }
        }

        merged["properties"] = properties;
        merged["required"] = required;
        return merged;
    }

    private static JsonNode? Resolve(JsonObject document, string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            return null;
        }

        JsonNode? node = document;
        foreach (var segment in reference[2..].Split('/'))
        {
            node = node?[segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)];
        }

        return node;
    }

    private static HashSet<string> Types(JsonObject schema) => schema["type"] switch
    {
        JsonArray many => [.. many.Select(t => t!.GetValue<string>())],
        JsonValue one => [one.GetValue<string>()],
        _ => [],
    };

    private static HashSet<string> Required(JsonObject schema) =>
        [.. (schema["required"] as JsonArray ?? []).Select(r => r!.GetValue<string>())];
}
