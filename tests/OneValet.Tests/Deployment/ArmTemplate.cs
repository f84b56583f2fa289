using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace OneValet.Tests.Deployment;

/// <summary>One template of the compiled JSON (the root, or a module's nested template) with the deployment resource
/// that nests it, so that <c>parameters('x')</c> can be looked up in the values the parent passes.</summary>
internal sealed record ArmFrame(JsonObject Template, JsonObject? Deployment, ArmFrame? Parent);

/// <summary>A resource of a compiled template, in the frame it is declared in.</summary>
internal sealed record ArmResource(JsonObject Json, ArmFrame Frame)
{
    public string Type => Json["type"]!.GetValue<string>();

    /// <summary>An <c>existing</c> reference (emitted by languageVersion 2.0 templates): not deployed, only read.</summary>
    public bool Existing => Json["existing"]?.GetValue<bool>() == true;

    public JsonObject Properties => Json["properties"]?.AsObject() ?? [];

    /// <summary>The resource's name(s) as far as they are known before deployment: one per copy for a loop,
    /// with <see cref="ArmExpression.Unknown"/> where a part is only known at deployment time.</summary>
    public IReadOnlyList<string> Names => ArmExpression.EvaluateStrings(Json["name"], Frame);

    /// <summary>The last segment of each name: a child resource's own name (e.g. the container of account/default/container).</summary>
    public IReadOnlyList<string> OwnNames => [.. Names.Select(n => n.Split('/')[^1])];

    public IReadOnlyList<string> Evaluate(JsonNode? node) => ArmExpression.EvaluateStrings(node, Frame);
}

/// <summary>Walks compiled ARM JSON: every template frame, resource and output, modules included.</summary>
internal static class ArmTemplate
{
    public static IEnumerable<ArmFrame> Frames(JsonObject root)
    {
        var stack = new Stack<ArmFrame>();
        stack.Push(new ArmFrame(root, null, null));
        while (stack.Count > 0)
        {
            var frame = stack.Pop();
            yield return frame;
            foreach (var resource in ResourcesOf(frame.Template))
            {
                if (resource["type"]?.GetValue<string>() == "Microsoft.Resources/deployments"
                    && resource["properties"]?["template"] is JsonObject nested)
                {
                    stack.Push(new ArmFrame(nested, resource, frame));
                }
            }
        }
    }

    /// <summary>Every resource of every frame, deployments themselves excluded.</summary>
    public static IEnumerable<ArmResource> Resources(JsonObject root) =>
        Frames(root).SelectMany(frame => ResourcesOf(frame.Template)
            .Where(r => r["type"]?.GetValue<string>() != "Microsoft.Resources/deployments")
            .Select(r => new ArmResource(r, frame)));

    /// <summary>Deployed resources of one type (existing references excluded).</summary>
    public static IReadOnlyList<ArmResource> OfType(JsonObject root, string type) =>
        [.. Resources(root).Where(r => !r.Existing && string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase))];

    public static IEnumerable<(string Name, JsonObject Output)> Outputs(JsonObject root) =>
        Frames(root).SelectMany(frame => (frame.Template["outputs"]?.AsObject() ?? [])
            .Select(p => (p.Key, p.Value!.AsObject())));

    /// <summary>languageVersion 1.0 templates hold resources in an array, 2.0 (symbolic names) in an object.</summary>
    private static IEnumerable<JsonObject> ResourcesOf(JsonObject template) => template["resources"] switch
    {
        JsonArray array => array.Select(n => n!.AsObject()),
        JsonObject symbolic => symbolic.Select(p => p.Value!.AsObject()),
        _ => [],
    };
}

/// <summary>
/// Evaluates the small part of the ARM expression language that the checks need, to read names and values that Bicep
/// compiles into expressions: string literals, <c>variables()</c>, <c>parameters()</c> (through the parent's values and
/// defaults), <c>[copyIndex()]</c> of a loop (every element), member access and <c>format()</c>. Anything else (resource
/// references, <c>uniqueString()</c>, ...) is known only at deployment time and evaluates to <see cref="Unknown"/>.
/// </summary>
internal static class ArmExpression
{
    public const string Unknown = "\u2047";

