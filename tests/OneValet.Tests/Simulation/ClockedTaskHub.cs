using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Microsoft.DurableTask.Converters;
using OneValet.Pipeline.Durable;

namespace OneValet.Tests.Simulation;

/// <summary>
/// Runs the pipeline's own orchestrator and activity classes (<see cref="DurableTasks"/>) on a fake clock: a durable timer
/// completes when the clock reaches its fire time, and <see cref="AdvanceToAsync"/> moves the clock from one fire time to the
/// next, so two years pass in minutes. Inputs, outputs and event payloads go through the SDK's JSON converter as they would
/// through a task hub (ids only, serializable). Not exercised here: replay (an orchestrator runs once, as plain async code),
/// history size, the sidecar's gRPC and activity retries (a failing activity fails its orchestration, which the simulation
/// asserts never happens). Those are covered by the local task hub tests (tests/OneValet.Tests/Durable).
/// </summary>
internal sealed class ClockedTaskHub(IServiceProvider services, FakeTimeProvider clock)
{
    private static readonly DataConverter Converter = JsonDataConverter.Default;

    private readonly Dictionary<string, Instance> _instances = new(StringComparer.Ordinal);
    private readonly List<Instance> _ready = [];
    private readonly List<Timer> _timers = [];
    private readonly Lock _gate = new();
    private long _sequence;
    private int _activitiesRun;

    public HubClient Client => new(this);

    public int Started { get; private set; }

    public int TimersFired { get; private set; }

    public int ActivitiesRun => _activitiesRun;

    /// <summary>Instances that ended with an exception (a simulation asserts none).</summary>
    public List<string> Failures { get; } = [];

    public bool HasReady
    {
        get
        {
            lock (_gate)
            {
                return _ready.Count > 0;
            }
        }
    }

