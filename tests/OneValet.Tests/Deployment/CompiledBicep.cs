using System.Text.Json.Nodes;
using Xunit;

namespace OneValet.Tests.Deployment;

/// <summary>
/// Every .bicep file under bicep/ compiled once, by one <c>bicep build --pattern</c>, into a temporary folder (the
/// repository is left as it was). The tests read the ARM JSON from there: main.json (with every module nested inside)
/// and modules/blobSubscription.json (deployed on its own by hooks/subscribe-ingestion.sh, from the postprovision hook).
/// </summary>
public sealed class CompiledBicep : IDisposable
{
    public CompiledBicep()
    {
        OutputFolder = Path.Combine(Path.GetTempPath(), "onevalet-bicep-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(OutputFolder);
        (ExitCode, Output) = BicepCli.Run("build", "--pattern", "**/*.bicep", "--outdir", OutputFolder);
    }

    public string OutputFolder { get; }

    public int ExitCode { get; }

    /// <summary>Everything the build printed: diagnostics, if any.</summary>
    public string Output { get; }

    /// <summary>The .bicep files, relative to bicep/ with '/' separators, e.g. "main.bicep", "modules/rbac.bicep".</summary>
    public static IReadOnlyList<string> SourceFiles { get; } =
        [.. Directory.EnumerateFiles(BicepCli.BicepFolder, "*.bicep", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(BicepCli.BicepFolder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)];

    public JsonObject Main => Load("main.json");

    public JsonObject BlobSubscription => Load("modules/blobSubscription.json");

    public JsonObject Load(string relativePath)
    {
        Assert.True(ExitCode == 0, "bicep build failed:\n" + Output);
        var path = Path.Combine(OutputFolder, relativePath);
        Assert.True(File.Exists(path), $"bicep build wrote no {relativePath}:\n{Output}");
        return JsonNode.Parse(File.ReadAllText(path))!.AsObject();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(OutputFolder, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class CompiledBicepCollection : ICollectionFixture<CompiledBicep>
{
    public const string Name = "Compiled Bicep";
}
