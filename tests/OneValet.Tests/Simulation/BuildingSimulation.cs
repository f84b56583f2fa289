using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Breaches;
using OneValet.Pipeline.Disclosures;
using OneValet.Pipeline.Evidence;
using OneValet.Pipeline.Faces;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Faces;
using OneValet.Tests.Infrastructure;
using OneValet.Tests.Retention;

namespace OneValet.Tests.Simulation;

/// <summary>One rule broken on purpose, injected from outside the pipeline's code (issue 18.4).</summary>
internal enum Mutation
{
    None,

    /// <summary>The retention sweep never runs from <see cref="SimulationPlan.MutateFromDay"/> on.</summary>
    SweepOff,

    /// <summary>One door event's deadline is never enforced, and nothing is audited about it: the enforcer's store does not
    /// show it its schedule entry.</summary>
    DeletionSkipped,

    /// <summary>The first hold the privacy office places is invisible to enforcement (its items go at their deadlines).</summary>
    HoldIgnored,

    /// <summary>One Canadian resident's record reads as Californian to the pipeline, so their request's clocks are counted
    /// for the wrong jurisdiction.</summary>
    WrongJurisdiction,

    /// <summary>The notice of the first extension is lost before it reaches the queue.</summary>
    NoticeNotSent,

    /// <summary>While the first correction is open, its person's informational messages are turned off by a write past the
    /// residents' routes, as a request's own work that penalized the person would (O17).</summary>
    ServiceChanged,

    /// <summary>One affected person's breach notice is lost before it reaches the queue (O14).</summary>
    BreachNoticeNotSent,

    /// <summary>One door event is stored without a rule the retention engine knows: the store drops the write of its
    /// schedule entry, which ingestion believes it made (O1).</summary>
    StoredWithoutRule,

    /// <summary>One door event's deletion leaves no audit entry at all (neither its start nor its completion): the store
    /// drops those writes, while the item is deleted and its schedule entry marked done.</summary>
    DeletionUnaudited,
}

/// <summary>How long and how busy a run is.</summary>
internal sealed record SimulationPlan(int Days, int Units, int DoorEventsPerDay, int FootageEveryDays, int RequestEveryDays, Mutation Mutation = Mutation.None, int MutateFromDay = 0)
{
    public int BreachDay => Days * 4 / 7;
}

/// <summary>What a run did, for the test output and the assertions.</summary>
internal sealed record SimulationFigures(
    int Days, int Residents, int MoveOuts, int DoorEvents, int Recordings, int Requests, int Holds, int Sweeps, int Orchestrations, int TimersFired,
    int Activities, int Notices, TimeSpan Wall, int Disclosures = 0, int SettingChanges = 0)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Days} days, {Residents} residents ({MoveOuts} move-outs), {DoorEvents} door events, {Recordings} recordings, {Requests} privacy requests, {Holds} holds, " +
        $"{Sweeps} sweeps, {Orchestrations} orchestrations ({TimersFired} timers fired, {Activities} activities), {Notices} notices sent, {Disclosures} disclosures, {SettingChanges} shared-setting changes, wall time {Wall.TotalSeconds:F0} s");
}

/// <summary>
/// A 200-unit building over simulated time (issue 18.3) driven through the pipeline's own services and API handlers on
/// real Azurite and SQLite, its orchestrations on a <see cref="ClockedTaskHub"/>: residents move in and out, give and
/// withdraw Facial Entry consent, open doors every day, consoles upload footage, the privacy office places and releases
/// holds, people file privacy requests of every type and jurisdiction (some through agents, some extended, one correction
/// property management never answers), and one breach is declared. Deterministic: a seeded random source.
/// </summary>
internal sealed class BuildingSimulation
{
    public const string Building = "b-sim";

    /// <summary>Facial Entry captures at the lobby console per day (one: each costs an upload, an ingestion and a check, and
    /// the two years' 730 keep every kind of capture while the whole suite fits CI's time).</summary>
    public const int CapturesPerDay = 1;

    private static readonly string[] Jurisdictions = ["new-york", "new-york", "new-york", "california", "california", "canada"];

    private readonly PipelineHarness _h;
    private readonly ClockedTaskHub _hub;
    private readonly SimulationTransport _transport;
    private readonly SimulationPlan _plan;
    private readonly Random _random = new(18);
    private readonly Dictionary<string, (string Resident, string Jurisdiction)> _units = new(StringComparer.Ordinal);
    private readonly List<(string Resident, string Jurisdiction, DateTimeOffset MovedOut)> _former = [];
    private readonly HashSet<string> _consented = new(StringComparer.Ordinal);
    private readonly List<string> _openCorrections = [];
    private readonly List<string> _problems = [];
    private readonly Dictionary<string, TimeSpan> _phases = new(StringComparer.Ordinal);
    private readonly FakeFaceService _face;
    private readonly Random _faceRandom = new(3);
    private readonly List<string> _enrolled = [];
    private readonly List<string> _formerEnrolled = [];
    private readonly Dictionary<string, byte[]> _doorImages = new(StringComparer.Ordinal);
    private readonly byte[] _stranger = Hardware.Jpeg(20_000, seed: 99_999);
    private readonly Dictionary<FaceVerificationStatus, int> _checks = [];
    private int _consents;
    private int _withdrawals;
    private int _enrollments;
    private int _captures;
    private string? _firstEventPartition;
    private int _residents;
    private int _moveOuts;
    private int _doorEvents;
    private int _recordings;
    private int _requests;
    private int _holds;
    private int _sweeps;
    private int _disclosures;
    private int _settingChanges;

