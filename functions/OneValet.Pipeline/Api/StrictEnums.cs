using System.Text.Json;
using System.Text.Json.Serialization;

namespace OneValet.Pipeline.Api;

/// <summary>
/// Reads an enum of a request body only by the name the API writes and the contract lists (kebab-case, exact, one value).
/// <see cref="JsonStringEnumConverter"/> also reads the C# name (<c>LawEnforcement</c>), names padded with spaces, and a
/// comma-separated list of names, which for an enum that is not a set of flags ORs the values into another member:
/// <c>"law-enforcement, property-management"</c> was read as <c>energy-efficiency</c> (a keyless-entry disclosure then
/// passed without the authorization the TDPA asks for, and the ledger named a purpose nobody sent, O12), and a privacy
/// request of type <c>"access, deletion"</c> was a deletion request (O8, O9). Writing is unchanged.
/// </summary>
public sealed class StrictEnums : JsonConverterFactory
{
    /// <summary>How names are written: the API's own options (the contract's enum lists come from their enum converter).</summary>
    private static JsonSerializerOptions Names => ApiJson.Options;

    public override bool CanConvert(Type typeToConvert)
    {
        ArgumentNullException.ThrowIfNull(typeToConvert);
        return typeToConvert.IsEnum;
    }

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert))!;

    private sealed class Converter<T> : JsonConverter<T>
        where T : struct, Enum
    {
        private static readonly Dictionary<string, T> ByName =
            Enum.GetValues<T>().Distinct().ToDictionary(v => JsonSerializer.Deserialize<string>(JsonSerializer.Serialize(v, Names))!, StringComparer.Ordinal);

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String && reader.GetString() is { } name && ByName.TryGetValue(name, out var value)
                ? value
                : throw new JsonException("Not one of the enum's names.");

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value, Names);
    }
}
