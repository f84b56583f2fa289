using System.Diagnostics;
using System.Text;
using OneValet.Tests.Infrastructure;

namespace OneValet.Tests.Contract;

/// <summary>
/// Redocly CLI from infra/node_modules (npm <c>@redocly/cli</c>, pinned in infra/package.json, installed by infra/install.sh).
/// Runs offline: telemetry and the update check are off, the ruleset is the built-in <c>recommended</c> one and the
/// document has no external references, so nothing is fetched.
/// </summary>
internal static class RedoclyCli
{
    public static string Executable => RepositoryPaths.InfraBin("redocly");

    public static (int ExitCode, string Output, string Errors) Run(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        start.Environment["NO_COLOR"] = "1";

        // Any attempt to reach the network fails fast instead of passing by luck: no proxy, and an unroutable one.
        start.Environment["HTTP_PROXY"] = "http://127.0.0.1:9";
        start.Environment["HTTPS_PROXY"] = "http://127.0.0.1:9";
        var output = new StringBuilder();
        var errors = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(errors, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("redocly did not finish in 3 minutes");
        }

        process.WaitForExit();
        return (process.ExitCode, output.ToString(), errors.ToString());
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }
}
