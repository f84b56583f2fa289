using System.Reflection;
using Microsoft.Azure.Functions.Worker;
using OneValet.Functions.Durable;
using OneValet.Pipeline.Durable;
using Xunit;

namespace OneValet.Tests.Functions;

/// <summary>Both hosts run the same orchestrators and activities: one Functions trigger per entry of <see cref="DurableTasks"/>.</summary>
public sealed class DurableTriggersTests
{
    [Fact]
    public void Every_registered_orchestrator_and_activity_has_a_trigger_of_the_right_kind_and_no_other_exists()
    {
        var methods = typeof(DurableTriggers).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Select(m => (Name: m.GetCustomAttribute<FunctionAttribute>()?.Name, Parameters: m.GetParameters()))
            .Where(m => m.Name is not null)
            .ToList();
        var orchestrations = methods.Where(m => m.Parameters.Any(p => p.GetCustomAttribute<OrchestrationTriggerAttribute>() is not null)).Select(m => m.Name!).Order();
        var activities = methods.Where(m => m.Parameters.Any(p => p.GetCustomAttribute<ActivityTriggerAttribute>() is not null)).Select(m => m.Name!).Order();
        Assert.Equal(DurableTasks.Orchestrators.Select(t => t.Name).Order(), orchestrations);
        Assert.Equal(DurableTasks.Activities.Select(t => t.Name).Order(), activities);
    }
}