    private BuildingSimulation(PipelineHarness h, SimulationTransport transport, SimulationPlan plan, FakeFaceService face)
    {
        _h = h;
        _face = face;
        _transport = transport;
        _plan = plan;
        _hub = new ClockedTaskHub(h.Services, h.Clock);
    }

    /// <summary>A Monday, so business days are easy to read in the output.</summary>
    public static DateTimeOffset Start { get; } = new(2025, 1, 6, 0, 0, 0, TimeSpan.Zero);

    public DateTimeOffset End => Start.AddDays(_plan.Days);

    public PipelineHarness Harness => _h;

    public ClockedTaskHub Hub => _hub;

    public SimulationTransport Transport => _transport;

    /// <summary>Things that went wrong in the run itself (a refused call, a failed orchestration, a dead-lettered notice).</summary>
    public IReadOnlyList<string> Problems => [.. _problems, .. _hub.Failures];

    /// <summary>The item the <see cref="Mutation.DeletionSkipped"/> run hides from enforcement.</summary>
    public string? SkippedItem { get; private set; }

    /// <summary>The door event the <see cref="Mutation.StoredWithoutRule"/> run stores with no schedule entry, as the
    /// catalogue names it (kind, building, id, version), and its event id.</summary>
    public string? UnruledItem { get; private set; }

    public string? UnruledEvent { get; private set; }

    public string? UnruledPartition { get; private set; }

    /// <summary>The door event whose deletion the <see cref="Mutation.DeletionUnaudited"/> run leaves unaudited.</summary>
    public string? UnauditedItem { get; private set; }

    /// <summary>The hold the <see cref="Mutation.HoldIgnored"/> run hides from enforcement.</summary>
    public string? IgnoredHold { get; private set; }

    /// <summary>The resident whose record the <see cref="Mutation.WrongJurisdiction"/> run misreads, and their request.</summary>
    public string? MisreadResident { get; private set; }

    public string? MisreadRequest { get; private set; }

    /// <summary>The request during which the <see cref="Mutation.ServiceChanged"/> run changes its person's service.</summary>
    public string? DowngradedRequest { get; private set; }

    /// <summary>The request whose extension notice the <see cref="Mutation.NoticeNotSent"/> run loses.</summary>
    public string? UnnoticedRequest { get; private set; }

    /// <summary>The incident the run declares, and the breach notice the <see cref="Mutation.BreachNoticeNotSent"/> run loses.</summary>
    public string? Incident { get; private set; }

    public string? LostBreachNotice { get; private set; }

    /// <summary>The store as an auditor reads it (the mutations decorate only what the pipeline's services see).</summary>
    public IRecordStore AuditorStore { get; private set; } = null!;

    public static async Task<BuildingSimulation> StartAsync(SimulationPlan plan)
    {
        var transport = new SimulationTransport();
        var face = new FakeFaceService();
        face.Shows(Hardware.Jpeg(20_000, seed: 99_999), "stranger");
        BuildingSimulation? simulation = null;
        var h = await PipelineHarness.StartAsync(
            new Dictionary<string, string?>
            {
                // The host sweeps hourly and plans timers two hours ahead; the simulation sweeps once a simulated day, so it
                // plans 26 hours ahead: every bucket still gets its timer before it falls due (and the time between is jumped).
                ["OneValet:Retention:PlanningHorizon"] = "1.02:00:00",
                ["OneValet:Retention:PlanInterval"] = "1.00:00:00",
                // Facial Entry against the Face API's HTTP contract (no emulator exists: FakeFaceService).
                ["OneValet:Faces:Endpoint"] = FakeFaceService.Endpoint,
                ["OneValet:Faces:LargePersonGroupPrefix"] = FakeFaceService.GroupPrefix,
            },
            Start,
            services =>
            {
                services.AddSingleton<IMessageTransport>(transport);
                services.AddSingleton(face.CreateApi());
                var raw = services.Last(d => d.ServiceType == typeof(IRecordStore) && !d.IsKeyedService).ImplementationInstance as IRecordStore;
                services.AddSingleton<IRecordStore>(new MutatingStore(raw!, () => simulation));
            });
        simulation = new BuildingSimulation(h, transport, plan, face);
        simulation.AuditorStore = ((MutatingStore)h.Store).Inner;
        return simulation;
    }

    /// <summary>The compliance report of the whole run as an auditor builds it: from the store as it is, not as the
    /// mutated pipeline sees it.</summary>
    public Task<ComplianceReport> ReportAsync()
    {
        var store = AuditorStore;
        var schedule = new RetentionSchedule(store, _h.Get<Microsoft.Extensions.Options.IOptions<RetentionOptions>>(), _h.Clock);
        var audit = new AuditLog(store, schedule, _h.Get<RetentionPolicy>());
        var calendars = _h.Get<OneValet.Pipeline.Calendars.BusinessCalendars>();
        var incidents = new IncidentsApi(store, schedule, calendars, _h.Get<Microsoft.Extensions.Options.IOptions<BreachOptions>>(), _h.Clock, audit);
        var loader = new ComplianceReportLoader(store, new AuditTrail(store), audit, schedule, calendars, _h.Clock, incidents, _h.Get<Microsoft.Extensions.Options.IOptions<RetentionOptions>>());
        return loader.BuildAsync(Start, End, default);
    }

