using System.Diagnostics;
using DurableTask.Core.Exceptions;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using OneValet.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OneValet.Tests.Durable;

/// <summary>The local durable task hub on Azurite, end to end through the sidecar, worker and client.</summary>
public sealed class LocalDurableTaskHubTests(AzuriteFixture azurite, TaskHubFixture hub, ITestOutputHelper output)
    : IClassFixture<AzuriteFixture>, IClassFixture<TaskHubFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task OrchestrationWithThreeActivitiesAndATimerCompletes()
    {
        Assert.NotNull(azurite);
        await using var app = await LocalDurableTestApp.StartAsync(hub.Name, output);

        var clock = Stopwatch.StartNew();
        string id = await app.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ProbeOrchestrator), new ProbeInput("hello", TimerSeconds: 1));
        var done = await WaitAsync(app.Client, id);
        clock.Stop();

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("[OLLEH]", done.ReadOutputAs<string>());
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1), $"finished in {clock.Elapsed}, before its 1 s timer");
        output.WriteLine($"start {app.StartTime.TotalMilliseconds:F0} ms; with 1 s timer: {clock.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task MeasuresStartLatencyAndStop()
    {
        var app = await LocalDurableTestApp.StartAsync(hub.Name, output);
        try
        {
            var latencies = new List<double>();
            for (int i = 0; i < 6; i++)
            {
                var clock = Stopwatch.StartNew();
                string id = await app.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ProbeOrchestrator), new ProbeInput($"run{i}"));
                var done = await WaitAsync(app.Client, id);
                latencies.Add(clock.Elapsed.TotalMilliseconds);
                Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
                Assert.Equal($"[{i}NUR]", done.ReadOutputAs<string>());
            }

            var warm = latencies.Skip(1).Order().ToList();
            output.WriteLine(
                $"hub start {app.StartTime.TotalMilliseconds:F0} ms; first orchestration (cold) {latencies[0]:F0} ms; " +
                $"warm schedule->completed (3 activities) median {warm[warm.Count / 2]:F0} ms, min {warm[0]:F0}, max {warm[^1]:F0}");
        }
        finally
        {
            var stop = await app.StopAsync();
            output.WriteLine($"stop {stop.TotalMilliseconds:F0} ms");
            Assert.True(stop < TimeSpan.FromSeconds(10), $"stop took {stop}");
        }
    }

    /// <summary>
    /// A start with an instance id that a pending, running or suspended instance holds is refused with
    /// <see cref="OrchestrationAlreadyExistsException"/>; once the instance has finished, the same id
    /// starts a new run that replaces it (the Durable Functions default).
    /// </summary>
    [Fact]
    public async Task StartingAFixedInstanceIdTwiceDoesNotDuplicateIt()
    {
        await using var app = await LocalDurableTestApp.StartAsync(hub.Name, output);
        string id = "dup-" + Guid.NewGuid().ToString("N");
        var options = new StartOrchestrationOptions(InstanceId: id);

        Assert.Equal(id, await app.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ProbeOrchestrator), new ProbeInput("first", TimerSeconds: 2), options));
        await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(
            () => app.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ProbeOrchestrator), new ProbeInput("second"), options));

        var done = await WaitAsync(app.Client, id);
        Assert.Equal("[TSRIF]", done.ReadOutputAs<string>());
        Assert.Equal(1, await CountAsync(app.Client, id));

        // Finished: the id may be used again, and the new run replaces the old one.
        await app.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ProbeOrchestrator), new ProbeInput("third"), options);
        done = await WaitAsync(app.Client, id);
        Assert.Equal("[DRIHT]", done.ReadOutputAs<string>());
        Assert.Equal(1, await CountAsync(app.Client, id));
    }

    [Fact]
    public async Task CompletedInstancesCanBePurgedWithAFilter()
    {
        await using var app = await LocalDurableTestApp.StartAsync(hub.Name, output);
        var from = DateTimeOffset.UtcNow.AddSeconds(-1);
        var ids = new List<string>();
        for (int i = 0; i < 2; i++)
        {
            string id = await app.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ProbeOrchestrator), new ProbeInput($"purge{i}"));
            Assert.Equal(OrchestrationRuntimeStatus.Completed, (await WaitAsync(app.Client, id)).RuntimeStatus);
            ids.Add(id);
        }

        // The provider needs CreatedFrom in a purge filter.
        var result = await app.Client.PurgeAllInstancesAsync(
            new PurgeInstancesFilter(CreatedFrom: from, CreatedTo: DateTimeOffset.UtcNow, Statuses: [OrchestrationRuntimeStatus.Completed]));

        Assert.True(result.PurgedInstanceCount >= ids.Count, $"purged {result.PurgedInstanceCount}");
        foreach (string id in ids)
        {
            Assert.Null(await app.Client.GetInstanceAsync(id));
        }
    }

    /// <summary>Needs the wrapper's fixes of the sidecar's sub-orchestration records (tags, history event type).</summary>
    [Fact]
    public async Task SubOrchestrationCompletes()
    {
        await using var app = await LocalDurableTestApp.StartAsync(hub.Name, output);
        string id = await app.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ParentOrchestrator), "child");
        var done = await WaitAsync(app.Client, id);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("[DLIHC]", done.ReadOutputAs<string>());
    }

    private static async Task<int> CountAsync(DurableTaskClient client, string idPrefix)
    {
        int count = 0;
        await foreach (var _ in client.GetAllInstancesAsync(new OrchestrationQuery(InstanceIdPrefix: idPrefix)))
        {
            count++;
        }

        return count;
    }

    internal static async Task<OrchestrationMetadata> WaitAsync(DurableTaskClient client, string id)
    {
        using var timeout = new CancellationTokenSource(Patience);
        return await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
    }
}
