using System.Diagnostics;
using Microsoft.DurableTask.Client;
using OneValet.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OneValet.Tests.Durable;

/// <summary>An orchestration outlives a local host killed with SIGKILL while its timer is pending.</summary>
public sealed class LocalDurableKillTests(AzuriteFixture azurite, TaskHubFixture hub, ITestOutputHelper output)
    : IClassFixture<AzuriteFixture>, IClassFixture<TaskHubFixture>
{
    [Fact]
    public async Task OrchestrationCompletesAfterTheHostIsKilled()
    {
        Assert.NotNull(azurite);
        string id = "kill-" + Guid.NewGuid().ToString("N");
        var start = new ProcessStartInfo("dotnet", [typeof(DurableChildProgram).Assembly.Location, "durable-child", hub.Name, id])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using (var child = Process.Start(start) ?? throw new InvalidOperationException("could not start the child host"))
        {
            var stderr = child.StandardError.ReadToEndAsync();
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                string? line;
                while ((line = await child.StandardOutput.ReadLineAsync(timeout.Token)) != "TIMER")
                {
                    Assert.True(line is not null, $"the child host ended before its timer was pending: {await stderr}");
                }
            }
            finally
            {
                child.Kill(); // SIGKILL
                await child.WaitForExitAsync();
            }

            output.WriteLine($"child host killed, exit code {child.ExitCode}");
        }

        await using var app = await LocalDurableTestApp.StartAsync(hub.Name, output);
        var clock = Stopwatch.StartNew();
        var done = await LocalDurableTaskHubTests.WaitAsync(app.Client, id);
        output.WriteLine($"completed {clock.Elapsed.TotalMilliseconds:F0} ms after the new host started");

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("[DELLIK]", done.ReadOutputAs<string>());
    }
}
