using System.Text.Json.Nodes;
using Azure.Messaging.ServiceBus;
using Microsoft.Azure.Functions.Worker;
using OneValet.Functions.Messaging;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Messaging;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Functions;

/// <summary>
/// The Functions app's Service Bus side, tested here without a Functions host: the generated metadata binds each queue with
/// the real serviceBusTrigger shape, and the triggers settle messages made with <see cref="ServiceBusModelFactory"/> as the
/// shared handlers say (dead-letter with the reason, complete).
/// </summary>
public sealed class MessagingFunctionsTests
{
    [Theory]
    [InlineData("HandleNotification", Queues.Notifications)]
    [InlineData("HandleSettingChange", Queues.SettingChanges)]
    public void The_generated_metadata_has_a_service_bus_trigger_per_queue_by_identity_connection(string function, string queue)
    {
        var metadata = JsonNode.Parse(File.ReadAllText(RepositoryPaths.ProjectOutput("OneValet.Functions", "functions.metadata")))!.AsArray();
        var entry = metadata.Single(f => f!["name"]!.GetValue<string>() == function)!;
        var trigger = entry["bindings"]!.AsArray().Single(b => b!["type"]!.GetValue<string>() == "serviceBusTrigger")!;
        Assert.Equal(queue, trigger["queueName"]!.GetValue<string>());
        Assert.Equal("ServiceBus", trigger["connection"]!.GetValue<string>());
        Assert.False(trigger["autoCompleteMessages"]!.GetValue<bool>());
    }

    [Fact]
    public void Every_queue_has_a_trigger()
    {
        var metadata = JsonNode.Parse(File.ReadAllText(RepositoryPaths.ProjectOutput("OneValet.Functions", "functions.metadata")))!.AsArray();
        var queues = metadata.SelectMany(f => f!["bindings"]!.AsArray()).Where(b => b!["type"]!.GetValue<string>() == "serviceBusTrigger").Select(b => b!["queueName"]!.GetValue<string>());
        Assert.Equal(Queues.All.Order(), queues.Order());
    }

    [Fact]
    public async Task A_malformed_message_is_dead_lettered_with_its_reason()
    {
        await using var h = await PipelineHarness.StartAsync();
        var functions = new MessagingFunctions(h.Get<MessageHandlers>());
        var actions = new RecordingActions();
        var message = ServiceBusModelFactory.ServiceBusReceivedMessage(body: BinaryData.FromString("{not json"), messageId: "m-1", deliveryCount: 1);
        await functions.HandleNotificationAsync(message, actions, default);
        Assert.Equal(("dead-letter", "malformed-notification"), Assert.Single(actions.Calls));
    }

    [Fact]
    public async Task A_setting_change_for_an_empty_unit_completes()
    {
        await using var h = await PipelineHarness.StartAsync();
        var functions = new MessagingFunctions(h.Get<MessageHandlers>());
        var actions = new RecordingActions();
        var change = new OneValet.Pipeline.Disclosures.SettingChanged("chg-1", "b-1", "u-1", "thermostat-setpoint", null, DateTimeOffset.UtcNow);
        var message = ServiceBusModelFactory.ServiceBusReceivedMessage(body: BinaryData.FromObjectAsJson(change, ApiJson.Options), messageId: "chg-1", deliveryCount: 1);
        await functions.HandleSettingChangeAsync(message, actions, default);
        Assert.Equal(("complete", (string?)null), Assert.Single(actions.Calls));
    }

    /// <summary>Overrides the virtual settlement members, as the real package intends for tests.</summary>
    private sealed class RecordingActions : ServiceBusMessageActions
    {
        public List<(string Action, string? Reason)> Calls { get; } = [];

        public override Task CompleteMessageAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default)
        {
            Calls.Add(("complete", null));
            return Task.CompletedTask;
        }

        public override Task AbandonMessageAsync(ServiceBusReceivedMessage message, IDictionary<string, object>? propertiesToModify = null, CancellationToken cancellationToken = default)
        {
            Calls.Add(("abandon", null));
            return Task.CompletedTask;
        }

        public override Task DeadLetterMessageAsync(ServiceBusReceivedMessage message, Dictionary<string, object>? propertiesToModify = null, string? deadLetterReason = null, string? deadLetterErrorDescription = null, CancellationToken cancellationToken = default)
        {
            Calls.Add(("dead-letter", deadLetterReason));
            return Task.CompletedTask;
        }
    }
}