    public async Task<SimulationFigures> RunAsync()
    {
        var wall = Stopwatch.StartNew();
        for (var unit = 1; unit <= _plan.Units; unit++)
        {
            var u = unit;
            await TimedAsync("move in", () => MoveInAsync(Unit(u), Start.AddDays(-400 + u))).ConfigureAwait(false);
        }

        await TimedAsync("move in", () => RoommateMovesInAsync(Unit(2), Start.AddDays(-300))).ConfigureAwait(false);
        await TimedAsync("facial entry", FacialEntryStartAsync).ConfigureAwait(false);
        await SettleAsync().ConfigureAwait(false);
        string? hold = null;
        for (var day = 0; day < _plan.Days; day++)
        {
            var morning = Start.AddDays(day);
            var mutated = _plan.Mutation != Mutation.None && day >= _plan.MutateFromDay;
            await AtAsync(morning.AddHours(2)).ConfigureAwait(false);
            if (!(mutated && _plan.Mutation == Mutation.SweepOff))
            {
                await TimedAsync("sweep", () => _h.Get<RetentionSweep>().RunAsync(_hub.Client, default)).ConfigureAwait(false);
                _sweeps++;
            }

            await AtAsync(morning.AddHours(8)).ConfigureAwait(false);
            if (mutated && _plan.Mutation == Mutation.StoredWithoutRule && UnruledEvent is null)
            {
                UnruledEvent = $"e-{day}-0";
                UnruledItem = ScheduleEntry.ItemRefOf(ItemKind.DoorEvent, Building, UnruledEvent, 0);
            }

            await TimedAsync("door events", () => DoorEventsAsync(day, morning)).ConfigureAwait(false);
            if (UnruledEvent == $"e-{day}-0")
            {
                UnruledPartition = _firstEventPartition;
            }

            await TimedAsync("facial entry", () => CapturesAsync(day, morning)).ConfigureAwait(false);
            if (mutated && _plan.Mutation == Mutation.DeletionSkipped && SkippedItem is null)
            {
                SkippedItem = ScheduleEntry.ItemRefOf(ItemKind.DoorEvent, Building, $"e-{day}-0", 0); // O4: named by building, never the person
            }

            if (mutated && _plan.Mutation == Mutation.DeletionUnaudited && UnauditedItem is null)
            {
                UnauditedItem = ScheduleEntry.ItemRefOf(ItemKind.DoorEvent, Building, $"e-{day}-0", 0); // O4: named by building, never the person
            }

            await AtAsync(morning.AddHours(9)).ConfigureAwait(false);
            if (day % _plan.FootageEveryDays == 0)
            {
                await TimedAsync("footage", () => FootageAsync(day, morning)).ConfigureAwait(false);
            }

            await AtAsync(morning.AddHours(10)).ConfigureAwait(false);
            if (day % 10 == 5)
            {
                await TimedAsync("turnover", () => TurnoverAsync(day)).ConfigureAwait(false);
            }

            if (day % 15 == 3)
            {
                await ConsentAsync().ConfigureAwait(false);
            }

            if (day % 45 == 20)
            {
                await TimedAsync("facial entry", WithdrawOneAsync).ConfigureAwait(false);
            }

            await AtAsync(morning.AddHours(11)).ConfigureAwait(false);
            if (day % _plan.RequestEveryDays == 1)
            {
                await TimedAsync("requests", () => RequestAsync(day)).ConfigureAwait(false);
            }

            if (day % 7 == 2 && _openCorrections.Count > 0)
            {
                await AnswerCorrectionsAsync().ConfigureAwait(false);
            }

            await AtAsync(morning.AddHours(14)).ConfigureAwait(false);
            if (day % 180 == 100)
            {
                hold = await PlaceHoldAsync(morning).ConfigureAwait(false);
                if (_plan.Mutation == Mutation.HoldIgnored && IgnoredHold is null)
                {
                    IgnoredHold = hold;
                }
            }
            else if (hold is not null && day % 180 == 150)
            {
                await ReleaseHoldAsync(hold).ConfigureAwait(false);
                hold = null;
            }

            if (day % 60 == 30)
            {
                await DiscloseAsync(day).ConfigureAwait(false);
            }

            if (day % 30 == 12)
            {
                await ThermostatChangedAsync(day).ConfigureAwait(false);
            }

            if (day == 45)
            {
                await MarketingRefusedAsync().ConfigureAwait(false);
            }

            if (day == _plan.BreachDay)
            {
                await BreachAsync(morning).ConfigureAwait(false);
            }
        }

        await AtAsync(End).ConfigureAwait(false);
        return new SimulationFigures(_plan.Days, _residents, _moveOuts, _doorEvents, _recordings, _requests, _holds, _sweeps, _hub.Started, _hub.TimersFired,
            _hub.ActivitiesRun, _transport.Sent, wall.Elapsed, _disclosures, _settingChanges);
    }

    /// <summary>What Facial Entry did in the run (for the test output and the assertions).</summary>
    public string FacialEntryFigures => string.Create(CultureInfo.InvariantCulture,
        $"Facial Entry: {_consents} consents given, {_withdrawals} withdrawn, {_enrollments} enrollments, {_enrolled.Count} still enrolled, {_captures} captures checked (")
        + string.Join(", ", _checks.OrderBy(c => c.Key).Select(c => FacialEntryChecks.CodeOf(c.Key) + " " + c.Value.ToString(CultureInfo.InvariantCulture))) + ")";

