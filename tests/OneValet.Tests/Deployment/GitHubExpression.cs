using System.Text;

namespace OneValet.Tests.Deployment;

/// <summary>
/// Evaluates the part of the GitHub Actions expression language a job's <c>if:</c> uses here: string literals, context
/// paths (<c>github.event.workflow_run.head_branch</c>), <c>==</c>, <c>!=</c>, <c>&amp;&amp;</c>, <c>||</c>, <c>!</c> and
/// parentheses, against a context given as a flat dictionary of paths. A missing path is null (as on GitHub), and
/// string comparison ignores case (as on GitHub). Anything else throws, so a condition the tests cannot read fails them.
/// </summary>
internal static class GitHubExpression
{
    public static bool IsTrue(string expression, IReadOnlyDictionary<string, string> context)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var text = expression.Trim();
        if (text.StartsWith("${{", StringComparison.Ordinal) && text.EndsWith("}}", StringComparison.Ordinal))
        {
            text = text[3..^2];
        }

        var parser = new Parser(text, context);
        var value = parser.ParseOr();
        parser.ExpectEnd();
        return Truthy(value);
    }

    private static bool Truthy(object? value) => value switch
    {
        null => false,
        bool b => b,
        string s => s.Length > 0,
        _ => true,
    };

    private sealed class Parser(string text, IReadOnlyDictionary<string, string> context)
    {
        private int _position;

        public object? ParseOr()
        {
            var left = ParseAnd();
            while (TryConsume("||"))
            {
                var right = ParseAnd();
                left = Truthy(left) ? left : right;
            }

            return left;
        }

        public void ExpectEnd()
        {
            SkipSpaces();
            if (_position != text.Length)
            {
                throw new FormatException($"Unexpected '{text[_position..]}' in '{text}'.");
            }
        }

        private object? ParseAnd()
        {
            var left = ParseComparison();
            while (TryConsume("&&"))
            {
                var right = ParseComparison();
                left = Truthy(left) ? right : left;
            }

            return left;
        }

        private object? ParseComparison()
        {
            var left = ParseUnary();
            if (TryConsume("=="))
            {
                return AreEqual(left, ParseUnary());
            }

            if (TryConsume("!="))
            {
                return !AreEqual(left, ParseUnary());
            }

            return left;
        }

        private object? ParseUnary()
        {
            SkipSpaces();
            if (Peek("!") && !Peek("!="))
            {
                _position++;
                return !Truthy(ParseUnary());
            }

            if (TryConsume("("))
            {
                var inner = ParseOr();
                if (!TryConsume(")"))
                {
                    throw new FormatException($"')' expected at {_position} in '{text}'.");
                }

                return inner;
            }

            if (Peek("'"))
            {
                return ReadString();
            }

            var start = _position;
            while (_position < text.Length && (char.IsAsciiLetterOrDigit(text[_position]) || text[_position] is '.' or '_' or '-'))
            {
                _position++;
            }

            var path = text[start.._position];
            return path switch
            {
                "" => throw new FormatException($"Operand expected at {start} in '{text}'."),
                "true" => true,
                "false" => false,
                "null" => null,
                _ => context.GetValueOrDefault(path),
            };
        }

        private static bool AreEqual(object? left, object? right) => (left, right) switch
        {
            (null, null) => true,
            (string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase),
            (bool a, bool b) => a == b,
            _ => false,
        };

        private string ReadString()
        {
            _position++;
            var value = new StringBuilder();
            while (true)
            {
                if (_position >= text.Length)
                {
                    throw new FormatException($"Unterminated string in '{text}'.");
                }

                var c = text[_position++];
                if (c == '\'')
                {
                    if (Peek("'"))
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

        private bool Peek(string token) => string.CompareOrdinal(text, _position, token, 0, token.Length) == 0;

        private bool TryConsume(string token)
        {
            SkipSpaces();
            if (!Peek(token))
            {
                return false;
            }

            _position += token.Length;
            return true;
        }

        private void SkipSpaces()
        {
            while (_position < text.Length && char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }
        }
    }
}
