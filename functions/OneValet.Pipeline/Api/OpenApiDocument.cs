using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;

namespace OneValet.Pipeline.Api;

/// <summary>
/// The OpenAPI 3.1 document of the API (issue 20), generated from <see cref="ApiRoutes"/> and the C# types each row names,
/// so it cannot drift from what is served. Schemas come from the BCL's <see cref="JsonSchemaExporter"/> over the same
/// <see cref="ApiJson"/> options the handlers use (camelCase, kebab-case enums, unknown request fields refused).
/// <para>Why not <c>Microsoft.AspNetCore.OpenApi</c>: it reads ASP.NET Core endpoint metadata, which only the local host
/// has; the Functions app has no endpoint routing, and its handlers return <c>IResult</c> whatever the status. The route
/// table is what both hosts serve, so the document is built from it, the same bytes in both.</para>
/// </summary>
public static class OpenApiDocument
{
    /// <summary>The contract's version (semantic): a breaking change raises the major number (see the README's rule).</summary>
    public const string Version = "2.1.0";

    /// <summary>Every id in a path: the same rule <see cref="Ingestion.UploadName.IsValidId"/> applies.</summary>
    public const string IdPattern = "^[a-z0-9-]{1,64}$";

    private static readonly Lazy<string> Json = new(() => Build().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    public static string Text => Json.Value;

    /// <summary>Response bodies: what <see cref="ApiJson.Options"/> writes; a member that is never null is always written.</summary>
    /// <remarks>Numbers are described as written (numbers): the web defaults also read numbers from strings, which is true of
    /// requests only; described on responses, it made every count a number-or-string (a generated client gets a wrapper
    /// type for each, issue 20.2).</remarks>
    private static readonly JsonSerializerOptions ResponseShape = Describing(ApiJson.Options, JsonNumberHandling.Strict);

    /// <summary>Request bodies: what <see cref="ApiJson.InputOptions"/> binds (unknown fields refused).</summary>
    private static readonly JsonSerializerOptions RequestShape = Describing(ApiJson.InputOptions);

    /// <summary>A <c>long</c> says <c>int64</c>: without a format a generated client reads 32 bits (issue 20.2).</summary>
    private static readonly JsonSchemaExporterOptions Exporter = new()
    {
        TreatNullObliviousAsNonNullable = true,
        TransformSchemaNode = (context, schema) =>
        {
            if ((Nullable.GetUnderlyingType(context.TypeInfo.Type) ?? context.TypeInfo.Type) == typeof(long) && schema is JsonObject node)
            {
                node["format"] = "int64";
            }

            return schema;
        },
    };

    public static JsonObject Build() => Build(ApiRoutes.All);

    public static JsonObject Build(IReadOnlyList<ApiRoute> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var schemas = new SortedDictionary<string, (Type? Type, JsonNode Schema)>(StringComparer.Ordinal) { ["Problem"] = (null, ProblemSchema()) };
        var paths = new JsonObject();
        foreach (var route in routes)
        {
            var path = paths[route.Path] as JsonObject ?? new JsonObject();
            path[route.Method.ToLowerInvariant()] = Operation(route, schemas);
            paths[route.Path] = path;
        }

        var components = new JsonObject
        {
            ["schemas"] = new JsonObject([.. schemas.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value.Schema))]),
            ["securitySchemes"] = new JsonObject
            {
                ["bearer"] = new JsonObject
                {
                    ["type"] = "http",
                    ["scheme"] = "bearer",
                    ["bearerFormat"] = "JWT",
                    ["description"] = "A JWT whose `roles` claim names the caller's roles (" + string.Join(", ", Auth.AuthClaims.RoleNames.Keys) +
                        "); its other claims (subject, buildings, doors, acts-for) bound what each role reaches.",
                },
            },
        };

