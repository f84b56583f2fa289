using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace OneValet.Pipeline.Api;

/// <summary>The JSON shape of every API body, the same in both hosts: camelCase names, enums as kebab-case strings.</summary>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>
    /// For request bodies: the same shape, read as the contract describes it (<see cref="OpenApiDocument"/> exports its
    /// request schemas from these options): unknown fields refused, nesting at most 16 deep, and one spelling of a body only.
    /// A field the contract requires must be sent (a missing one was bound to its type's default: a hold without a reason
    /// became a security-incident hold, O6; a door event without its method a face capture, O4; a disclosure without its
    /// purpose "service-provision", O12), a field it says is never null is not null, a name is spelled as the contract spells
    /// it (not in another case) and appears once (a duplicate no longer means "the last one wins"), and an enum is one of its
    /// names as written (<see cref="StrictEnums"/>).
    /// </summary>
    public static JsonSerializerOptions InputOptions { get; } = CreateInput();

    private static JsonSerializerOptions CreateInput()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            MaxDepth = 16,
            AllowTrailingCommas = false,
            RespectNullableAnnotations = true,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { RequireNeverNullParameters } },
            PropertyNameCaseInsensitive = false,
            AllowDuplicateProperties = false,
        };
        // Enums are read by their one written name only (StrictEnums); the enum converter after it describes them (OpenApiDocument).
        options.Converters.Add(new StrictEnums());
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>
    /// A constructor parameter that can never be null and has no default (a <c>bool</c>, an enum, a date, a non-nullable
    /// string or list) must be in the body; one that may be null may be left out. The contract's <c>required</c> lists say
    /// the same (<see cref="OpenApiDocument"/>: required parameters, less those that may be null).
    /// </summary>
    private static void RequireNeverNullParameters(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        foreach (var property in info.Properties)
        {
            if (property.AssociatedParameter is { HasDefaultValue: false, IsNullable: false })
            {
                property.IsRequired = true;
            }
        }
    }

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
