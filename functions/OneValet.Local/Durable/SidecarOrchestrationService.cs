using System.Collections.Concurrent;
using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTask.Core.History;
using DurableTask.Core.Query;
using Microsoft.Extensions.Logging;

namespace OneValet.Local.Durable;

/// <summary>
/// The Azure Storage orchestration service as the gRPC sidecar sees it. Everything is passed through,
/// except what makes the sidecar's own lifecycle safe and fast on this backend:
/// <list type="bullet">
/// <item><see cref="StartAsync()"/> runs once; <see cref="StopAsync(bool)"/> is a no-op before a start and
/// coalesces concurrent calls. The sidecar calls both from <c>async void</c> handlers, where an exception
/// (the provider throws on a stop without a start) would end the process.</item>
/// <item>Work items handed to the sidecar are tracked until completed or released; a stop abandons the
/// ones still out, so their messages become visible again at once instead of after the queue visibility
/// timeout (5 minutes) and a restarted host resumes them right away.</item>
/// <item>Durable timers fire at or after their due time (0–1 s late) instead of up to 1 s early: see
/// <see cref="CompleteTaskOrchestrationWorkItemAsync"/>.</item>
/// <item><see cref="WaitForOrchestrationAsync"/> polls every 100–500 ms instead of the provider's 2 s.</item>
/// <item>A start without deduplication statuses (the SDK's default) is refused while an instance with the
/// same id is pending, running or suspended, as Durable Functions does by default: the provider alone
/// would overwrite the running instance's status with a new execution. A completed, failed or terminated
/// instance is replaced. The refusal reaches the client as <c>OrchestrationAlreadyExistsException</c>
/// (with <c>ThrowExceptionOnInvalidDedupeStatus</c> set on the provider).</item>
/// </list>
/// </summary>
internal sealed partial class SidecarOrchestrationService :
    IOrchestrationService,
    IOrchestrationServiceClient,
    IOrchestrationServiceQueryClient,
    IOrchestrationServicePurgeClient,
    IDisposable
{
    /// <summary>The statuses a start with a taken instance id is refused in, unless the caller gives others.</summary>
    private static readonly OrchestrationStatus[] NotFinished =
        [OrchestrationStatus.Pending, OrchestrationStatus.Running, OrchestrationStatus.Suspended];

    private static readonly TimeSpan FirstWaitPoll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LastWaitPoll = TimeSpan.FromMilliseconds(500);

    private readonly AzureStorageOrchestrationService inner;
    private readonly ILogger logger;
    private readonly SemaphoreSlim lifecycle = new(1, 1);
    private readonly ConcurrentDictionary<TaskActivityWorkItem, byte> activitiesOut = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentDictionary<TaskOrchestrationWorkItem, byte> orchestrationsOut = new(ReferenceEqualityComparer.Instance);
    private readonly string taskHub;
    private readonly string workerId;
    private bool started;
    private bool disposed;

    public SidecarOrchestrationService(
        AzureStorageOrchestrationService inner, string taskHub, string workerId, ILogger<SidecarOrchestrationService> logger)
    {
        this.inner = inner ?? throw new ArgumentNullException(nameof(inner));
        this.taskHub = taskHub;
        this.workerId = workerId;
        this.logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>The wrapped provider.</summary>
    public AzureStorageOrchestrationService Inner => this.inner;

    /// <summary>Whether the provider's background work (lease management, queue listeners) is running.</summary>
    public bool IsStarted => Volatile.Read(ref this.started);

    // ---- lifecycle -------------------------------------------------------------------------------

    public async Task StartAsync()
    {
        await this.lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (this.started || this.disposed)
            {
                return;
            }

            await this.inner.StartAsync().ConfigureAwait(false);
            Volatile.Write(ref this.started, true);
            LogStarted(this.logger, this.taskHub, this.workerId);
        }
        catch (Exception e)
        {
            // Called from the sidecar's async void handler: never let it escape.
            LogStartFailed(this.logger, e, this.taskHub);
        }
        finally
        {
            this.lifecycle.Release();
        }
    }

    public Task StopAsync() => this.StopAsync(isForced: false);

    public async Task StopAsync(bool isForced)
    {
        await this.lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!this.started || this.disposed)
            {
                return;
            }

            await this.AbandonOutstandingAsync().ConfigureAwait(false);
            await this.inner.StopAsync(isForced).ConfigureAwait(false);
            Volatile.Write(ref this.started, false);
            LogStopped(this.logger, this.taskHub);
        }
        catch (Exception e)
        {
            LogStopFailed(this.logger, e, this.taskHub);
        }
        finally
        {
            this.lifecycle.Release();
        }
    }

    private async Task AbandonOutstandingAsync()
    {
        foreach (var item in this.activitiesOut.Keys)
        {
            if (this.activitiesOut.TryRemove(item, out _))
            {
                await BestEffort(() => this.inner.AbandonTaskActivityWorkItemAsync(item), "abandon activity", item.Id).ConfigureAwait(false);
            }
        }

        foreach (var item in this.orchestrationsOut.Keys)
        {
            if (this.orchestrationsOut.TryRemove(item, out _))
            {
                await BestEffort(() => this.inner.AbandonTaskOrchestrationWorkItemAsync(item), "abandon orchestration", item.InstanceId).ConfigureAwait(false);
                await BestEffort(() => this.inner.ReleaseTaskOrchestrationWorkItemAsync(item), "release orchestration", item.InstanceId).ConfigureAwait(false);
            }
        }

        async Task BestEffort(Func<Task> action, string what, string id)
        {
            try
            {
                await action().ConfigureAwait(false);
                LogAbandoned(this.logger, what, id);
            }
            catch (Exception e)
            {
                LogAbandonFailed(this.logger, e, what, id);
            }
        }
    }

    public Task CreateAsync() => this.inner.CreateAsync();

    public Task CreateAsync(bool recreateInstanceStore) => this.inner.CreateAsync(recreateInstanceStore);

    public Task CreateIfNotExistsAsync() => this.inner.CreateIfNotExistsAsync();

    public Task DeleteAsync() => this.inner.DeleteAsync();

    public Task DeleteAsync(bool deleteInstanceStore) => this.inner.DeleteAsync(deleteInstanceStore);

    /// <summary>
    /// Disposes the provider. The lifecycle lock is left to the garbage collector: the sidecar may still
    /// call <see cref="StopAsync(bool)"/> from its stopping handler after the host is disposed.
    /// </summary>
    public void Dispose()
    {
        this.lifecycle.Wait();
        try
        {
            if (this.disposed)
            {
                return;
            }

            this.disposed = true;
            this.started = false;
            this.inner.Dispose();
        }
        finally
        {
            this.lifecycle.Release();
        }
    }

    // ---- dispatcher side -------------------------------------------------------------------------

    public int TaskOrchestrationDispatcherCount => this.inner.TaskOrchestrationDispatcherCount;

    public int MaxConcurrentTaskOrchestrationWorkItems => this.inner.MaxConcurrentTaskOrchestrationWorkItems;

    public BehaviorOnContinueAsNew EventBehaviourForContinueAsNew => this.inner.EventBehaviourForContinueAsNew;

    public int TaskActivityDispatcherCount => this.inner.TaskActivityDispatcherCount;

    public int MaxConcurrentTaskActivityWorkItems => this.inner.MaxConcurrentTaskActivityWorkItems;

    public bool IsMaxMessageCountExceeded(int currentMessageCount, OrchestrationRuntimeState runtimeState) =>
        this.inner.IsMaxMessageCountExceeded(currentMessageCount, runtimeState);

    public int GetDelayInSecondsAfterOnProcessException(Exception exception) =>
        this.inner.GetDelayInSecondsAfterOnProcessException(exception);

    public int GetDelayInSecondsAfterOnFetchException(Exception exception) =>
        this.inner.GetDelayInSecondsAfterOnFetchException(exception);

    public async Task<TaskOrchestrationWorkItem> LockNextTaskOrchestrationWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken)
    {
        var item = await this.inner.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, cancellationToken).ConfigureAwait(false);
        if (item is not null)
        {
            this.orchestrationsOut.TryAdd(item, 0);
        }

        return item!;
    }

    public Task RenewTaskOrchestrationWorkItemLockAsync(TaskOrchestrationWorkItem workItem) =>
        this.inner.RenewTaskOrchestrationWorkItemLockAsync(workItem);

    public Task CompleteTaskOrchestrationWorkItemAsync(
        TaskOrchestrationWorkItem workItem,
        OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages,
        IList<TaskMessage> orchestratorMessages,
        IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState)
    {
        ArgumentNullException.ThrowIfNull(timerMessages);
        ArgumentNullException.ThrowIfNull(newOrchestrationRuntimeState);
        foreach (var message in outboundMessages.Concat(orchestratorMessages).Concat(timerMessages))
        {
            NormalizeTags(message.Event);
        }

        for (int i = 0; i < newOrchestrationRuntimeState.NewEvents.Count; i++)
        {
            var historyEvent = newOrchestrationRuntimeState.NewEvents[i];
            NormalizeTags(historyEvent);
            if (historyEvent is SubOrchestrationInstanceCreatedEvent created && created.GetType() != typeof(SubOrchestrationInstanceCreatedEvent))
            {
                // The sidecar records a subclass that the history table writes without its EventType
                // column ("The TableEntity did not contain a 'EventType' property" on the next replay).
                var plain = new SubOrchestrationInstanceCreatedEvent(created.EventId)
                {
                    Name = created.Name,
                    Version = created.Version,
                    InstanceId = created.InstanceId,
                    Input = created.Input,
                    Tags = created.Tags,
                    Timestamp = created.Timestamp,
                    IsPlayed = created.IsPlayed,
                };
                newOrchestrationRuntimeState.NewEvents[i] = plain;
                int j = newOrchestrationRuntimeState.Events.IndexOf(created);
                if (j >= 0)
                {
                    newOrchestrationRuntimeState.Events[j] = plain;
                }
            }
        }

        foreach (var message in timerMessages)
        {
            if (message.Event is TimerFiredEvent timer)
            {
                // The provider delays the timer's queue message by FireAt - now, which the queue truncates
                // to whole seconds: unadjusted, a timer fires up to 1 s early (a 1 s timer at once).
                timer.FireAt = timer.FireAt.AddSeconds(1);
            }
        }

        return this.inner.CompleteTaskOrchestrationWorkItemAsync(
            workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState);
    }

    /// <summary>
    /// The sidecar passes the tags of a sub-orchestration straight from the gRPC request, as a protobuf
    /// <c>MapField</c>; the provider serializes queue messages with their .NET type names and cannot load
    /// that type back ("Error resolving type specified in JSON 'Google.Protobuf.Collections.MapField`2'"),
    /// so the child never starts. Plain dictionaries round-trip.
    /// </summary>
    private static void NormalizeTags(HistoryEvent historyEvent)
    {
        switch (historyEvent)
        {
            case ExecutionStartedEvent started when NeedsCopy(started.Tags):
                started.Tags = Copy(started.Tags!);
                break;
            case SubOrchestrationInstanceCreatedEvent created when NeedsCopy(created.Tags):
                created.Tags = Copy(created.Tags!);
                break;
            case TaskScheduledEvent scheduled when NeedsCopy(scheduled.Tags):
                scheduled.Tags = Copy(scheduled.Tags!);
                break;
        }

        static bool NeedsCopy(IDictionary<string, string>? tags) => tags is not null and not Dictionary<string, string>;

        static Dictionary<string, string>? Copy(IDictionary<string, string> tags) =>
            tags.Count == 0 ? null : new Dictionary<string, string>(tags, StringComparer.Ordinal);
    }

    public Task AbandonTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) =>
        this.inner.AbandonTaskOrchestrationWorkItemAsync(workItem);

    public async Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem)
    {
        // The dispatcher always releases a work item last; once abandoned by a stop it is gone here.
        if (this.orchestrationsOut.TryRemove(workItem, out _))
        {
            await this.inner.ReleaseTaskOrchestrationWorkItemAsync(workItem).ConfigureAwait(false);
        }
    }

    public async Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken)
    {
        var item = await this.inner.LockNextTaskActivityWorkItem(receiveTimeout, cancellationToken).ConfigureAwait(false);
        if (item is not null)
        {
            this.activitiesOut.TryAdd(item, 0);
        }

        return item!;
    }

    public Task<TaskActivityWorkItem> RenewTaskActivityWorkItemLockAsync(TaskActivityWorkItem workItem) =>
        this.inner.RenewTaskActivityWorkItemLockAsync(workItem);

    public async Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage)
    {
        await this.inner.CompleteTaskActivityWorkItemAsync(workItem, responseMessage).ConfigureAwait(false);
        this.activitiesOut.TryRemove(workItem, out _);
    }

    public async Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem)
    {
        // Already abandoned by a stop: abandoning twice would fail on the stale pop receipt.
        if (this.activitiesOut.TryRemove(workItem, out _))
        {
            await this.inner.AbandonTaskActivityWorkItemAsync(workItem).ConfigureAwait(false);
        }
    }

    // ---- client side -----------------------------------------------------------------------------

    public Task CreateTaskOrchestrationAsync(TaskMessage creationMessage) =>
        this.inner.CreateTaskOrchestrationAsync(creationMessage, NotFinished);

    public Task CreateTaskOrchestrationAsync(TaskMessage creationMessage, OrchestrationStatus[] dedupeStatuses) =>
        this.inner.CreateTaskOrchestrationAsync(creationMessage, dedupeStatuses ?? NotFinished);

    public Task SendTaskOrchestrationMessageAsync(TaskMessage message) =>
        this.inner.SendTaskOrchestrationMessageAsync(message);

    public Task SendTaskOrchestrationMessageBatchAsync(params TaskMessage[] messages) =>
        this.inner.SendTaskOrchestrationMessageBatchAsync(messages);

    public async Task<OrchestrationState> WaitForOrchestrationAsync(
        string instanceId, string executionId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        bool infinite = timeout == Timeout.InfiniteTimeSpan;
        if (timeout < TimeSpan.Zero && !infinite)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "Use a positive timeout or Timeout.InfiniteTimeSpan.");
        }

        var deadline = infinite ? DateTime.MaxValue : DateTime.UtcNow + timeout;
        var poll = FirstWaitPoll;
        while (!cancellationToken.IsCancellationRequested)
        {
            var state = await this.inner.GetOrchestrationStateAsync(instanceId, executionId).ConfigureAwait(false);
            if (state is not null && IsTerminal(state.OrchestrationStatus))
            {
                // One more check through the provider, which also resolves inputs and outputs kept in blobs.
                return await this.inner.WaitForOrchestrationAsync(instanceId, executionId, TimeSpan.Zero, cancellationToken).ConfigureAwait(false)
                    ?? state;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                break;
            }

            await Task.Delay(left < poll ? left : poll, cancellationToken).ConfigureAwait(false);
            poll = TimeSpan.FromTicks(Math.Min(poll.Ticks * 2, LastWaitPoll.Ticks));
        }

        return null!;

        static bool IsTerminal(OrchestrationStatus status) => status is not
            (OrchestrationStatus.Running or OrchestrationStatus.Suspended or OrchestrationStatus.Pending or OrchestrationStatus.ContinuedAsNew);
    }

    public Task ForceTerminateTaskOrchestrationAsync(string instanceId, string reason) =>
        this.inner.ForceTerminateTaskOrchestrationAsync(instanceId, reason);

    public Task<IList<OrchestrationState>> GetOrchestrationStateAsync(string instanceId, bool allExecutions) =>
        this.inner.GetOrchestrationStateAsync(instanceId, allExecutions);

    public Task<OrchestrationState> GetOrchestrationStateAsync(string instanceId, string executionId) =>
        this.inner.GetOrchestrationStateAsync(instanceId, executionId);

    public Task<string> GetOrchestrationHistoryAsync(string instanceId, string executionId) =>
        this.inner.GetOrchestrationHistoryAsync(instanceId, executionId);

    public Task PurgeOrchestrationHistoryAsync(DateTime thresholdDateTimeUtc, OrchestrationStateTimeRangeFilterType timeRangeFilterType) =>
        this.inner.PurgeOrchestrationHistoryAsync(thresholdDateTimeUtc, timeRangeFilterType);

    public Task<OrchestrationQueryResult> GetOrchestrationWithQueryAsync(OrchestrationQuery query, CancellationToken cancellationToken) =>
        ((IOrchestrationServiceQueryClient)this.inner).GetOrchestrationWithQueryAsync(query, cancellationToken);

    public Task<PurgeResult> PurgeInstanceStateAsync(string instanceId) =>
        ((IOrchestrationServicePurgeClient)this.inner).PurgeInstanceStateAsync(instanceId);

    public Task<PurgeResult> PurgeInstanceStateAsync(PurgeInstanceFilter purgeInstanceFilter) =>
        ((IOrchestrationServicePurgeClient)this.inner).PurgeInstanceStateAsync(purgeInstanceFilter);

    // ---- logs --------------------------------------------------------------------------------------

    [LoggerMessage(1, LogLevel.Information, "Durable storage provider started: task hub {TaskHub}, worker {WorkerId}.")]
    private static partial void LogStarted(ILogger logger, string taskHub, string workerId);

    [LoggerMessage(2, LogLevel.Critical, "Durable storage provider failed to start (task hub {TaskHub}); orchestrations will not run.")]
    private static partial void LogStartFailed(ILogger logger, Exception exception, string taskHub);

    [LoggerMessage(3, LogLevel.Information, "Durable storage provider stopped: task hub {TaskHub}.")]
    private static partial void LogStopped(ILogger logger, string taskHub);

    [LoggerMessage(4, LogLevel.Error, "Durable storage provider failed to stop cleanly (task hub {TaskHub}).")]
    private static partial void LogStopFailed(ILogger logger, Exception exception, string taskHub);

    [LoggerMessage(5, LogLevel.Information, "At stop: {What} work item {Id} handed back to the queue.")]
    private static partial void LogAbandoned(ILogger logger, string what, string id);

    [LoggerMessage(6, LogLevel.Warning, "At stop: could not {What} work item {Id}.")]
    private static partial void LogAbandonFailed(ILogger logger, Exception exception, string what, string id);
}