    /// <summary>Runs what is ready (new instances, raised events) until every instance waits on a timer or an event, or has ended.</summary>
    public async Task RunReadyAsync()
    {
        while (true)
        {
            Instance? next;
            lock (_gate)
            {
                next = _ready.Count == 0 ? null : _ready[0];
                if (next is not null)
                {
                    _ready.RemoveAt(0);
                }
            }

            if (next is null)
            {
                return;
            }

            await next.StartAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Moves the clock to <paramref name="until"/>, stopping at each timer's fire time on the way to fire it and
    /// run what it woke.</summary>
    public async Task AdvanceToAsync(DateTimeOffset until)
    {
        await RunReadyAsync().ConfigureAwait(false);
        while (true)
        {
            Timer? due;
            lock (_gate)
            {
                due = _timers.Where(t => t.FireAt <= until).OrderBy(t => t.FireAt).ThenBy(t => t.Sequence).FirstOrDefault();
                if (due is not null)
                {
                    _timers.Remove(due);
                }
            }

            if (due is null)
            {
                break;
            }

            if (due.FireAt > clock.GetUtcNow())
            {
                clock.SetUtcNow(due.FireAt);
            }

            TimersFired++;
            await due.Owner.ResumeAsync(due.Fire).ConfigureAwait(false);
            await RunReadyAsync().ConfigureAwait(false);
        }

        if (until > clock.GetUtcNow())
        {
            clock.SetUtcNow(until);
        }
    }

    private string Schedule(TaskName name, object? input, string? instanceId)
    {
        var id = instanceId ?? Guid.NewGuid().ToString("N");
        var type = DurableTasks.Orchestrators.SingleOrDefault(t => t.Name == name.Name)
            ?? throw new InvalidOperationException($"No orchestrator '{name.Name}' in DurableTasks.");
        lock (_gate)
        {
            if (_instances.ContainsKey(id))
            {
                throw new InvalidOperationException($"An instance '{id}' exists already.");
            }

            var instance = new Instance(this, id, type, Converter.Serialize(input));
            _instances[id] = instance;
            _ready.Add(instance);
        }

        Started++;
        return id;
    }

    private OrchestrationMetadata? Metadata(string instanceId)
    {
        lock (_gate)
        {
            return _instances.TryGetValue(instanceId, out var i)
                ? new OrchestrationMetadata(i.Type.Name, instanceId) { RuntimeStatus = i.Status, SerializedOutput = i.Output }
                : null;
        }
    }

    private Task RaiseAsync(string instanceId, string eventName, object? payload)
    {
        Instance? instance;
        lock (_gate)
        {
            _instances.TryGetValue(instanceId, out instance);
        }

        return instance is null
            ? throw new InvalidOperationException($"No instance '{instanceId}'.")
            : instance.ResumeAsync(() => instance.Deliver(eventName, Converter.Serialize(payload)));
    }

    private sealed record Timer(Instance Owner, DateTimeOffset FireAt, long Sequence, Func<bool> Fire);

    /// <summary>One orchestration instance: its orchestrator runs as async code; it is "settled" whenever it waits on a
    /// timer or an event (or has ended), which is when the hub moves on.</summary>
    private sealed class Instance(ClockedTaskHub hub, string id, Type type, string? input)
    {
        private readonly Dictionary<string, Queue<string?>> _buffered = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Queue<TaskCompletionSource<string?>>> _waiting = new(StringComparer.Ordinal);
        private TaskCompletionSource _settled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Task? _run;

        public Type Type { get; } = type;

        public OrchestrationRuntimeStatus Status { get; private set; } = OrchestrationRuntimeStatus.Pending;

        public string? Output { get; private set; }

        public async Task StartAsync()
        {
            Status = OrchestrationRuntimeStatus.Running;
            _settled = new(TaskCreationOptions.RunContinuationsAsynchronously);
            _run = Task.Run(() => RunGenerationsAsync(input));
            await Task.WhenAny(_settled.Task, _run).ConfigureAwait(false);
        }

        /// <summary>Wakes the instance and waits until it settles again; <paramref name="wake"/> says whether it woke
        /// anything (a timeout whose event came first wakes nothing).</summary>
        public async Task ResumeAsync(Func<bool> wake)
        {
            if (_run is null || _run.IsCompleted)
            {
                wake();
                return;
            }

            var settled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _settled = settled;
            if (!wake())
            {
                settled.TrySetResult();
                return;
            }

            await Task.WhenAny(settled.Task, _run).ConfigureAwait(false);
        }

        public bool Deliver(string eventName, string? payload)
        {
            while (_waiting.TryGetValue(eventName, out var waiters) && waiters.Count > 0)
            {
                if (waiters.Dequeue().TrySetResult(payload))
                {
                    return true;
                }
            }

            if (!_buffered.TryGetValue(eventName, out var queue))
            {
                _buffered[eventName] = queue = new Queue<string?>();
            }

            queue.Enqueue(payload);
            return false;
        }

        private async Task RunGenerationsAsync(string? serializedInput)
        {
            try
            {
                while (true)
                {
                    var orchestrator = (ITaskOrchestrator)ActivatorUtilities.CreateInstance(hub.Services, Type);
                    var context = new Context(this, hub);
                    var result = await orchestrator.RunAsync(context, Converter.Deserialize(serializedInput, orchestrator.InputType)).ConfigureAwait(false);
                    if (context.ContinuedAs is { } next)
                    {
                        serializedInput = next;
                        continue;
                    }

                    Output = Converter.Serialize(result);
                    Status = OrchestrationRuntimeStatus.Completed;
                    return;
                }
            }
#pragma warning disable CA1031 // an orchestration's failure is recorded and asserted on by the simulation
            catch (Exception e)
#pragma warning restore CA1031
            {
                Status = OrchestrationRuntimeStatus.Failed;
                lock (hub._gate)
                {
                    hub.Failures.Add($"{id} ({Type.Name}): {e.GetType().Name}: {e.Message}");
                }
            }
            finally
            {
                _settled.TrySetResult();
            }
        }

        private sealed class Context(Instance instance, ClockedTaskHub hub) : TaskOrchestrationContext
        {
            public string? ContinuedAs { get; private set; }

            public override TaskName Name => new(instance.Type.Name);

            public override string InstanceId => instance.Id;

            public override ParentOrchestrationInstance? Parent => null;

            public override DateTime CurrentUtcDateTime => hub.Clock.GetUtcNow().UtcDateTime;

            public override bool IsReplaying => false;

            protected override ILoggerFactory LoggerFactory => NullLoggerFactory.Instance;

            public override T GetInput<T>() => throw new NotSupportedException("Class-based orchestrators receive their input as a parameter.");

            public override async Task<TResult> CallActivityAsync<TResult>(TaskName name, object? input = null, TaskOptions? options = null)
            {
                var type = DurableTasks.Activities.SingleOrDefault(t => t.Name == name.Name)
                    ?? throw new InvalidOperationException($"No activity '{name.Name}' in DurableTasks.");
                using var scope = hub.Services.CreateScope();
                var activity = (ITaskActivity)ActivatorUtilities.CreateInstance(scope.ServiceProvider, type);
                var output = await activity.RunAsync(new ActivityContext(name, instance.Id), Converter.Deserialize(Converter.Serialize(input), activity.InputType)).ConfigureAwait(false);
                Interlocked.Increment(ref hub._activitiesRun);
                return Converter.Deserialize<TResult>(Converter.Serialize(output))!;
            }

            public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken)
            {
                var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var timer = hub.AddTimer(instance, new DateTimeOffset(DateTime.SpecifyKind(fireAt, DateTimeKind.Utc)), () => fired.TrySetResult());
                if (cancellationToken.CanBeCanceled)
                {
                    // A cancelled timer (the event came first) leaves the hub's list, so it never wakes anyone.
                    cancellationToken.Register(() =>
                    {
                        hub.RemoveTimer(timer);
                        fired.TrySetCanceled(cancellationToken);
                    });
                }

                instance._settled.TrySetResult();
                return fired.Task;
            }

            /// <summary>The SDK's timeout overloads race this against a timer and cancel the loser.</summary>
            public override async Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default)
            {
                if (instance._buffered.TryGetValue(eventName, out var buffered) && buffered.Count > 0)
                {
                    return Converter.Deserialize<T>(buffered.Dequeue())!;
                }

                var waiter = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
                if (!instance._waiting.TryGetValue(eventName, out var queue))
                {
                    instance._waiting[eventName] = queue = new Queue<TaskCompletionSource<string?>>();
                }

                queue.Enqueue(waiter);
                using var registration = cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken));
                instance._settled.TrySetResult();
                return Converter.Deserialize<T>(await waiter.Task.ConfigureAwait(false))!;
            }

