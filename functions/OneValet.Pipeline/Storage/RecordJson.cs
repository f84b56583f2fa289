using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace OneValet.Pipeline.Storage;

/// <summary>
/// The JSON shape of stored documents, shared by every <see cref="IRecordStore"/> so that a document written by one
/// store reads the same in the other and a query's field paths name the same properties: web defaults (camelCase,
/// case-insensitive reads), enums as camelCase strings. Also the argument checks both stores apply identically.
/// </summary>
public static partial class RecordJson
{
    /// <summary>Longest id Cosmos DB accepts.</summary>
    public const int MaxIdLength = 255;

    /// <summary>Longest partition key value either store accepts (Cosmos DB allows 2 KiB; this leaves room for UTF-8).</summary>
    public const int MaxPartitionKeyLength = 512;

    /// <summary>Longest field path accepted in a <see cref="FieldCondition"/>.</summary>
    public const int MaxFieldPathLength = 256;

    /// <summary>The serializer options of every stored document. Read-only.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>Top-level properties the stores own: the key (written into each Cosmos document) and Cosmos system
    /// properties. A document must not carry them itself; they are never part of a document read back.</summary>
    public static IReadOnlyList<string> ReservedProperties { get; } = ["id", "pk", "_rid", "_self", "_etag", "_attachments", "_ts"];

    private static readonly SearchValues<char> ForbiddenIdCharacters = SearchValues.Create("/\\?#");

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.Converters.Add(new UtcTimestampConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    internal static bool IsReserved(string propertyName) => ReservedProperties.Contains(propertyName, StringComparer.Ordinal);

    /// <summary>Whether a stored object carries one of <see cref="ReservedProperties"/> at its top level.</summary>
    internal static bool HasReservedProperty(JsonElement document)
    {
        foreach (string name in ReservedProperties)
        {
            if (document.TryGetProperty(name, out _))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Checks a container name against <see cref="Containers.All"/>, so that a mistyped name fails the same way
    /// in both stores (in Cosmos DB it would otherwise read as "no such document").</summary>
    internal static void ValidateContainer(string container)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(container);
        if (!Containers.All.Contains(container, StringComparer.Ordinal))
        {
            throw new ArgumentException($"Unknown container '{container}'; see Containers.All.", nameof(container));
        }
    }

    /// <summary>Checks a partition key: not empty, bounded length.</summary>
    internal static void ValidatePartitionKey(string partitionKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(partitionKey);
        if (partitionKey.Length > MaxPartitionKeyLength)
        {
            throw new ArgumentException($"A partition key is at most {MaxPartitionKeyLength} characters.", nameof(partitionKey));
        }
    }

    /// <summary>Checks an id by the Cosmos DB rules, so that an id valid in one store is valid in the other:
    /// not empty, at most 255 characters, none of '/', '\', '?', '#'.</summary>
    internal static void ValidateId(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (id.Length > MaxIdLength)
        {
            throw new ArgumentException($"An id is at most {MaxIdLength} characters.", nameof(id));
        }

        if (id.AsSpan().ContainsAny(ForbiddenIdCharacters))
        {
            throw new ArgumentException("An id must not contain '/', '\\', '?' or '#'.", nameof(id));
        }
    }

    internal static void ValidateKey(string container, string partitionKey, string id)
    {
        ValidateContainer(container);
        ValidatePartitionKey(partitionKey);
        ValidateId(id);
    }

    /// <summary>A write: the container must declare its rule first (O1, <see cref="Retention.DataInventory"/>), then the key.</summary>
    internal static void ValidateWrite(string container, string partitionKey, string id)
    {
        Retention.DataInventory.EnsureDeclared(container);
        ValidateKey(container, partitionKey, id);
    }

    internal static void ValidatePageSize(int pageSize) => ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);

    /// <summary>Serializes a document to a JSON object with <see cref="Options"/>; rejects a document that is not a
    /// JSON object or that carries a reserved top-level property.</summary>
    internal static JsonObject ToJsonObject<T>(T document)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (JsonSerializer.SerializeToNode(document, Options) is not JsonObject json)
        {
            throw new ArgumentException("A document must serialize to a JSON object.", nameof(document));
        }

        foreach (KeyValuePair<string, JsonNode?> property in json)
        {
            if (IsReserved(property.Key))
            {
                throw new ArgumentException(
                    $"A document must not carry the top-level property '{property.Key}': the store owns it.", nameof(document));
            }
        }

        return json;
    }

    /// <summary>Deserializes a stored document; reserved properties are removed from <paramref name="json"/> first.</summary>
    internal static T FromJsonObject<T>(JsonObject json)
    {
        foreach (string name in ReservedProperties)
        {
            json.Remove(name);
        }

        T? document = json.Deserialize<T>(Options);
        if (document is null)
        {
            throw new InvalidDataException("A stored document deserialized to null.");
        }

        return document;
    }

    /// <summary>Splits a condition's field path into its segments after checking it: dot-separated segments of
    /// [A-Za-z0-9_] only (so a path can be written into SQL text safely), not starting with a reserved property.</summary>
    internal static string[] ParseFieldPath(string field)
    {
        ArgumentException.ThrowIfNullOrEmpty(field);
        if (field.Length > MaxFieldPathLength || !FieldPathPattern().IsMatch(field))
        {
            throw new ArgumentException(
                "A field path is dot-separated segments of letters, digits and '_' (e.g. \"capturedAt\" or \"camera.site\").",
                nameof(field));
        }

        string[] segments = field.Split('.');
        if (IsReserved(segments[0]))
        {
            throw new ArgumentException($"The field '{segments[0]}' is owned by the store and cannot be queried.", nameof(field));
        }

        return segments;
    }

    /// <summary>The kind of a condition's value; only strings, numbers and booleans can be compared.</summary>
    internal static JsonValueKind ValidateCondition(FieldCondition condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(condition.Value, nameof(condition));
        JsonValueKind kind = condition.Value.GetValueKind();
        if (kind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False))
        {
            throw new ArgumentException($"A condition value must be a string, a number or a boolean, not {kind}.", nameof(condition));
        }

        if (!Enum.IsDefined(condition.Operator))
        {
            throw new ArgumentException($"Unknown operator {condition.Operator}.", nameof(condition));
        }

        return kind;
    }

    /// <summary>
    /// Every stored timestamp is written as UTC with seven fractional digits ("2026-11-26T15:00:00.0000000Z"), so that
    /// string order is time order and range conditions on ISO-8601 strings are correct in both stores (the default
    /// writer keeps the offset and drops trailing zeros, which breaks string comparison).
    /// </summary>
    public static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetDateTimeOffset().ToUniversalTime();

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Timestamp(value));
    }

    [GeneratedRegex("^[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex FieldPathPattern();
}