    /// <summary>Captures checked per outcome.</summary>
    public IReadOnlyDictionary<FaceVerificationStatus, int> Checks => _checks;

    /// <summary>Wall time per phase of the run (for the test output).</summary>
    public string Phases => string.Join(", ", _phases.OrderByDescending(p => p.Value).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value.TotalSeconds:F1} s")));

    private async Task TimedAsync(string phase, Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action().ConfigureAwait(false);
        _phases[phase] = _phases.GetValueOrDefault(phase) + watch.Elapsed;
    }

    private static string Unit(int unit) => "u-" + unit.ToString("D3", CultureInfo.InvariantCulture);

    /// <summary>Plans the timers of what the last actions scheduled (the host does every few minutes: the sweep's timer
    /// half), then moves the clock to <paramref name="at"/>, firing every timer on the way.</summary>
    private async Task AtAsync(DateTimeOffset at)
    {
        if (!(_plan.Mutation == Mutation.SweepOff && _h.Clock.GetUtcNow() >= Start.AddDays(_plan.MutateFromDay)))
        {
            await TimedAsync("plan timers", () => _h.Get<RetentionSweep>().StartTimersAsync(_hub.Client, default)).ConfigureAwait(false);
        }

        // A hold that ends by itself (an answered access request's recourse period) frees what it kept at its end; the host's
        // hourly sweep enforces it within the hour (the report would show that hour as late). The simulation sweeps at each
        // such end, so its report judges the rest.
        foreach (var end in (await _h.Get<HoldRegistry>().ActiveAsync(default).ConfigureAwait(false))
            .Select(x => x.Document.Until).OfType<DateTimeOffset>().Where(u => u > _h.Clock.GetUtcNow() && u <= at).Order())
        {
            await TimedAsync("timers and activities", () => _hub.AdvanceToAsync(end)).ConfigureAwait(false);
            if (!(_plan.Mutation == Mutation.SweepOff && end >= Start.AddDays(_plan.MutateFromDay)))
            {
                await TimedAsync("sweep", () => _h.Get<RetentionSweep>().EnforceDueAsync(default)).ConfigureAwait(false);
            }
        }

        await TimedAsync("timers and activities", () => _hub.AdvanceToAsync(at)).ConfigureAwait(false);
        await SettleAsync().ConfigureAwait(false);
    }

    /// <summary>Runs ready orchestrations and delivers queued messages until neither has anything left.</summary>
    private async Task SettleAsync()
    {
        var handlers = _h.Get<MessageHandlers>();
        do
        {
            await _hub.RunReadyAsync().ConfigureAwait(false);
            await TimedAsync("notices", async () => _problems.AddRange(await _transport.DrainAsync(handlers, OnMessageAsync).ConfigureAwait(false))).ConfigureAwait(false);
        }
        while (_transport.Pending > 0 || _hub.HasReady);
    }

    /// <summary>A person receives their one-time code and enters it (O10): the code is what the dispatcher mails.</summary>
    private async Task OnMessageAsync(string messageId)
    {
        if (!messageId.StartsWith("verify-", StringComparison.Ordinal))
        {
            return;
        }

        var rest = messageId["verify-".Length..];
        var cut = rest.LastIndexOf('-');
        var (requestId, issue) = (rest[..cut], rest[(cut + 1)..]);
        var code = await _h.Get<VerificationCodes>().CodeForMailAsync(requestId, issue, default).ConfigureAwait(false);
        if (code is null)
        {
            return;
        }

        var (status, _) = await Invoke(ctx => _h.Get<PrivacyRequestsApi>().VerifyAsync(requestId, Body(ctx, new { code }), _hub.Client, default)).ConfigureAwait(false);
        Expect(status, 200, "verify " + requestId);
    }

    private async Task MoveInAsync(string unit, DateTimeOffset movedIn)
    {
        var resident = "r-" + (++_residents).ToString("D4", CultureInfo.InvariantCulture);
        var jurisdiction = Jurisdictions[_random.Next(Jurisdictions.Length)];
        var (status, _) = await Invoke(ctx => _h.Get<ResidentsApi>().PutResidentAsync(resident, Body(ctx, new
        {
            buildingId = Building, unitId = unit, movedInAt = movedIn, email = resident + "@residents.sim.test", name = "Resident " + resident, jurisdiction,
        }), default)).ConfigureAwait(false);
        Expect(status, 201, "move in " + resident);
        _units[unit] = (resident, jurisdiction);
    }

    private async Task TurnoverAsync(int day)
    {
        var unit = Unit(1 + (day * 7 % _plan.Units));
        var (resident, jurisdiction) = _units[unit];
        var now = _h.Clock.GetUtcNow();
        var (status, _) = await Invoke(ctx => _h.Get<ResidentsApi>().MoveOutAsync(resident, Body(ctx, new { movedOutAt = now }), default)).ConfigureAwait(false);
        Expect(status, 200, "move out " + resident);
        _moveOuts++;
        _consented.Remove(resident);
        EndEnrollment(resident);
        _former.Add((resident, jurisdiction, now));
        await SettleAsync().ConfigureAwait(false);
        await MoveInAsync(unit, now.AddHours(1)).ConfigureAwait(false);
    }

