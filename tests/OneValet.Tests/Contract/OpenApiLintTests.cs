using System.Text.Json.Nodes;
using OneValet.Pipeline.Api;
using Xunit;
using Xunit.Abstractions;

namespace OneValet.Tests.Contract;

/// <summary>
/// Issue 20: the generated OpenAPI document passes Redocly CLI's <c>recommended</c> ruleset with no error and no warning
/// (before: 30 errors). The linter runs offline on the document exactly as <c>/api/openapi.json</c> serves it.
/// </summary>
public sealed class OpenApiLintTests(ITestOutputHelper output)
{
    [Fact]
    public void The_served_document_passes_redocly_recommended_with_zero_errors_and_zero_warnings()
    {
        var (errors, warnings, text) = Lint(OpenApiDocument.Text);
        Assert.True(errors == 0 && warnings == 0, text);
    }

    [Fact]
    public void A_broken_document_is_caught_by_the_same_run()
    {
        // The check can fail: an operation without responses, an undefined security scheme, an unresolved reference.
        var document = OpenApiDocument.Build();
        document["paths"]!["/api/health"]!["get"]!.AsObject().Remove("responses");
        document["security"] = new JsonArray(new JsonObject { ["undeclared"] = new JsonArray() });
        document["paths"]!["/api/holds"]!["get"]!["responses"]!["200"]!["content"]!["application/json"]!["schema"] = new JsonObject { ["$ref"] = "#/properties/x" };
        var (errors, warnings, text) = Lint(document.ToJsonString());
        Assert.True(errors >= 2 && errors + warnings >= 3, text);
        Assert.Contains("security-defined", text, StringComparison.Ordinal);
        Assert.Contains("no-unresolved-refs", text, StringComparison.Ordinal);
    }

    private (int Errors, int Warnings, string Text) Lint(string document)
    {
        Assert.True(File.Exists(RedoclyCli.Executable), "run infra/install.sh: " + RedoclyCli.Executable);
        var folder = Directory.CreateTempSubdirectory("openapi-lint-");
        try
        {
            File.WriteAllText(Path.Combine(folder.FullName, "openapi.json"), document);

            // The recommended ruleset, nothing turned off: the config only names it (and stops the CLI looking further up).
            File.WriteAllText(Path.Combine(folder.FullName, "redocly.yaml"), "extends:\n  - recommended\n");
            var (exitCode, json, errorsText) = RedoclyCli.Run(folder.FullName, "lint", "openapi.json", "--format=json");
            output.WriteLine(json);
            output.WriteLine(errorsText);
            var totals = JsonNode.Parse(json)!["totals"]!;
            var errors = totals["errors"]!.GetValue<int>();
            var warnings = totals["warnings"]!.GetValue<int>();
            Assert.Equal(errors > 0, exitCode != 0);
            Assert.Equal(0, totals["ignored"]!.GetValue<int>());
            output.WriteLine($"redocly recommended: {errors} errors, {warnings} warnings");
            return (errors, warnings, json);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
