using Microsoft.DurableTask;

namespace OneValet.Pipeline.Durable;

/// <summary>
/// Every orchestrator and activity of the pipeline, registered once here and used by both hosts:
/// the local host's Durable Task worker calls <see cref="Register"/>, and the Functions app declares
/// one trigger per entry (a test checks that the two lists agree).
/// </summary>
public static class DurableTasks
{
    /// <summary>Adds every orchestrator and activity to a registry.</summary>
    public static void Register(DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        foreach (var type in Orchestrators)
        {
            registry.AddOrchestrator(type);
        }

        foreach (var type in Activities)
        {
            registry.AddActivity(type);
        }
    }

    /// <summary>Class-based orchestrators.</summary>
    public static IReadOnlyList<Type> Orchestrators { get; } =
    [
        typeof(Retention.RetentionBucketOrchestrator),
        typeof(Retention.EnforceDueOrchestrator),
        typeof(Breaches.BreachCampaignOrchestrator),
        typeof(Requests.PrivacyRequestOrchestrator),
    ];

    /// <summary>Class-based activities.</summary>
    public static IReadOnlyList<Type> Activities { get; } =
    [
        typeof(Retention.EnforceBucketActivity),
        typeof(Retention.EnforceDueActivity),
        typeof(Breaches.NotifyAffectedPageActivity),
        typeof(Breaches.FinishFanOutActivity),
        typeof(Breaches.EscalateUndeliveredActivity),
        typeof(Requests.AcknowledgeRequestActivity),
        typeof(Requests.IssueVerificationCodeActivity),
        typeof(Requests.AwaitOpenAccessActivity),
        typeof(Requests.AwaitManualVerificationActivity),
        typeof(Requests.DoRequestWorkActivity),
        typeof(Requests.RedactAccessFootageActivity),
        typeof(Requests.CompleteAccessActivity),
        typeof(Requests.EscalateCorrectionActivity),
        typeof(Requests.RecordCorrectionOutcomeActivity),
        typeof(Requests.CloseRequestActivity),
    ];
}
