using System.Diagnostics;
using Microsoft.DurableTask.Client;
using OneValet.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OneValet.Tests.Durable;

/// <summary>
/// Orchestrations outlive the host: stop the local host in the middle of one, start a new one on the
/// same task hub, and it completes.
/// </summary>
public sealed class LocalDurableRestartTests(AzuriteFixture azurite, TaskHubFixture hub, ITestOutputHelper output)
    : IClassFixture<AzuriteFixture>, IClassFixture<TaskHubFixture>
{
    [Fact]
    public async Task OrchestrationCompletesAfterARestartWhileItsTimerIsPending()
    {
        Assert.NotNull(azurite);
        string id;
        var first = await LocalDurableTestApp.StartAsync(hub.Name, output);
        try
        {
            id = await first.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ProbeOrchestrator), new ProbeInput("timer", TimerSeconds: 3));
            await WaitForCustomStatusAsync(first.Client, id, "\"timer\"");
        }
        finally
        {
            output.WriteLine($"first host stopped in {(await first.StopAsync()).TotalMilliseconds:F0} ms");
        }

        await using var second = await LocalDurableTestApp.StartAsync(hub.Name, output);
        var clock = Stopwatch.StartNew();
        var done = await LocalDurableTaskHubTests.WaitAsync(second.Client, id);
        output.WriteLine($"second host started in {second.StartTime.TotalMilliseconds:F0} ms; completed {clock.Elapsed.TotalMilliseconds:F0} ms later");

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("[REMIT]", done.ReadOutputAs<string>());
    }

    /// <summary>
    /// The activity running at the stop is handed back to the queue, so the next host runs it again
    /// at once rather than after the queue's 5-minute visibility timeout.
    /// </summary>
    [Fact]
    public async Task OrchestrationCompletesSoonAfterARestartWhileAnActivityRuns()
    {
        string id;
        var first = await LocalDurableTestApp.StartAsync(hub.Name, output);
        try
        {
            id = await first.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ProbeOrchestrator), new ProbeInput("busy", SlowMilliseconds: 3000));
            await WaitForCustomStatusAsync(first.Client, id, "\"slow\"");
            for (int i = 0; i < 100 && !SlowReverseActivity.Starts.ContainsKey(id); i++)
            {
                await Task.Delay(50);
            }

            Assert.True(SlowReverseActivity.Starts.ContainsKey(id), "the slow activity did not start");
        }
        finally
        {
            output.WriteLine($"first host stopped in {(await first.StopAsync()).TotalMilliseconds:F0} ms");
        }

        await using var second = await LocalDurableTestApp.StartAsync(hub.Name, output);
        var clock = Stopwatch.StartNew();
        var done = await LocalDurableTaskHubTests.WaitAsync(second.Client, id);
        output.WriteLine($"completed {clock.Elapsed.TotalMilliseconds:F0} ms after the second host started; slow activity started {SlowReverseActivity.Starts[id]} times");

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("[YSUB]", done.ReadOutputAs<string>());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    private static async Task WaitForCustomStatusAsync(DurableTaskClient client, string id, string status)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            var state = await client.GetInstanceAsync(id, getInputsAndOutputs: true);
            if (state?.SerializedCustomStatus == status)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{id} never reported custom status {status}.");
    }
}