        return new JsonObject
        {
            ["openapi"] = "3.1.0",
            ["info"] = new JsonObject
            {
                ["title"] = "OneValet Serverless",
                ["version"] = Version,
                ["description"] = "The privacy pipeline's HTTP API, served the same by the Azure Functions app and the local host. " +
                    "Every refusal is an RFC 9457 problem details body. Each operation names the roles that may call it (`x-roles`) " +
                    "and the part of the data the caller's grant must reach (`x-scope`).",
                ["contact"] = new JsonObject { ["name"] = "Privacy office", ["email"] = "privacy@1valet.com" },
                ["license"] = new JsonObject { ["name"] = "Proprietary", ["url"] = "https://www.1valet.com/" },
            },
            ["servers"] = new JsonArray(
                new JsonObject { ["url"] = "http://127.0.0.1:7071", ["description"] = "The local host (infra/run-local.sh)." },
                new JsonObject
                {
                    ["url"] = "https://{app}.azurewebsites.net",
                    ["description"] = "The Azure Functions app.",
                    ["variables"] = new JsonObject { ["app"] = new JsonObject { ["default"] = "onevalet-pipeline", ["description"] = "The function app's name." } },
                }),
            ["security"] = new JsonArray(new JsonObject { ["bearer"] = new JsonArray() }),
            ["tags"] = new JsonArray([.. routes.Select(Tag).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
                .Select(t => (JsonNode)new JsonObject { ["name"] = t, ["description"] = "Routes under /api/" + t + "." })]),
            ["paths"] = paths,
            ["components"] = components,
        };
    }

    private static JsonObject Operation(ApiRoute route, SortedDictionary<string, (Type? Type, JsonNode Schema)> schemas)
    {
        var anonymous = route.Scope == Scope.Anonymous;
        var roles = anonymous ? [] : RoleNames(route.Callers).ToList();
        var operation = new JsonObject
        {
            ["operationId"] = route.Name,
            ["summary"] = route.Summary,
            ["description"] = anonymous
                ? "Anyone may call this route, without a token (rate-limited by client address)."
                : $"Roles: {string.Join(", ", roles)}. Scope: {route.Scope} (the caller's grant must reach the {ScopeWords(route)}).",
            ["tags"] = new JsonArray(Tag(route)),
        };
        if (anonymous)
        {
            operation["security"] = new JsonArray();
        }

        var parameters = new JsonArray();
        foreach (var name in route.Parameters)
        {
            parameters.Add(new JsonObject
            {
                ["name"] = name,
                ["in"] = "path",
                ["required"] = true,
                ["description"] = "An id: 1 to 64 characters of a-z, 0-9 and '-'.",
                ["schema"] = new JsonObject { ["type"] = "string", ["pattern"] = IdPattern },
            });
        }

        foreach (var name in route.Query)
        {
            var (schema, description) = QuerySchema(route, name);
            parameters.Add(new JsonObject { ["name"] = name, ["in"] = "query", ["required"] = false, ["description"] = description, ["schema"] = schema });
        }

        if (parameters.Count > 0)
        {
            operation["parameters"] = parameters;
        }

        if (route.Body is { } body)
        {
            var media = new JsonObject { ["schema"] = Reference(body, RequestShape, schemas) };
            if (route.BodyExample is { } example)
            {
                media["example"] = JsonSerializer.SerializeToNode(example, example.GetType(), ApiJson.Options);
            }

            operation["requestBody"] = new JsonObject { ["required"] = true, ["content"] = new JsonObject { ["application/json"] = media } };
        }
        else if (route.BinaryBody is { } mediaType)
        {
            operation["requestBody"] = new JsonObject
            {
                ["required"] = true,
                ["content"] = new JsonObject { [mediaType] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "string", ["contentMediaType"] = mediaType } } },
            };
        }

        var responses = new JsonObject();
        foreach (var (status, type) in route.Returns.OrderBy(r => r.Status))
        {
            var response = new JsonObject { ["description"] = SuccessWords(status) };
            if (type is not null)
            {
                JsonNode schema = Reference(type, ResponseShape, schemas);
                if (route.ReturnsAlso.Count > 0)
                {
                    var extra = new JsonObject();
                    foreach (var (name, extraType) in route.ReturnsAlso)
                    {
                        extra[name] = Reference(extraType, ResponseShape, schemas);
                    }

                    schema = new JsonObject
                    {
                        ["allOf"] = new JsonArray(schema, new JsonObject
                        {
                            ["type"] = "object",
                            ["properties"] = extra,
                            ["required"] = new JsonArray([.. route.ReturnsAlso.Select(e => (JsonNode)e.Name)]),
                        }),
                    };
                }

                response["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = schema } };
            }
            else if (route.ReturnsFiles.Count > 0)
            {
                var files = new JsonObject();
                foreach (var file in route.ReturnsFiles)
                {
                    files[file] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "string" } };
                }

                response["content"] = files;
            }

            responses[status.ToString(CultureInfo.InvariantCulture)] = response;
        }

        foreach (var status in RefusalsOf(route))
        {
            var refusal = new JsonObject
            {
                ["description"] = ProblemWords(status),
                ["content"] = new JsonObject
                {
                    ["application/problem+json"] = new JsonObject
                    {
                        ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/Problem" },
                        ["example"] = new JsonObject { ["title"] = ProblemWords(status), ["status"] = status, ["detail"] = "What was wrong, without echoing the request's values." },
                    },
                },
            };
            if (status is 429 or 503)
            {
                refusal["headers"] = new JsonObject { ["Retry-After"] = new JsonObject { ["description"] = "Seconds to wait.", ["schema"] = new JsonObject { ["type"] = "integer" } } };
            }
            else if (status == 401)
            {
                refusal["headers"] = new JsonObject { ["WWW-Authenticate"] = new JsonObject { ["description"] = "`Bearer`.", ["schema"] = new JsonObject { ["type"] = "string" } } };
            }

            responses[status.ToString(CultureInfo.InvariantCulture)] = refusal;
        }

        operation["responses"] = responses;
        operation["x-roles"] = new JsonArray([.. roles.Select(r => (JsonNode)r)]);
        operation["x-scope"] = route.Scope.ToString();
        return operation;
    }

    /// <summary>Every refusal a route can answer: its handler's, the body reader's, the gate's, and 503 with Retry-After
    /// from either host when a service it needs did not answer (<see cref="DependencyFailures"/>).</summary>
    public static IReadOnlyList<int> RefusalsOf(ApiRoute route)
    {
        ArgumentNullException.ThrowIfNull(route);
        var statuses = new SortedSet<int>(route.Refuses) { 429, 503 };
        if (route.Body is not null)
        {
            statuses.UnionWith([400, 413, 415]);
        }

        if (route.Scope != Scope.Anonymous)
        {
            statuses.UnionWith([401, 403, 404]);
        }

        return [.. statuses];
    }

    /// <summary>The token role names of a route's callers, e.g. <c>property-manager</c>.</summary>
    public static IEnumerable<string> RoleNames(Roles callers) =>
        Enum.GetValues<Roles>().Where(r => r != Roles.None && callers.HasFlag(r)).Select(Auth.AuthClaims.NameOf);

    private static string Tag(ApiRoute route) => route.Template.Split('/')[0];

    private static string ScopeWords(ApiRoute route) => route.Scope switch
    {
        Scope.Subject => "person the object is about",
        Scope.Unit => "unit named in the path",
        Scope.Building => "building of the object",
        _ => "whole pipeline",
    };

    private static (JsonObject Schema, string Description) QuerySchema(ApiRoute route, string name)
    {
        if (route.QueryPatterns.TryGetValue(name, out var pattern))
        {
            return (new JsonObject { ["type"] = "string", ["pattern"] = pattern }, $"Matches `{pattern}`.");
        }

        return name switch
        {
            "from" or "to" => (new JsonObject { ["type"] = "string", ["format"] = "date-time" }, "An ISO-8601 time with a UTC offset, e.g. 2026-11-26T00:00:00Z."),
            "pageSize" => (new JsonObject { ["type"] = "string", ["pattern"] = PageSizes.Pattern }, "How many items per page (a whole number)."),
            "continuation" => (new JsonObject { ["type"] = "string", ["pattern"] = "^[A-Za-z0-9_-]{1,8192}$" }, "The token the previous page handed out."),
            _ when name.EndsWith("Id", StringComparison.Ordinal) => (new JsonObject { ["type"] = "string", ["pattern"] = IdPattern }, "An id: 1 to 64 characters of a-z, 0-9 and '-'."),
            _ => (new JsonObject { ["type"] = "string", ["maxLength"] = 256 }, "Free text."),
        };
    }

    /// <summary>A reference to the type's schema in <c>components</c> (a list: an array of references).</summary>
    private static JsonObject Reference(Type type, JsonSerializerOptions shape, SortedDictionary<string, (Type? Type, JsonNode Schema)> schemas)
    {
        if (type == typeof(JsonObject))
        {
            return new JsonObject { ["type"] = "object" };
        }

        if (type != typeof(string) && type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>)) is { } enumerable)
        {
            return new JsonObject { ["type"] = "array", ["items"] = Reference(enumerable.GetGenericArguments()[0], shape, schemas) };
        }

        // A type is described once, by the first shape it is used with (no API type is both a request and a response).
        var name = type.Name;
        if (schemas.TryGetValue(name, out var existing))
        {
            if (existing.Type != type)
            {
                throw new InvalidOperationException($"Two API types are named {name}: rename one.");
            }
        }
        else
        {
            schemas[name] = (type, Rebase(DropNullableFromRequired(shape.GetJsonSchemaAsNode(type, Exporter)), "#/components/schemas/" + name));
        }

        return new JsonObject { ["$ref"] = "#/components/schemas/" + name };
    }

    /// <summary>The exporter points a repeated type at its first place (<c>#/properties/...</c>, relative to the type's own
    /// schema); under <c>components</c> that pointer must start from the component.</summary>
    private static JsonNode Rebase(JsonNode node, string root)
    {
        if (node is JsonObject obj)
        {
            if (obj["$ref"] is JsonValue reference && reference.GetValue<string>() is var target && (target == "#" || target.StartsWith("#/", StringComparison.Ordinal)))
            {
                obj["$ref"] = root + target[1..];
            }

            foreach (var child in obj.Where(p => p.Key != "$ref").Select(p => p.Value).ToList())
            {
                if (child is not null)
                {
                    Rebase(child, root);
                }
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var item in array)
            {
                if (item is not null)
                {
                    Rebase(item, root);
                }
            }
        }

        return node;
    }

    /// <summary>A member that may be null may also be left out: only the never-null ones stay required.</summary>
    private static JsonNode DropNullableFromRequired(JsonNode node)
    {
        if (node is JsonObject obj)
        {
            if (obj["required"] is JsonArray required && obj["properties"] is JsonObject properties)
            {
                var kept = required.Select(r => r!.GetValue<string>()).Where(r => !MayBeNull(properties[r])).ToList();
                if (kept.Count == 0)
                {
                    obj.Remove("required");
                }
                else
                {
                    obj["required"] = new JsonArray([.. kept.Select(k => (JsonNode)k)]);
                }
            }

            foreach (var child in obj.Select(p => p.Value).ToList())
            {
                if (child is not null)
                {
                    DropNullableFromRequired(child);
                }
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var item in array)
            {
                if (item is not null)
                {
                    DropNullableFromRequired(item);
                }
            }
        }

        return node;
    }

    private static bool MayBeNull(JsonNode? schema) =>
        schema is JsonObject s && (
            (s["type"] is JsonArray types && types.Any(t => t?.GetValue<string>() == "null"))
            || (s["enum"] is JsonArray values && values.Any(v => v is null)));

    private static JsonSerializerOptions Describing(JsonSerializerOptions options, JsonNumberHandling? numbers = null)
    {
        var copy = new JsonSerializerOptions(options) { RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true };

        // Request enums read strictly (StrictEnums) are the names the enum converter behind it writes: described by it.
        foreach (var strict in copy.Converters.OfType<StrictEnums>().ToList())
        {
            copy.Converters.Remove(strict);
        }

        copy.NumberHandling = numbers ?? copy.NumberHandling;
        copy.MakeReadOnly(populateMissingResolver: true);
        return copy;
    }

    private static JsonObject ProblemSchema() => new()
    {
        ["type"] = "object",
        ["description"] = "RFC 9457 problem details; some refusals add members (e.g. `code`, `path`, `attemptsLeft`).",
        ["properties"] = new JsonObject
        {
            ["type"] = new JsonObject { ["type"] = "string" },
            ["title"] = new JsonObject { ["type"] = "string" },
            ["status"] = new JsonObject { ["type"] = "integer" },
            ["detail"] = new JsonObject { ["type"] = "string" },
            ["instance"] = new JsonObject { ["type"] = "string" },
            ["traceId"] = new JsonObject { ["type"] = "string" },
        },
        ["required"] = new JsonArray("title", "status"),
        ["additionalProperties"] = true,
    };

    private static string SuccessWords(int status) => status switch
    {
        201 => "Created.",
        202 => "Accepted: the work goes on in the background.",
        204 => "Done; no body.",
        _ => "OK.",
    };

    private static string ProblemWords(int status) => status switch
    {
        400 => "The request is not valid.",
        401 => "No valid bearer token.",
        403 => "The caller's roles may not call this route.",
        404 => "Not found, or outside the caller's grant (the two are not told apart).",
        409 => "Conflict with the object's current state.",
        410 => "Gone (expired).",
        413 => "Body too large.",
        415 => "Unsupported media type.",
        422 => "Understood but refused by the policy.",
        429 => "Too many requests.",
        502 => "A service behind this one refused.",
        503 => "A service behind this one did not answer.",
        _ => "Refused.",
    };
}