    public static IReadOnlyList<string> EvaluateStrings(JsonNode? node, ArmFrame frame) => node switch
    {
        null => [],
        JsonValue value when value.TryGetValue<string>(out var text) => [.. Evaluate(text, frame).Select(AsText)],
        JsonArray array => [.. array.SelectMany(element => EvaluateStrings(element, frame))],
        _ => [node.ToJsonString()],
    };

    private static string AsText(JsonNode? node) => node switch
    {
        null => "null",
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => node.ToJsonString(),
    };

    /// <summary>A JSON string of a template: a literal, or an expression in brackets ("[[" escapes a literal bracket).</summary>
    private static List<JsonNode?> Evaluate(string text, ArmFrame frame)
    {
        if (!text.StartsWith('[') || !text.EndsWith(']'))
        {
            return [JsonValue.Create(text)];
        }

        if (text.StartsWith("[[", StringComparison.Ordinal))
        {
            return [JsonValue.Create(text[1..])];
        }

        var parser = new Parser(text[1..^1]);
        var expression = parser.ParseExpression();
        parser.ExpectEnd();
        return Eval(expression, frame);
    }

    /// <summary>Evaluates every string inside a node (a variable's or parameter's value) in the frame it belongs to.</summary>
    private static JsonNode? Deep(JsonNode? node, ArmFrame frame) => node switch
    {
        JsonValue value when value.TryGetValue<string>(out var text) => Evaluate(text, frame) is [var single] ? single?.DeepClone() : JsonValue.Create(Unknown),
        JsonArray array => new JsonArray([.. array.Select(e => Deep(e, frame))]),
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, Deep(p.Value, frame)))),
        _ => node?.DeepClone(),
    };

    private static List<JsonNode?> Eval(Expr expression, ArmFrame frame)
    {
        switch (expression)
        {
            case Literal literal:
                return [literal.Value?.DeepClone()];
            case Member member:
                return [.. Eval(member.Target, frame).Select(v => v is JsonObject obj && obj.TryGetPropertyValue(member.Name, out var p) ? p?.DeepClone() : JsonValue.Create(Unknown))];
            case Index { IndexExpression: Call { Name: "copyIndex" } } loop:
                // A loop's copy: every element of the array.
                return [.. Eval(loop.Target, frame).SelectMany(v => v is JsonArray a ? a.Select(e => e?.DeepClone()) : [JsonValue.Create(Unknown)])];
            case Index index:
                var position = Eval(index.IndexExpression, frame).SingleOrDefault() as JsonValue;
                return [.. Eval(index.Target, frame).Select(v => v is JsonArray a && position is not null && position.TryGetValue<int>(out var i) && i < a.Count ? a[i]?.DeepClone() : JsonValue.Create(Unknown))];
            case Call { Name: "variables", Arguments: [Literal { Value: JsonValue name }] }:
                return frame.Template["variables"]?[name.GetValue<string>()] is JsonNode variable ? [Deep(variable, frame)] : [JsonValue.Create(Unknown)];
            case Call { Name: "parameters", Arguments: [Literal { Value: JsonValue name }] }:
                return [Parameter(name.GetValue<string>(), frame)];
            case Call { Name: "format", Arguments: [var pattern, .. var rest] }:
                return Format(Eval(pattern, frame), [.. rest.Select(a => Eval(a, frame))]);
            default:
                return [JsonValue.Create(Unknown)];
        }
    }

    private static JsonNode? Parameter(string name, ArmFrame frame)
    {
        if (frame.Deployment?["properties"]?["parameters"]?[name] is JsonObject passed)
        {
            return passed.TryGetPropertyValue("value", out var value) && frame.Parent is not null ? Deep(value, frame.Parent) : JsonValue.Create(Unknown);
        }

        return frame.Template["parameters"]?[name]?["defaultValue"] is JsonNode defaultValue ? Deep(defaultValue, frame) : JsonValue.Create(Unknown);
    }

    /// <summary>format() over values where a loop's argument has one value per copy: the copies are zipped, not crossed.</summary>
    private static List<JsonNode?> Format(List<JsonNode?> patterns, List<List<JsonNode?>> arguments)
    {
        if (patterns is not [JsonValue patternValue] || !patternValue.TryGetValue<string>(out var pattern))
        {
            return [JsonValue.Create(Unknown)];
        }

        var copies = arguments.Count == 0 ? 1 : arguments.Max(a => a.Count);
        var results = new List<JsonNode?>();
        for (var copy = 0; copy < copies; copy++)
        {
            var values = arguments.Select(a => (object)AsText(a.Count == 1 ? a[0] : copy < a.Count ? a[copy] : JsonValue.Create(Unknown))).ToArray();
            results.Add(JsonValue.Create(string.Format(CultureInfo.InvariantCulture, pattern, values)));
        }

        return results;
    }

    private abstract record Expr;

    private sealed record Literal(JsonNode? Value) : Expr;

    private sealed record Call(string Name, Expr[] Arguments) : Expr;

    private sealed record Index(Expr Target, Expr IndexExpression) : Expr;

    private sealed record Member(Expr Target, string Name) : Expr;

    private sealed class Parser(string text)
    {
        private int _position;

        public Expr ParseExpression()
        {
            var expression = ParsePrimary();
            while (true)
            {
                SkipSpaces();
                if (Peek('['))
                {
                    _position++;
                    var index = ParseExpression();
                    Expect(']');
                    expression = new Index(expression, index);
                }
                else if (Peek('.'))
                {
                    _position++;
                    expression = new Member(expression, ReadIdentifier());
                }
                else
                {
                    return expression;
                }
            }
        }

        public void ExpectEnd()
        {
            SkipSpaces();
            if (_position != text.Length)
            {
                throw new FormatException($"Unexpected '{text[_position..]}' in ARM expression '{text}'.");
            }
        }

        private Expr ParsePrimary()
        {
            SkipSpaces();
            if (Peek('\''))
            {
                return new Literal(JsonValue.Create(ReadString()));
            }

            if (_position < text.Length && (char.IsAsciiDigit(text[_position]) || text[_position] == '-'))
            {
                var start = _position++;
                while (_position < text.Length && char.IsAsciiDigit(text[_position]))
                {
                    _position++;
                }

                return new Literal(JsonValue.Create(long.Parse(text[start.._position], CultureInfo.InvariantCulture)));
            }

            var name = ReadIdentifier();
            Expect('(');
            var arguments = new List<Expr>();
            SkipSpaces();
            if (!Peek(')'))
            {
                do
                {
                    arguments.Add(ParseExpression());
                    SkipSpaces();
                }
                while (TryConsume(','));
            }

            Expect(')');
            return new Call(name, [.. arguments]);
        }

        private string ReadString()
        {
            Expect('\'');
            var value = new StringBuilder();
            while (true)
            {
                if (_position >= text.Length)
                {
                    throw new FormatException($"Unterminated string in ARM expression '{text}'.");
                }

                var c = text[_position++];
                if (c == '\'')
                {
                    if (Peek('\''))
                    {
                        _position++;
                        value.Append('\'');
                        continue;
                    }

                    return value.ToString();
                }

                value.Append(c);
            }
        }

        private string ReadIdentifier()
        {
            SkipSpaces();
            var start = _position;
            while (_position < text.Length && (char.IsAsciiLetterOrDigit(text[_position]) || text[_position] == '_'))
            {
                _position++;
            }

            if (start == _position)
            {
                throw new FormatException($"Identifier expected at {start} in ARM expression '{text}'.");
            }

            return text[start.._position];
        }

        private void SkipSpaces()
        {
            while (_position < text.Length && text[_position] == ' ')
            {
                _position++;
            }
        }

        private bool Peek(char c) => _position < text.Length && text[_position] == c;

        private bool TryConsume(char c)
        {
            SkipSpaces();
            if (!Peek(c))
            {
                return false;
            }

            _position++;
            return true;
        }

        private void Expect(char c)
        {
            if (!TryConsume(c))
            {
                throw new FormatException($"'{c}' expected at {_position} in ARM expression '{text}'.");
            }
        }
    }
}
