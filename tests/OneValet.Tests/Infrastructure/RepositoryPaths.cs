namespace OneValet.Tests.Infrastructure;

/// <summary>Finds the repository root (the folder of OneValet.Serverless.sln) and built outputs from the test's folder.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release: whatever the test assembly was built as.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string InfraBin(string tool) => Path.Combine(Root, "infra", "node_modules", ".bin", tool);

    public static string ProjectOutput(string project, string file) =>
        Path.Combine(Root, "functions", project, "bin", Configuration, "net10.0", file);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OneValet.Serverless.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("OneValet.Serverless.sln not found above " + AppContext.BaseDirectory);
    }
}