    private async Task ConsentAsync()
    {
        var (resident, _) = _units[Unit(1 + _random.Next(_plan.Units))];
        if (_consented.Remove(resident))
        {
            await WithdrawAsync(resident).ConfigureAwait(false);
            return;
        }

        await ConsentAndEnrollAsync(resident).ConfigureAwait(false);
    }

    /// <summary>Facial Entry at the start: the residents of every tenth unit consent (the published policy version) and
    /// enroll through the pipeline's own routes (O3).</summary>
    private async Task FacialEntryStartAsync()
    {
        for (var unit = 10; unit <= _plan.Units; unit += 10)
        {
            await ConsentAndEnrollAsync(_units[Unit(unit)].Resident).ConfigureAwait(false);
        }
    }

    private async Task ConsentAndEnrollAsync(string resident)
    {
        var (status, _) = await Invoke(ctx => _h.Get<ResidentsApi>().GiveFacialEntryConsentAsync(resident, Body(ctx, new { policyVersion = "2022-06-29" }), default)).ConfigureAwait(false);
        Expect(status, 200, "give consent");
        _consented.Add(resident);
        _consents++;

        // The reference: an image the fake Face API is told shows this resident, as does the image of them at the door.
        var n = int.Parse(resident.AsSpan(2), CultureInfo.InvariantCulture);
        var reference = Hardware.Jpeg(20_000, seed: 100_000 + n);
        _face.Shows(reference, resident);
        _face.Shows(DoorImage(resident), resident);
        var (enrolled, body) = await Invoke(ctx =>
        {
            ctx.Request.ContentType = "image/jpeg";
            ctx.Request.Body = new MemoryStream(reference);
            return _h.Get<FacialEnrollments>().PutAsync(resident, ctx.Request, default);
        }).ConfigureAwait(false);
        Expect(enrolled, 201, "enroll " + resident + " " + body);
        if (enrolled == 201)
        {
            _enrollments++;
            _formerEnrolled.Remove(resident);
            _enrolled.Add(resident);
        }
    }

    private async Task WithdrawAsync(string resident)
    {
        var (withdrawn, _) = await Invoke(_ => _h.Get<ResidentsApi>().WithdrawFacialEntryConsentAsync(resident, default)).ConfigureAwait(false);
        Expect(withdrawn, 200, "withdraw consent");
        _withdrawals++;
        EndEnrollment(resident);
    }

    /// <summary>Every 45 days one enrolled resident withdraws (O3 at once, O5 within 90 days).</summary>
    private async Task WithdrawOneAsync()
    {
        if (_enrolled.Count > 0)
        {
            var resident = _enrolled[_faceRandom.Next(_enrolled.Count)];
            _consented.Remove(resident);
            await WithdrawAsync(resident).ConfigureAwait(false);
        }
    }

    private void EndEnrollment(string resident)
    {
        if (_enrolled.Remove(resident))
        {
            _formerEnrolled.Add(resident);
        }
    }

    private byte[] DoorImage(string resident)
    {
        if (!_doorImages.TryGetValue(resident, out var image))
        {
            image = _doorImages[resident] = Hardware.Jpeg(20_000, seed: 200_000 + int.Parse(resident.AsSpan(2), CultureInfo.InvariantCulture));
        }

        return image;
    }

