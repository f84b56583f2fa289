using System.Collections.Concurrent;
using Microsoft.DurableTask;

namespace OneValet.Tests.Durable;

/// <summary>Input of <see cref="ProbeOrchestrator"/>.</summary>
/// <param name="Text">Text the three activities transform.</param>
/// <param name="TimerSeconds">Length of the durable timer between the first and second activity (0: none).</param>
/// <param name="SlowMilliseconds">How long the second activity works.</param>
public sealed record ProbeInput(string Text, int TimerSeconds = 0, int SlowMilliseconds = 0);

/// <summary>Input of <see cref="SlowReverseActivity"/>.</summary>
public sealed record SlowInput(string Text, int Milliseconds);

/// <summary>
/// Three class-based activities called by name, with an optional durable timer between the first two.
/// Its custom status tells a test where it is: "timer" while the timer is pending, "slow" once the slow
/// activity is scheduled. For "hello" it returns "[OLLEH]".
/// </summary>
public sealed class ProbeOrchestrator : TaskOrchestrator<ProbeInput, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, ProbeInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        string upper = await context.CallActivityAsync<string>(nameof(UpperActivity), input.Text);
        if (input.TimerSeconds > 0)
        {
            context.SetCustomStatus("timer");
            await context.CreateTimer(TimeSpan.FromSeconds(input.TimerSeconds), CancellationToken.None);
        }

        context.SetCustomStatus("slow");
        string reversed = await context.CallActivityAsync<string>(nameof(SlowReverseActivity), new SlowInput(upper, input.SlowMilliseconds));
        string wrapped = await context.CallActivityAsync<string>(nameof(WrapActivity), reversed);
        context.SetCustomStatus("done");
        return wrapped;
    }
}

public sealed class UpperActivity : TaskActivity<string, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, string input) =>
        Task.FromResult(input.ToUpperInvariant());
}

public sealed class SlowReverseActivity : TaskActivity<SlowInput, string>
{
    /// <summary>How many times the activity started, per orchestration instance.</summary>
    public static ConcurrentDictionary<string, int> Starts { get; } = new();

    public override async Task<string> RunAsync(TaskActivityContext context, SlowInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        Starts.AddOrUpdate(context.InstanceId, 1, (_, n) => n + 1);
        if (input.Milliseconds > 0)
        {
            await Task.Delay(input.Milliseconds);
        }

        char[] chars = input.Text.ToCharArray();
        Array.Reverse(chars);
        return new string(chars);
    }
}

public sealed class WrapActivity : TaskActivity<string, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, string input) =>
        Task.FromResult($"[{input}]");
}

/// <summary>Registers the probe tasks with a worker.</summary>
public static class ProbeTasks
{
    public static void Register(DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.AddOrchestrator<ProbeOrchestrator>();
        registry.AddOrchestrator<ParentOrchestrator>();
        registry.AddActivity<UpperActivity>();
        registry.AddActivity<SlowReverseActivity>();
        registry.AddActivity<WrapActivity>();
    }
}

/// <summary>Runs <see cref="ProbeOrchestrator"/> as a sub-orchestration.</summary>
public sealed class ParentOrchestrator : TaskOrchestrator<string, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
    {
        ArgumentNullException.ThrowIfNull(context);
        return await context.CallSubOrchestratorAsync<string>(nameof(ProbeOrchestrator), new ProbeInput(input));
    }
}