            public override void SendEvent(string instanceId, string eventName, object payload) => throw new NotSupportedException();

            public override void SetCustomStatus(object? customStatus)
            {
            }

            public override Task<TResult> CallSubOrchestratorAsync<TResult>(TaskName orchestratorName, object? input = null, TaskOptions? options = null) =>
                throw new NotSupportedException("The pipeline's orchestrators call no sub-orchestrations.");

            public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true) => ContinuedAs = Converter.Serialize(newInput);

            public override Guid NewGuid() => Guid.NewGuid();
        }

        private string Id => id;
    }

    private FakeTimeProvider Clock => clock;

    private IServiceProvider Services => services;

    private Timer AddTimer(Instance owner, DateTimeOffset fireAt, Func<bool> fire)
    {
        lock (_gate)
        {
            var timer = new Timer(owner, fireAt, ++_sequence, fire);
            _timers.Add(timer);
            return timer;
        }
    }

    private void RemoveTimer(Timer timer)
    {
        lock (_gate)
        {
            _timers.Remove(timer);
        }
    }

    private sealed class ActivityContext(TaskName name, string instanceId) : TaskActivityContext
    {
        public override TaskName Name => name;

        public override string InstanceId => instanceId;
    }

    /// <summary>The client the pipeline's services and API handlers are given: starts, raises events and reads status on the hub.</summary>
    internal sealed class HubClient(ClockedTaskHub hub) : DurableTaskClient("clocked")
    {
        public override Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default) =>
            Task.FromResult(hub.Schedule(orchestratorName, input, options?.InstanceId));

        public override Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default) =>
            hub.RaiseAsync(instanceId, eventName, eventPayload);

        public override Task<OrchestrationMetadata?> GetInstancesAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
            Task.FromResult(hub.Metadata(instanceId));

        public override Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
            throw new NotSupportedException();

        public override Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
            throw new NotSupportedException();

        public override Task TerminateInstanceAsync(string instanceId, object? output = null, CancellationToken cancellation = default) => throw new NotSupportedException();

        public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) => throw new NotSupportedException();

        public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) => throw new NotSupportedException();

        public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null) => throw new NotSupportedException();

        public override Task<PurgeResult> PurgeInstanceAsync(string instanceId, PurgeInstanceOptions? options = null, CancellationToken cancellation = default) => throw new NotSupportedException();

        public override Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, PurgeInstanceOptions? options = null, CancellationToken cancellation = default) => throw new NotSupportedException();

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
