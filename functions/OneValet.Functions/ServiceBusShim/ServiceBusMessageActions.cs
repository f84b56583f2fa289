// BUILD SHIM: see ServiceBusTriggerAttribute.cs in this folder.
using Azure.Messaging.ServiceBus;

namespace Microsoft.Azure.Functions.Worker;

/// <summary>Shape of the real ServiceBusMessageActions: a protected constructor and virtual members, as in the package
/// (which makes them for tests to override). The shim's members say plainly that a shim build cannot settle messages.</summary>
public class ServiceBusMessageActions
{
    protected ServiceBusMessageActions()
    {
    }

    public virtual Task CompleteMessageAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default) =>
        throw NotInShimBuild();

    public virtual Task AbandonMessageAsync(ServiceBusReceivedMessage message, IDictionary<string, object>? propertiesToModify = default, CancellationToken cancellationToken = default) =>
        throw NotInShimBuild();

    public virtual Task DeadLetterMessageAsync(
        ServiceBusReceivedMessage message,
        Dictionary<string, object>? propertiesToModify = default,
        string? deadLetterReason = default,
        string? deadLetterErrorDescription = default,
        CancellationToken cancellationToken = default) =>
        throw NotInShimBuild();

    private static NotSupportedException NotInShimBuild() =>
        new("This build has the Service Bus shim; build with -p:ServiceBusExtension=true to run Service Bus triggers.");
}
