using Xunit;

namespace OneValet.Tests.Deployment;

/// <summary>
/// Every .bicep file compiles and lints with no diagnostic at all. bicep/bicepconfig.json turns the linter rules into
/// errors (a test below proves the configuration takes effect), so a warning cannot slip through as "only a warning".
/// </summary>
[Collection(CompiledBicepCollection.Name)]
public sealed class BicepBuildTests(CompiledBicep compiled)
{
    [Fact]
    public void Main_and_every_module_build_without_a_diagnostic()
    {
        Assert.Contains("main.bicep", CompiledBicep.SourceFiles);
        Assert.True(compiled.ExitCode == 0 && compiled.Output.Trim().Length == 0, "bicep build printed:\n" + compiled.Output);
        foreach (var source in CompiledBicep.SourceFiles)
        {
            var json = Path.Combine(compiled.OutputFolder, Path.ChangeExtension(source, ".json"));
            Assert.True(File.Exists(json), $"{source} was not built.");
        }
    }

    [Fact]
    public void Main_and_every_module_lint_without_a_diagnostic()
    {
        var (exitCode, output) = BicepCli.Run("lint", "--pattern", "**/*.bicep");
        Assert.True(exitCode == 0 && output.Trim().Length == 0, "bicep lint printed:\n" + output);
    }

    [Fact]
    public void The_linter_configuration_reports_a_violation_as_an_error()
    {
        // A file outside the repository, linted with bicep/bicepconfig.json: an unused parameter and concat() must fail.
        var folder = Path.Combine(Path.GetTempPath(), "onevalet-bicep-lint-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var file = Path.Combine(folder, "bad.bicep");
            File.WriteAllText(file, "param unused string\nvar joined = concat('a', 'b')\noutput joined string = joined\n");
            var (exitCode, output) = BicepCli.Run("lint", file, "--config", Path.Combine(BicepCli.BicepFolder, "bicepconfig.json"));
            Assert.NotEqual(0, exitCode);
            Assert.Contains("Error no-unused-params", output, StringComparison.Ordinal);
            Assert.Contains("Error prefer-interpolation", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
