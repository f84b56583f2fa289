using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace OneValet.Tests.Durable;

/// <summary>
/// Entry point of this test assembly when run as a program (test runners load it as a library).
/// <c>dotnet OneValet.Tests.dll durable-child HUB INSTANCE</c> starts a local host on task hub HUB,
/// schedules a probe orchestration with a 3 s timer as INSTANCE, prints <c>TIMER</c> once the timer is
/// pending and then waits to be killed. Used by <see cref="LocalDurableKillTests"/>.
/// </summary>
public static class DurableChildProgram
{
    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length != 3 || args[0] != "durable-child")
        {
            await Console.Error.WriteLineAsync("usage: OneValet.Tests durable-child HUB INSTANCE");
            return 2;
        }

        var app = await LocalDurableTestApp.StartAsync(args[1], output: null);
        await app.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(ProbeOrchestrator), new ProbeInput("killed", TimerSeconds: 3), new StartOrchestrationOptions(InstanceId: args[2]));
        for (int i = 0; i < 300; i++)
        {
            var state = await app.Client.GetInstanceAsync(args[2], getInputsAndOutputs: true);
            if (state?.SerializedCustomStatus == "\"timer\"")
            {
                Console.WriteLine("TIMER");
                await Task.Delay(Timeout.Infinite);
            }

            await Task.Delay(100);
        }

        await Console.Error.WriteLineAsync("the timer never became pending");
        return 1;
    }
}
