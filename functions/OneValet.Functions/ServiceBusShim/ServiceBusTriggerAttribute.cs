// BUILD SHIM, compiled only when the project is built WITHOUT -p:ServiceBusExtension=true (README, "The Service Bus build
// switch"). This machine's package feed does not serve Microsoft.Azure.Functions.Worker.Extensions.ServiceBus; these two
// types have the shape of that package's public API, so the Functions app's Service Bus triggers compile and the Worker
// SDK writes their serviceBusTrigger bindings into functions.metadata (a test checks them). A shim build cannot run Service
// Bus triggers (it registers no Service Bus extension with the host); the deploy workflow builds with the switch on, from
// the public feed, and then the real package replaces this folder.
using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;

namespace Microsoft.Azure.Functions.Worker;

/// <summary>Shape of the real ServiceBusTriggerAttribute (queue form).</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class ServiceBusTriggerAttribute(string queueName) : TriggerBindingAttribute
{
    public string? Connection { get; set; }

    public string QueueName { get; } = queueName;

    public bool IsSessionsEnabled { get; set; }

    public bool IsBatched { get; set; }

    public bool AutoCompleteMessages { get; set; } = true;
}