    /// <summary>
    /// The day's Facial Entry captures at the lobby console, each catalogued through ingestion and so checked against the
    /// fake Face API (O3, O4): two days in three by an enrolled resident (a stranger when nobody is enrolled), the third by a
    /// stranger or, every other such day, by a resident whose enrollment ended (withdrawn or moved out): never matched.
    /// </summary>
    private async Task CapturesAsync(int day, DateTimeOffset morning)
    {
        for (var i = 0; i < CapturesPerDay; i++)
        {
            var image = (day + i) % 3 != 2
                ? _enrolled.Count > 0 ? DoorImage(_enrolled[_faceRandom.Next(_enrolled.Count)]) : _stranger
                : day % 2 == 1 && _formerEnrolled.Count > 0 ? DoorImage(_formerEnrolled[_faceRandom.Next(_formerEnrolled.Count)]) : _stranger;
            var capture = new UploadName(Building, "lobby", $"f-{day}-{i}", "jpg");
            await Hardware.UploadAsync(_h.Recordings, capture.BlobName, image, Hardware.Metadata(morning.AddHours(7).AddMinutes(30 + (i * 7)), kind: "facial-entry")).ConfigureAwait(false);
            var outcome = await _h.Get<RecordingIngestor>().IngestAsync(capture.BlobName, _hub.Client, default).ConfigureAwait(false);
            Expect(outcome.Result == IngestionResult.Catalogued ? 1 : 0, 1, "capture " + outcome.Result);
            var check = (await _h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, Building, capture.RecordId).ConfigureAwait(false))?.Document.FaceCheck;
            if (check is null)
            {
                _problems.Add("capture " + capture.RecordId + " has no check");
                continue;
            }

            _checks[check.Status] = _checks.GetValueOrDefault(check.Status) + 1;
            _captures++;
        }
    }

    private async Task DoorEventsAsync(int day, DateTimeOffset morning)
    {
        var events = new List<object>();
        for (var i = 0; i < _plan.DoorEventsPerDay; i++)
        {
            // Unit 1's resident opens the door first every day (the item the deletion-skipped mutation hides).
            var (resident, jurisdiction) = _units[i == 0 ? Unit(1) : Unit(1 + _random.Next(_plan.Units))];
            if (jurisdiction == "canada")
            {
                // Canadian residents' requests leave a recourse hold of six months (PIPEDA s.8(8)); their door events are
                // pin events without a subject, so a hold on the person keeps nothing the plan does not foresee.
                resident = null!;
            }

            if (i == 0)
            {
                _firstEventPartition = DoorEventRecord.PartitionFor(resident, Building);
            }

            events.Add(new { eventId = $"e-{day}-{i}", doorId = i % 2 == 0 ? "lobby" : "garage", method = resident is null ? "pin" : "fob", subjectId = resident, at = morning.AddHours(7).AddMinutes(i * 3), granted = true });
        }

        var (status, body) = await Invoke(ctx => _h.Get<DoorEventsApi>().PostAsync(Building, Body(ctx, new { events }), default)).ConfigureAwait(false);
        Expect(status is 200 or 201 or 202 ? 200 : status, 200, "door events " + body);
        _doorEvents += events.Count;
    }

    private async Task FootageAsync(int day, DateTimeOffset morning)
    {
        var clip = new UploadName(Building, "lobby", $"clip-{day}", "mp4");
        await Hardware.UploadAsync(_h.Recordings, clip.BlobName, Hardware.Mp4(4_000, seed: day), Hardware.Metadata(morning.AddHours(8).AddMinutes(30))).ConfigureAwait(false);
        var outcome = await _h.Get<RecordingIngestor>().IngestAsync(clip.BlobName, _hub.Client, default).ConfigureAwait(false);
        Expect(outcome.Result == IngestionResult.Catalogued ? 1 : 0, 1, "footage " + outcome.Result);
        _recordings++;
    }

    private async Task RequestAsync(int day)
    {
        var n = _requests++;
        var type = (RequestType)(n % 4); // Access, Deletion, Correction, CategoriesShared in turn
        var now = _h.Clock.GetUtcNow();
        var formerCanadians = _former.Where(f => f.Jurisdiction == "canada" && f.MovedOut < now.AddDays(-100)).ToList();
        var currentCanadians = _units.Values.Where(u => u.Jurisdiction == "canada").ToList();
        (string Resident, string Jurisdiction) subject;
        if (n == 2 && currentCanadians.Count > 0)
        {
            // The first correction: a Canadian resident's, extended, never answered by property management (O11).
            subject = currentCanadians[0];
        }
        else if (n % 6 == 5 && formerCanadians.Count > 0)
        {
            // Canadian access requests leave a recourse hold of six months (PIPEDA s.8(8)); they come from former residents
            // whose data is gone, so no deadline of theirs falls inside it.
            subject = (formerCanadians[n % formerCanadians.Count].Resident, "canada");
            type = type == RequestType.Deletion ? RequestType.Access : type;
        }
        else
        {
            subject = _units[Unit(1 + _random.Next(_plan.Units))];
            if (subject.Jurisdiction == "canada" && type is RequestType.Access or RequestType.CategoriesShared)
            {
                type = RequestType.Deletion;
            }
        }

        var (resident, jurisdiction) = subject;
        if (n == 2 && _plan.Mutation == Mutation.WrongJurisdiction)
        {
            MisreadResident = resident;
        }

        var agent = n % 5 == 4
            ? new { name = "Advocate LLP", email = "agent@agents.sim.test", permissionReference = "signed " + day, signedPermission = true, permissionDocument = Convert.ToBase64String("%PDF-1.7\n..."u8.ToArray()) }
            : null;
        var correction = type == RequestType.Correction ? new { field = "phone", requestedValue = "+1 212 555 0100", note = (string?)null } : null;
        var (status, body) = await Invoke(ctx => _h.Get<PrivacyRequestsApi>().SubmitAsync(Body(ctx, new
        {
            type, jurisdiction, province = jurisdiction == "canada" ? "on" : null, subject = new { residentId = resident }, channel = n % 2 == 0 ? "web" : "email", agent, correction,
        }), _hub.Client, default)).ConfigureAwait(false);
        Expect(status, 202, "request " + type + " " + body);
        if (status != 202)
        {
            return;
        }

        var requestId = JsonDocument.Parse(body).RootElement.GetProperty("requestId").GetString()!;
        if (n == 2 && _plan.Mutation == Mutation.WrongJurisdiction)
        {
            MisreadRequest = requestId;
        }

        if (n == 2 && _plan.Mutation == Mutation.NoticeNotSent)
        {
            UnnoticedRequest = requestId;
            _transport.Drop = id => id == "request-extended-" + requestId;
        }

        await SettleAsync().ConfigureAwait(false);
        if (n == 2 && _plan.Mutation == Mutation.ServiceChanged)
        {
            DowngradedRequest = requestId;
            var stored = (await _h.Store.ReadAsync<ResidentRecord>(Containers.Residents, resident, ResidentRecord.DocumentId).ConfigureAwait(false))!;
            await _h.Store.UpsertAsync(Containers.Residents, resident, ResidentRecord.DocumentId, stored.Document with { Messages = stored.Document.Messages with { Informational = !stored.Document.Messages.Informational } }).ConfigureAwait(false);
        }

        if (type == RequestType.Correction)
        {
            // Every third correction is extended (the one extension, with notice); the first is never answered by property
            // management and closes at its due date as not made (O11).
            if (n % 3 == 2)
            {
                var (extended, _) = await Invoke(ctx => _h.Get<PrivacyRequestsApi>().ExtendAsync(requestId, Body(ctx, new { reason = "waiting for property management's records" }), default)).ConfigureAwait(false);
                Expect(extended, 200, "extend");
            }

            if (n != 2)
            {
                _openCorrections.Add(requestId);
            }
        }
    }

    private async Task AnswerCorrectionsAsync()
    {
        foreach (var requestId in _openCorrections)
        {
            var (status, _) = await Invoke(ctx => _h.Get<PrivacyRequestsApi>().ResolveCorrectionAsync(requestId, Body(ctx, new { outcome = "corrected", note = (string?)null }), _hub.Client, default)).ConfigureAwait(false);
            Expect(status == 202 ? 200 : status, 200, "resolve correction");
        }

        _openCorrections.Clear();
        await SettleAsync().ConfigureAwait(false);
    }

    private async Task<string> PlaceHoldAsync(DateTimeOffset morning)
    {
        var (status, body) = await Invoke(ctx => _h.Get<HoldsApi>().PlaceAsync(Body(ctx, new
        {
            // The door events of two days, due (90 days on) while the hold is in force; released before its review date.
            reason = "security-incident", scope = new { buildingId = Building, from = morning.AddDays(-80), to = morning.AddDays(-78) }, owner = "security@office.sim.test",
            reviewBy = morning.AddDays(51), note = "tailgating investigated at the lobby",
        }), default)).ConfigureAwait(false);
        Expect(status, 201, "place hold " + body);
        _holds++;
        return JsonDocument.Parse(body).RootElement.GetProperty("holdId").GetString()!;
    }

    private async Task ReleaseHoldAsync(string holdId)
    {
        var (status, _) = await Invoke(_ => _h.Get<HoldsApi>().ReleaseAsync(holdId, "investigation-closed", _hub.Client, default)).ConfigureAwait(false);
        Expect(status, 200, "release hold");
        await SettleAsync().ConfigureAwait(false);
    }

    /// <summary>O13: unit 2 has a roommate besides its main resident (who may move out and be replaced in a turnover).</summary>
    private async Task RoommateMovesInAsync(string unit, DateTimeOffset movedIn)
    {
        var resident = "r-" + (++_residents).ToString("D4", CultureInfo.InvariantCulture);
        var (status, _) = await Invoke(ctx => _h.Get<ResidentsApi>().PutResidentAsync(resident, Body(ctx, new
        {
            buildingId = Building, unitId = unit, movedInAt = movedIn, email = resident + "@residents.sim.test", name = "Roommate " + resident, jurisdiction = "new-york",
        }), default)).ConfigureAwait(false);
        Expect(status, 201, "roommate moves in " + resident);
    }

    /// <summary>O13: unit 2's thermostat changes its set-point on its own schedule: every current resident is alerted.</summary>
    private async Task ThermostatChangedAsync(int day)
    {
        var (status, body) = await Invoke(ctx => _h.Get<RoommateAlerts>().PostAsync(Building, Unit(2), Body(ctx, new
        {
            setting = day % 60 == 12 ? "thermostat-setpoint" : "thermostat-mode", value = day % 60 == 12 ? "21.5" : "heat", changedBy = (string?)null,
        }), default)).ConfigureAwait(false);
        Expect(status, 202, "thermostat change " + body);
        _settingChanges++;
        await SettleAsync().ConfigureAwait(false);
    }

    /// <summary>O12: property management receives a resident's identifiers (recorded in the sharing ledger), or, every other
    /// time, the building's door events go to the energy-efficiency vendor the residents chose.</summary>
    private async Task DiscloseAsync(int day)
    {
        var (resident, _) = _units[Unit(1 + _random.Next(_plan.Units))];
        object body = day % 120 == 30
            ? new { subjectId = resident, dataCategories = new[] { "identifiers" }, recipientCategory = RecipientCategory.PropertyManagement, recipientName = "Sim Property Management",
                purpose = DisclosurePurpose.PropertyManagement, legalBasis = "management contract" }
            : new { buildingId = Building, dataCategories = new[] { "hardware-usage" }, recipientCategory = RecipientCategory.VendorsChosenByPerson, recipientName = "Sim Energy Co",
                purpose = DisclosurePurpose.EnergyEfficiency, legalBasis = "the residents' energy programme" };
        var (status, response) = await Invoke(ctx => _h.Get<DisclosuresApi>().RecordAsync(Body(ctx, body), default)).ConfigureAwait(false);
        Expect(status, 201, "disclose " + response);
        _disclosures++;
    }

    /// <summary>O12: a partner asks for residents' identifiers for its marketing; the pipeline refuses (422) and audits the refusal.</summary>
    private async Task MarketingRefusedAsync()
    {
        var (status, _) = await Invoke(ctx => _h.Get<DisclosuresApi>().RecordAsync(Body(ctx, new
        {
            buildingId = Building, dataCategories = new[] { "identifiers" }, recipientCategory = RecipientCategory.BusinessPartners, recipientName = "Sim Partner",
            purpose = DisclosurePurpose.Marketing, legalBasis = "none",
        }), default)).ConfigureAwait(false);
        Expect(status, 422, "marketing disclosure refused");
    }

    private async Task BreachAsync(DateTimeOffset morning)
    {
        if (_plan.Mutation == Mutation.BreachNoticeNotSent)
        {
            // The first breach notice queued (one person's) never reaches the queue.
            _transport.Drop = id =>
            {
                if (LostBreachNotice is null && id.StartsWith("breach-inc-", StringComparison.Ordinal))
                {
                    LostBreachNotice = id;
                }

                return id == LostBreachNotice;
            };
        }

        var (status, body) = await Invoke(ctx => _h.Get<IncidentsApi>().DeclareAsync(Body(ctx, new
        {
            discoveredAt = morning.AddHours(-20), buildings = new[] { Building }, dataCategories = new[] { "identifiers", "hardware-usage" },
            windowFrom = morning.AddDays(-10), windowTo = morning.AddDays(-1), description = "A misconfigured export exposed the building's directory.",
        }), _hub.Client, default)).ConfigureAwait(false);
        Expect(status, 202, "declare breach " + body);
        if (status == 202)
        {
            Incident = JsonDocument.Parse(body).RootElement.GetProperty("incidentId").GetString();
        }

        await SettleAsync().ConfigureAwait(false);
    }

    private void Expect(int status, int expected, string what)
    {
        if (status != expected)
        {
            _problems.Add(string.Create(CultureInfo.InvariantCulture, $"{_h.Clock.GetUtcNow():yyyy-MM-dd HH:mm} {what}: {status}"));
        }
    }

    private static HttpRequest Body(HttpContext context, object body) =>
        RetentionEngineTests.Json(context, JsonSerializer.Serialize(body, OneValet.Pipeline.Api.ApiJson.Options));

    private static Task<(int Status, string Body)> Invoke(Func<HttpContext, Task<IResult>> handler) => RetentionEngineTests.InvokeAsync(handler);

    /// <summary>The record store as the pipeline's services see it: the real SQLite store, with the mutation of the run.</summary>
    private sealed class MutatingStore(IRecordStore inner, Func<BuildingSimulation?> simulation) : IRecordStore
    {
        public IRecordStore Inner => inner;

        public async Task<StoredRecord<T>?> ReadAsync<T>(string container, string partitionKey, string id, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync<T>(container, partitionKey, id, cancellationToken).ConfigureAwait(false);
            if (container == Containers.Residents && partitionKey == simulation()?.MisreadResident && (object?)read is StoredRecord<ResidentRecord> resident)
            {
                return (StoredRecord<T>)(object)(resident with { Document = resident.Document with { Jurisdiction = "california" } });
            }

            return read;
        }

        // Ingestion writes a door event's deadline with a create (its id is unique in its building), a retry with an upsert.
        public Task<StoredRecord<T>> CreateAsync<T>(string container, string partitionKey, string id, T document, CancellationToken cancellationToken = default) =>
            Dropped(container, document)
                ? Task.FromResult(new StoredRecord<T>(id, partitionKey, "\"dropped\"", document))
                : inner.CreateAsync(container, partitionKey, id, document, cancellationToken);

        public Task<StoredRecord<T>> UpsertAsync<T>(string container, string partitionKey, string id, T document, CancellationToken cancellationToken = default) =>
            Dropped(container, document)
                ? Task.FromResult(new StoredRecord<T>(id, partitionKey, "\"dropped\"", document))
                : inner.UpsertAsync(container, partitionKey, id, document, cancellationToken);

        /// <summary>The write is lost, and the writer is told it was made.</summary>
        private bool Dropped<T>(string container, T document) => (container, document) switch
        {
            (Containers.Schedule, ScheduleEntry { Kind: ItemKind.DoorEvent } e) => e.ItemId == simulation()?.UnruledEvent,
            (Containers.Audit, AuditRecord { Action: "deleted" } a) => a.ItemRef == simulation()?.UnauditedItem,
            _ => false,
        };

        public Task<StoredRecord<T>> ReplaceAsync<T>(string container, string partitionKey, string id, T document, string ifMatchETag, CancellationToken cancellationToken = default) =>
            inner.ReplaceAsync(container, partitionKey, id, document, ifMatchETag, cancellationToken);

        public Task<bool> DeleteAsync(string container, string partitionKey, string id, CancellationToken cancellationToken = default) =>
            inner.DeleteAsync(container, partitionKey, id, cancellationToken);

        public async Task<RecordPage<T>> QueryAsync<T>(string container, string partitionKey, RecordQuery query, int pageSize, string? continuation, CancellationToken cancellationToken = default)
        {
            var page = await inner.QueryAsync<T>(container, partitionKey, query, pageSize, continuation, cancellationToken).ConfigureAwait(false);
            // The enforcer's batch read (not the one-entry look of a bucket's close, which still sees the entry and keeps the
            // bucket open): the entry stays pending, unaudited, its item in place.
            if (container == Containers.Schedule && pageSize > 1 && simulation()?.SkippedItem is { } skipped && page.Items.Any(i => i.Document is ScheduleEntry e && e.ItemRef == skipped))
            {
                return page with { Items = [.. page.Items.Where(i => i.Document is not ScheduleEntry e || e.ItemRef != skipped)] };
            }

            if (container == Containers.Holds && simulation()?.IgnoredHold is { } ignored && page.Items.Any(i => i.Document is HoldRecord h && h.HoldId == ignored))
            {
                return page with { Items = [.. page.Items.Where(i => i.Document is not HoldRecord h || h.HoldId != ignored)] };
            }

            return page;
        }
    }
}
