using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace OneValet.Pipeline.Api;

/// <summary>The OpenAPI 3.1 document of the API, generated from <see cref="ApiRoutes"/> so it cannot drift from what is served.</summary>
public static partial class OpenApiDocument
{
    private static readonly Lazy<string> Json = new(() => Build().ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

    public static string Text => Json.Value;

    public static JsonObject Build()
    {
        var paths = new JsonObject();
        foreach (var route in ApiRoutes.All)
        {
            var parameters = new JsonArray();
            foreach (Match m in PathParameter().Matches(route.Template))
            {
                parameters.Add(new JsonObject
                {
                    ["name"] = m.Groups[1].Value,
                    ["in"] = "path",
                    ["required"] = true,
                    ["schema"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[a-z0-9-]{1,64}$" },
                });
            }

            foreach (var q in route.Query)
            {
                parameters.Add(new JsonObject { ["name"] = q, ["in"] = "query", ["required"] = false, ["schema"] = new JsonObject { ["type"] = "string" } });
            }

            var operation = new JsonObject
            {
                ["operationId"] = route.Name,
                ["summary"] = route.Summary,
                ["parameters"] = parameters,
                ["responses"] = new JsonObject
                {
                    ["200"] = new JsonObject { ["description"] = "OK" },
                    ["4XX"] = new JsonObject
                    {
                        ["description"] = "Refused; RFC 9457 problem details.",
                        ["content"] = new JsonObject { ["application/problem+json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } } },
                    },
                },
                ["x-callers"] = new JsonArray([.. CallerNames(route.Callers).Select(n => (JsonNode)n!)]),
                ["x-scope"] = route.Scope.ToString(),
            };
            var path = paths[route.Path] as JsonObject ?? new JsonObject();
            path[route.Method.ToLowerInvariant()] = operation;
            paths[route.Path] = path;
        }

        return new JsonObject
        {
            ["openapi"] = "3.1.0",
            ["info"] = new JsonObject { ["title"] = "OneValet Serverless", ["version"] = "1" },
            ["paths"] = paths,
        };
    }

    public static IEnumerable<string> CallerNames(Roles callers) =>
        Enum.GetValues<Roles>().Where(r => r != Roles.None && callers.HasFlag(r)).Select(r => r.ToString());

    [GeneratedRegex("\\{([A-Za-z]+)\\}")]
    private static partial Regex PathParameter();
}
