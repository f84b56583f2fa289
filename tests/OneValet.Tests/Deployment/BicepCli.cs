using System.Diagnostics;
using System.Reflection;
using System.Text;
using OneValet.Tests.Infrastructure;

namespace OneValet.Tests.Deployment;

/// <summary>
/// The Bicep CLI of the NuGet package Azure.Bicep.CommandLine.linux-x64 (a PackageDownload of the test project; the
/// build writes its path into the assembly metadata "BicepCli"). <c>bicep build</c> and <c>bicep lint</c> run offline.
/// </summary>
internal static class BicepCli
{
    public static string BicepFolder { get; } = Path.Combine(RepositoryPaths.Root, "bicep");

    public static string Executable { get; } = Find();

    /// <summary>Runs the CLI in the bicep/ folder (so bicepconfig.json applies) and returns its exit code and all it printed.</summary>
    public static (int ExitCode, string Output) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = BicepFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // No telemetry, and no attempt to reach a registry: the templates use no registry modules.
        start.Environment["BICEP_TELEMETRY_ENABLED"] = "false";
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish in 3 minutes.");
        }

        process.WaitForExit();
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Find()
    {
        var path = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == "BicepCli")?.Value;
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            throw new InvalidOperationException(
                $"The Bicep CLI is not at '{path}'. It comes from the PackageDownload Azure.Bicep.CommandLine.linux-x64 of OneValet.Tests.csproj (restore the test project).");
        }

        // NuGet extracts the file without the execute bit on some machines.
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & UnixFileMode.UserExecute) == 0)
            {
                File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            }
        }

        return path;
    }
}
