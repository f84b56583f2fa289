using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using OneValet.Pipeline.Breaches;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Retention;

namespace OneValet.Functions.Durable;

/// <summary>
/// One trigger per orchestrator and activity of <see cref="Pipeline.Durable.DurableTasks"/>, written as the Durable Task
/// source generator would write them (that generator is not served by this project's package feed): each trigger hands
/// the call to the class-based orchestrator or activity that the local host registers too. A test checks both lists agree.
/// </summary>
public static class DurableTriggers
{
    private static readonly ITaskOrchestrator BucketOrchestrator = new RetentionBucketOrchestrator();
    private static readonly ITaskOrchestrator DueOrchestrator = new EnforceDueOrchestrator();
    private static readonly ITaskOrchestrator BreachOrchestrator = new BreachCampaignOrchestrator();
    private static readonly ITaskOrchestrator RequestOrchestrator = new PrivacyRequestOrchestrator();

    [Function(nameof(RetentionBucketOrchestrator))]
    public static async Task<int> RunRetentionBucketOrchestratorAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return (int)(await BucketOrchestrator.RunAsync(context, context.GetInput<BucketTimerInput>()) ?? 0);
    }

    [Function(nameof(EnforceDueOrchestrator))]
    public static async Task<int> RunEnforceDueOrchestratorAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return (int)(await DueOrchestrator.RunAsync(context, context.GetInput<string>()) ?? 0);
    }

    [Function(nameof(BreachCampaignOrchestrator))]
    public static async Task<string> RunBreachCampaignOrchestratorAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return (string)(await BreachOrchestrator.RunAsync(context, context.GetInput<BreachCampaignState>()) ?? string.Empty);
    }

    [Function(nameof(PrivacyRequestOrchestrator))]
    public static async Task<string> RunPrivacyRequestOrchestratorAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return (string)(await RequestOrchestrator.RunAsync(context, context.GetInput<string>()) ?? string.Empty);
    }

    [Function(nameof(AcknowledgeRequestActivity))]
    public static async Task<RequestPlan> RunAcknowledgeRequestActivityAsync([ActivityTrigger] string input, string instanceId, FunctionContext executionContext) =>
        (RequestPlan)(await RunActivityAsync<AcknowledgeRequestActivity>(input, instanceId, executionContext).ConfigureAwait(false))!;

    [Function(nameof(IssueVerificationCodeActivity))]
    public static async Task<DateTime> RunIssueVerificationCodeActivityAsync([ActivityTrigger] string input, string instanceId, FunctionContext executionContext) =>
        (DateTime)(await RunActivityAsync<IssueVerificationCodeActivity>(input, instanceId, executionContext).ConfigureAwait(false))!;

    [Function(nameof(AwaitManualVerificationActivity))]
    public static async Task<DateTime> RunAwaitManualVerificationActivityAsync([ActivityTrigger] string input, string instanceId, FunctionContext executionContext) =>
        (DateTime)(await RunActivityAsync<AwaitManualVerificationActivity>(input, instanceId, executionContext).ConfigureAwait(false))!;

    [Function(nameof(AwaitOpenAccessActivity))]
    public static async Task<DateTime?> RunAwaitOpenAccessActivityAsync([ActivityTrigger] string input, string instanceId, FunctionContext executionContext) =>
        (DateTime?)await RunActivityAsync<AwaitOpenAccessActivity>(input, instanceId, executionContext).ConfigureAwait(false);

    [Function(nameof(DoRequestWorkActivity))]
    public static async Task<WorkResult> RunDoRequestWorkActivityAsync([ActivityTrigger] string input, string instanceId, FunctionContext executionContext) =>
        (WorkResult)(await RunActivityAsync<DoRequestWorkActivity>(input, instanceId, executionContext).ConfigureAwait(false))!;

    [Function(nameof(RedactAccessFootageActivity))]
    public static async Task<bool> RunRedactAccessFootageActivityAsync([ActivityTrigger] FootageItemRef input, string instanceId, FunctionContext executionContext) =>
        (bool)(await RunActivityAsync<RedactAccessFootageActivity>(input, instanceId, executionContext).ConfigureAwait(false))!;

    [Function(nameof(CompleteAccessActivity))]
    public static async Task<WorkResult> RunCompleteAccessActivityAsync([ActivityTrigger] string input, string instanceId, FunctionContext executionContext) =>
        (WorkResult)(await RunActivityAsync<CompleteAccessActivity>(input, instanceId, executionContext).ConfigureAwait(false))!;

    [Function(nameof(EscalateCorrectionActivity))]
    public static async Task<DateTime> RunEscalateCorrectionActivityAsync([ActivityTrigger] string input, string instanceId, FunctionContext executionContext) =>
        (DateTime)(await RunActivityAsync<EscalateCorrectionActivity>(input, instanceId, executionContext).ConfigureAwait(false))!;

    [Function(nameof(RecordCorrectionOutcomeActivity))]
    public static async Task<WorkResult> RunRecordCorrectionOutcomeActivityAsync([ActivityTrigger] CorrectionAnswer input, string instanceId, FunctionContext executionContext) =>
        (WorkResult)(await RunActivityAsync<RecordCorrectionOutcomeActivity>(input, instanceId, executionContext).ConfigureAwait(false))!;

    [Function(nameof(CloseRequestActivity))]
    public static async Task<bool> RunCloseRequestActivityAsync([ActivityTrigger] RequestClose input, string instanceId, FunctionContext executionContext) =>
        (bool)(await RunActivityAsync<CloseRequestActivity>(input, instanceId, executionContext).ConfigureAwait(false))!;

    [Function(nameof(NotifyAffectedPageActivity))]
    public static async Task<FanOutCursor?> RunNotifyAffectedPageActivityAsync([ActivityTrigger] FanOutCursor input, string instanceId, FunctionContext executionContext) =>
        (FanOutCursor?)await RunActivityAsync<NotifyAffectedPageActivity>(input, instanceId, executionContext).ConfigureAwait(false);

    [Function(nameof(FinishFanOutActivity))]
    public static async Task<DateTime> RunFinishFanOutActivityAsync([ActivityTrigger] string input, string instanceId, FunctionContext executionContext) =>
        (DateTime)(await RunActivityAsync<FinishFanOutActivity>(input, instanceId, executionContext).ConfigureAwait(false))!;

    [Function(nameof(EscalateUndeliveredActivity))]
    public static async Task<long> RunEscalateUndeliveredActivityAsync([ActivityTrigger] string input, string instanceId, FunctionContext executionContext) =>
        (long)(await RunActivityAsync<EscalateUndeliveredActivity>(input, instanceId, executionContext).ConfigureAwait(false))!;

    [Function(nameof(EnforceBucketActivity))]
    public static async Task<BucketOutcome> RunEnforceBucketActivityAsync([ActivityTrigger] string input, string instanceId, FunctionContext executionContext) =>
        (BucketOutcome)(await RunActivityAsync<EnforceBucketActivity>(input, instanceId, executionContext).ConfigureAwait(false))!;

    [Function(nameof(EnforceDueActivity))]
    public static async Task<int> RunEnforceDueActivityAsync([ActivityTrigger] string input, string instanceId, FunctionContext executionContext) =>
        (int)(await RunActivityAsync<EnforceDueActivity>(input, instanceId, executionContext).ConfigureAwait(false))!;

    private static Task<object?> RunActivityAsync<TActivity>(object? input, string instanceId, FunctionContext executionContext)
        where TActivity : ITaskActivity
    {
        ArgumentNullException.ThrowIfNull(executionContext);
        ITaskActivity activity = ActivatorUtilities.GetServiceOrCreateInstance<TActivity>(executionContext.InstanceServices);
        return activity.RunAsync(new FunctionActivityContext(typeof(TActivity).Name, instanceId), input);
    }

    private sealed class FunctionActivityContext(TaskName name, string instanceId) : TaskActivityContext
    {
        public override TaskName Name => name;

        public override string InstanceId => instanceId;
    }
}
