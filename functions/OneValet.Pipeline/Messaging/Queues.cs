namespace OneValet.Pipeline.Messaging;

/// <summary>
/// Every message queue of the pipeline: Service Bus queues in Azure, Azurite queues on the local host (same names).
/// Bicep creates the Service Bus entities from this list (a test cross-checks it).
/// </summary>
public static class Queues
{
    /// <summary>One message per recipient and notification; the dispatcher sends the email (O13, O14, O16).</summary>
    public const string Notifications = "notifications";

    /// <summary>A shared setting of a unit changed; fanned out to the unit's other residents (O13).</summary>
    public const string SettingChanges = "setting-changes";

    public static IReadOnlyList<string> All { get; } = [Notifications, SettingChanges];
}
