using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Calendars;
using OneValet.Pipeline.Disclosures;
using OneValet.Pipeline.Durable;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Notifications;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Breaches;

/// <summary>Body of <c>POST /api/incidents</c>.</summary>
public sealed record IncidentInput(DateTimeOffset DiscoveredAt, IReadOnlyList<string> Buildings, IReadOnlyList<string> DataCategories, DateTimeOffset WindowFrom, DateTimeOffset WindowTo, string Description);

/// <summary>A declared breach (container <c>incidents</c>, partition = incident id), kept 24 months (O14, PIPEDA s.10.3).</summary>
public sealed record IncidentRecord
{
    public const string DocumentId = "incident";

    public required string IncidentId { get; init; }

    public required DateTimeOffset DiscoveredAt { get; init; }

    public required IReadOnlyList<string> Buildings { get; init; }

    public required IReadOnlyList<string> DataCategories { get; init; }

    public required DateTimeOffset WindowFrom { get; init; }

    public required DateTimeOffset WindowTo { get; init; }

    public required string Description { get; init; }

    public required DateTimeOffset DeclaredAt { get; init; }

    /// <summary>Every affected person emailed by then: 10 business days from discovery under the strictest calendar.</summary>
    public required DateTimeOffset Deadline { get; init; }

    public bool FannedOut { get; init; }

    public DateTimeOffset? EscalatedAt { get; init; }

    /// <summary>The delivery partition of its notices.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Campaign => "breach-" + IncidentId;
}

/// <summary>What <c>GET /api/incidents/{id}</c> reports (and each item of <c>GET /api/incidents</c>): the campaign's figures,
/// its deadline, and when undelivered notices escalate to the privacy officer (<see cref="EscalateAt"/>; done at
/// <see cref="IncidentRecord.EscalatedAt"/> if anything was undelivered then).</summary>
public sealed record IncidentStatus(IncidentRecord Incident, long Affected, long Pending, long Sent, long Bounced, long Skipped, long ResentAfterUnknownOutcome, bool DeadlineMet, DateTimeOffset EscalateAt);

/// <summary>One incident in the list of declared incidents (container <c>incidents</c>, partition
/// <see cref="IncidentsApi.IndexPartition"/>, id = incident id): ids and times only.</summary>
public sealed record IncidentIndexEntry(string IncidentId, DateTimeOffset DeclaredAt, DateTimeOffset Deadline);

/// <summary>One page of <c>GET /api/incidents</c>: newest declared first.</summary>
public sealed record IncidentPage(IReadOnlyList<IncidentStatus> Items, string? Continuation);

/// <summary>Breach settings.</summary>
public sealed class BreachOptions
{
    public const string Section = "OneValet:Breaches";

    /// <summary>Business days from discovery to every notice sent (the policy's promise; stricter than the laws).</summary>
    public int NoticeBusinessDays { get; set; } = 10;

    /// <summary>Undelivered notices this long before the deadline escalate to the privacy officer.</summary>
    public TimeSpan EscalateBefore { get; set; } = TimeSpan.FromDays(2);

    /// <summary>
    /// Residents per fan-out page: one occupancy query and one activity call each. Each activity call costs a durable round
    /// trip (about a quarter of a second on the local task hub), so pages are large enough for the sends to dominate; the
    /// notices of one page are what a lane holds in memory (about 1 KB each), whatever the number affected.
    /// </summary>
    public int PageSize { get; set; } = 1000;

    /// <summary>Buildings fanned out at the same time (one page activity in flight per lane).</summary>
    public int Lanes { get; set; } = 4;
}

/// <summary>
/// O14: the privacy officer declares a breach; one durable campaign per incident (instance id <c>breach-{incident}</c>) finds
/// the affected residents from the occupancy index, building by building and page by page (one activity per page, continued
/// as new every 25 pages so the history stays small), queues one notice per person with a stable id, and before the deadline
/// escalates what is still undelivered.
/// </summary>
public sealed class IncidentsApi(IRecordStore store, RetentionSchedule schedule, BusinessCalendars calendars, IOptions<BreachOptions> options, TimeProvider time, AuditLog audit)
{
    /// <summary>The audit action written when an incident is declared (O14: the report's proof that the campaign began, with
    /// its deadline).</summary>
    public const string DeclaredAction = "incident-declared";

    /// <summary>The audit action written when the campaign checks its notices before the deadline (<see cref="EscalateUndeliveredActivity"/>):
    /// outcome "all-sent" or "escalated", the counts in <see cref="AuditRecord.How"/>.</summary>
    public const string CheckedAction = "incident-notices-checked";

    /// <summary>The audit entries of an incident have fixed ids: one declaration, one check.</summary>
    public static string AuditIdFor(string action, string incidentId) => AuditLog.IdFor(action, incidentId);

    public static string ItemRefOf(string incidentId) => "incidents/" + incidentId;

    /// <summary>The list of declared incidents, one entry each (issue 18.1). Incident ids are made here (<c>inc-...</c>),
    /// and the ':' keeps this name out of any id's reach (<see cref="Partitions"/>).</summary>
    public const string IndexPartition = "index:incidents";

    public const int DefaultPageSize = 20;

    /// <summary>Each incident on a page costs two single-partition reads (its record and fan-out pages, its deliveries).</summary>
    public const int MaxPageSize = 100;

    public async Task<IResult> DeclareAsync(HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var (input, problem) = await RequestBody.ReadAsync<IncidentInput>(request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var now = time.GetUtcNow();
        if (input!.Buildings is not { Count: > 0 and <= 1000 } || input.Buildings.Any(b => !UploadName.IsValidId(b)) || input.Buildings.Distinct().Count() != input.Buildings.Count)
        {
            return Problems.BadRequest("'buildings' lists 1 to 1000 distinct building ids.");
        }

        if (input.DataCategories is not { Count: > 0 and <= 20 } || input.DataCategories.Any(c => !DisclosuresApi.KnownCategories.Contains(c)))
        {
            return Problems.BadRequest("'dataCategories' lists 1 to 20 of: " + string.Join(", ", DisclosuresApi.KnownCategories) + ".");
        }

        if (input.DiscoveredAt > now + TimeSpan.FromMinutes(5) || input.DiscoveredAt < now.AddYears(-1) || input.WindowFrom >= input.WindowTo || input.WindowFrom > input.DiscoveredAt)
        {
            return Problems.BadRequest("'discoveredAt' is within the last year and not in the future; 'windowFrom' is before 'windowTo' and the discovery.");
        }

        if (string.IsNullOrWhiteSpace(input.Description) || input.Description.Length > 4000)
        {
            return Problems.BadRequest("'description' (at most 4000 characters) says what happened, for the notice.");
        }

        var incident = new IncidentRecord
        {
            IncidentId = "inc-" + Guid.NewGuid().ToString("N")[..16],
            DiscoveredAt = input.DiscoveredAt,
            Buildings = input.Buildings,
            DataCategories = input.DataCategories,
            WindowFrom = input.WindowFrom,
            WindowTo = input.WindowTo,
            Description = input.Description,
            DeclaredAt = now,
            Deadline = calendars.EarliestDeadlineWhereTheyLive(input.DiscoveredAt, options.Value.NoticeBusinessDays, calendars.Ids),
        };

        // Kept 24 months, then deleted by the retention engine with its delivery records (O14, PIPEDA s.10.3).
        var keep = new RetentionRule("breach-record-24m", "O14", TimeSpan.FromDays(730), RetentionAction.Delete);
        await schedule.AddAsync(new ScheduleEntry
        {
            Kind = ItemKind.Incident,
            ItemPartition = incident.IncidentId,
            ItemId = IncidentRecord.DocumentId,
            BuildingId = incident.Buildings[0],
            EventAt = now,
            Category = "breach-record",
            Rule = keep,
            Deadline = keep.DeadlineFrom(now),
        }, cancellationToken).ConfigureAwait(false);
        await store.CreateAsync(Containers.Incidents, incident.IncidentId, IncidentRecord.DocumentId, incident, cancellationToken).ConfigureAwait(false);
        await store.UpsertAsync(Containers.Incidents, IndexPartition, incident.IncidentId, new IncidentIndexEntry(incident.IncidentId, incident.DeclaredAt, incident.Deadline), cancellationToken).ConfigureAwait(false);

        // O14's evidence: ids, categories and times only (the description stays in the incident record).
        await audit.WriteAsync(AuditIdFor(DeclaredAction, incident.IncidentId), new AuditRecord
        {
            Action = DeclaredAction,
            ItemRef = ItemRefOf(incident.IncidentId),
            Category = string.Join(",", incident.DataCategories),
            Obligation = "O14",
            Deadline = incident.Deadline,
            EventAt = incident.DiscoveredAt,
            How = string.Create(CultureInfo.InvariantCulture, $"{incident.Buildings.Count} building(s); notices due {options.Value.NoticeBusinessDays} business days from discovery"),
            Outcome = "declared",
            At = now,
            DoneAt = now,
        }, cancellationToken).ConfigureAwait(false);
        await DurableStarts.StartOnceAsync(client, nameof(BreachCampaignOrchestrator), BreachCampaignOrchestrator.InstanceIdFor(incident.IncidentId),
            BreachCampaignState.Start(incident.IncidentId, incident.Buildings.Count, options.Value.Lanes), cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(incident, ApiJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    public async Task<IResult> GetAsync(string incidentId, CancellationToken cancellationToken)
    {
        var status = UploadName.IsValidId(incidentId) ? await StatusAsync(incidentId, cancellationToken).ConfigureAwait(false) : null;
        return status is null ? Problems.NotFound("No such incident.") : TypedResults.Json(status, ApiJson.Options);
    }

    /// <summary><c>GET /api/incidents</c>: the declared incidents, newest first, each with its campaign figures (O14). Cost per
    /// page: the index partition (one small entry per incident of the last 24 months) plus two single-partition reads per
    /// incident on the page.</summary>
    public async Task<IResult> ListAsync(string? pageSize, string? continuation, CancellationToken cancellationToken)
    {
        if (PageSizes.TryRead(pageSize, DefaultPageSize, MaxPageSize, out var size) is { } badSize)
        {
            return badSize;
        }

        var offset = 0;
        if (continuation is not null && (!ContinuationTokens.TryDecode(continuation, out var inner) || !int.TryParse(inner, NumberStyles.None, CultureInfo.InvariantCulture, out offset)))
        {
            return Problems.BadRequest("'continuation' is not one this API handed out.");
        }

        var index = new List<IncidentIndexEntry>();
        string? next = null;
        do
        {
            var page = await store.QueryAsync<IncidentIndexEntry>(Containers.Incidents, IndexPartition, RecordQuery.All, 500, next, cancellationToken).ConfigureAwait(false);
            index.AddRange(page.Items.Select(i => i.Document));
            next = page.Continuation;
        }
        while (next is not null);

        var sorted = index.OrderByDescending(e => e.DeclaredAt).ThenBy(e => e.IncidentId, StringComparer.Ordinal).ToList();
        var items = new List<IncidentStatus>();
        foreach (var entry in sorted.Skip(offset).Take(size))
        {
            // An entry whose incident the retention engine deleted a moment ago is left out, not reported half.
            if (await StatusAsync(entry.IncidentId, cancellationToken).ConfigureAwait(false) is { } status)
            {
                items.Add(status);
            }
        }

        var seen = offset + Math.Min(size, Math.Max(0, sorted.Count - offset));
        return TypedResults.Json(
            new IncidentPage(items, seen < sorted.Count ? ContinuationTokens.Encode(seen.ToString(CultureInfo.InvariantCulture)) : null),
            ApiJson.Options);
    }

    public async Task<IncidentStatus?> StatusAsync(string incidentId, CancellationToken cancellationToken)
    {
        var incident = await store.ReadAsync<IncidentRecord>(Containers.Incidents, incidentId, IncidentRecord.DocumentId, cancellationToken).ConfigureAwait(false);
        if (incident is null)
        {
            return null;
        }

        long affected = 0, handled = 0, sent = 0, bounced = 0, skipped = 0, resent = 0;
        DateTimeOffset? lastSent = null;
        string? continuation = null;
        do
        {
            var pages = await store.QueryAsync<System.Text.Json.Nodes.JsonObject>(Containers.Incidents, incidentId, RecordQuery.All, 1000, continuation, cancellationToken).ConfigureAwait(false);
            affected += pages.Items.Where(p => p.Id.StartsWith("page-", StringComparison.Ordinal)).Sum(p => (long)(p.Document["queued"]?.GetValue<int>() ?? 0));
            continuation = pages.Continuation;
        }
        while (continuation is not null);

        do
        {
            var page = await store.QueryAsync<DeliveryRecord>(Containers.Deliveries, incident.Document.Campaign, RecordQuery.All, 1000, continuation, cancellationToken).ConfigureAwait(false);
            foreach (var d in page.Items.Select(i => i.Document))
            {
                handled += d.Status is DeliveryStatus.Sent or DeliveryStatus.Bounced or DeliveryStatus.Skipped ? 1 : 0;
                switch (d.Status)
                {
                    case DeliveryStatus.Sent:
                        sent++;
                        lastSent = lastSent is { } l && l > d.SentAt ? l : d.SentAt;
                        break;
                    case DeliveryStatus.Bounced:
                        bounced++;
                        break;
                    case DeliveryStatus.Skipped:
                        skipped++;
                        break;
                }

                resent += d.ResentAfterUnknownOutcome ? 1 : 0;
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);
        var pending = Math.Max(0, affected - handled);
        var met = incident.Document.FannedOut && pending == 0 && (lastSent is null || lastSent <= incident.Document.Deadline);
        return new IncidentStatus(incident.Document, affected, pending, sent, bounced, skipped, resent, met, incident.Document.Deadline - options.Value.EscalateBefore);
    }
}

/// <summary>How many notices one fan-out page queued (container <c>incidents</c>, the incident's partition).</summary>
public sealed record FanOutPage(string BuildingId, int Queued, DateTimeOffset At);

/// <summary>Where the fan-out of one building is: the incident, the building's index in it, the store's page cursor.</summary>
public sealed record FanOutCursor(string IncidentId, int BuildingIndex, string? Continuation);

/// <summary>
/// Where a breach campaign's fan-out is: ids, counts and cursors only (never a resident). <see cref="Open"/> are buildings
/// begun and not finished; <see cref="NextBuilding"/> is the first not begun.
/// </summary>
public sealed record BreachCampaignState(string IncidentId, int BuildingCount, int Lanes, int NextBuilding, IReadOnlyList<FanOutCursor> Open)
{
    public static BreachCampaignState Start(string incidentId, int buildingCount, int lanes) =>
        new(incidentId, buildingCount, Math.Clamp(lanes, 1, 16), 0, []);
}

/// <summary>
/// The campaign of one incident (see <see cref="IncidentsApi"/>). Up to <see cref="BreachCampaignState.Lanes"/> buildings
/// are fanned out at once, one page activity in flight per building, a lane taking the next building as soon as its
/// building is done; every <see cref="PagesPerGeneration"/> pages the in-flight pages are awaited and the orchestration
/// continues as new with the cursors, so its history stays small whatever the number affected. Deterministic: all I/O is
/// in activities.
/// </summary>
public sealed class BreachCampaignOrchestrator : TaskOrchestrator<BreachCampaignState, string>
{
    public const int PagesPerGeneration = 50;

    public static string InstanceIdFor(string incidentId) => "breach-" + incidentId;

    public override async Task<string> RunAsync(TaskOrchestrationContext context, BreachCampaignState input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var retry = TaskOptions.FromRetryPolicy(new RetryPolicy(10, TimeSpan.FromSeconds(2), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(1)));
        var waiting = new Queue<FanOutCursor>(input.Open);
        var nextBuilding = input.NextBuilding;
        var inFlight = new List<Task<FanOutCursor?>>();
        var pages = 0;
        while (true)
        {
            while (pages + inFlight.Count < PagesPerGeneration && inFlight.Count < input.Lanes && (waiting.Count > 0 || nextBuilding < input.BuildingCount))
            {
                var cursor = waiting.Count > 0 ? waiting.Dequeue() : new FanOutCursor(input.IncidentId, nextBuilding++, null);
                inFlight.Add(context.CallActivityAsync<FanOutCursor?>(nameof(NotifyAffectedPageActivity), cursor, retry));
            }

            if (inFlight.Count == 0)
            {
                break;
            }

            var done = await Task.WhenAny(inFlight);
            inFlight.Remove(done);
            pages++;
            if (await done is { } next)
            {
                waiting.Enqueue(next);
            }

            if (pages + inFlight.Count >= PagesPerGeneration && inFlight.Count == 0 && (waiting.Count > 0 || nextBuilding < input.BuildingCount))
            {
                context.ContinueAsNew(input with { NextBuilding = nextBuilding, Open = [.. waiting] });
                return "continued";
            }
        }

        var escalateAt = await context.CallActivityAsync<DateTime>(nameof(FinishFanOutActivity), input.IncidentId, retry);
        if (context.CurrentUtcDateTime < escalateAt)
        {
            await context.CreateTimer(escalateAt, CancellationToken.None);
        }

        var undelivered = await context.CallActivityAsync<long>(nameof(EscalateUndeliveredActivity), input.IncidentId, retry);
        return undelivered == 0 ? "all-handled" : "escalated";
    }
}

/// <summary>
/// One page of a building's affected residents: one notice each, with a stable id (a replayed page queues the same ids,
/// which the dispatcher sends once), and one progress record for the page. Returns the building's next page, or null when
/// the building is done.
/// </summary>
public sealed class NotifyAffectedPageActivity(IRecordStore store, NotificationPublisher publisher, IOptions<BreachOptions> options, TimeProvider time, Telemetry.PipelineMetrics metrics)
    : TaskActivity<FanOutCursor, FanOutCursor?>
{
    public override async Task<FanOutCursor?> RunAsync(TaskActivityContext context, FanOutCursor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var incident = (await store.ReadAsync<IncidentRecord>(Containers.Incidents, input.IncidentId, IncidentRecord.DocumentId).ConfigureAwait(false))?.Document
            ?? throw new InvalidOperationException("The incident record is missing.");
        if (input.BuildingIndex >= incident.Buildings.Count)
        {
            return null;
        }

        var building = incident.Buildings[input.BuildingIndex];
        var page = await store.QueryAsync<OccupancyRecord>(Containers.Occupancy, building, RecordQuery.All, options.Value.PageSize, input.Continuation).ConfigureAwait(false);
        var values = new Dictionary<string, string>
        {
            ["incidentId"] = incident.IncidentId,
            ["discoveredAt"] = incident.DiscoveredAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["categories"] = string.Join(", ", incident.DataCategories),
        };
        var notices = new List<NotificationRequest>(page.Items.Count);
        foreach (var occupant in page.Items.Select(i => i.Document))
        {
            // Affected: lived in the building at some time in the incident's window.
            if (occupant.MovedInAt >= incident.WindowTo || (occupant.MovedOutAt is { } left && left < incident.WindowFrom))
            {
                continue;
            }

            notices.Add(new NotificationRequest($"breach-{incident.IncidentId}-{occupant.ResidentId}", incident.Campaign, "breach-notice", RecipientKind.Resident, occupant.ResidentId, MessageClass.Service, values));
        }

        if (notices.Count > 0)
        {
            await publisher.PublishBatchAsync(notices, CancellationToken.None).ConfigureAwait(false);
            metrics.BreachNoticesQueued.Add(notices.Count);
        }

        // One progress record per page (a replayed page rewrites the same one): the affected count without a write per person.
        var pageKey = AuditLog.IdFor(input.BuildingIndex.ToString(CultureInfo.InvariantCulture), input.Continuation ?? string.Empty);
        await store.UpsertAsync(Containers.Incidents, incident.IncidentId, "page-" + pageKey, new FanOutPage(building, notices.Count, time.GetUtcNow())).ConfigureAwait(false);
        return page.Continuation is null ? null : input with { Continuation = page.Continuation };
    }
}

/// <summary>Marks the incident fanned out and says when to check for undelivered notices: <see cref="BreachOptions.EscalateBefore"/> before the deadline.</summary>
public sealed class FinishFanOutActivity(IRecordStore store, IOptions<BreachOptions> options) : TaskActivity<string, DateTime>
{
    public override async Task<DateTime> RunAsync(TaskActivityContext context, string input)
    {
        var incident = (await store.ReadAsync<IncidentRecord>(Containers.Incidents, input, IncidentRecord.DocumentId).ConfigureAwait(false))?.Document
            ?? throw new InvalidOperationException("The incident record is missing.");
        if (!incident.FannedOut)
        {
            await store.UpsertAsync(Containers.Incidents, incident.IncidentId, IncidentRecord.DocumentId, incident with { FannedOut = true }).ConfigureAwait(false);
        }

        return (incident.Deadline - options.Value.EscalateBefore).UtcDateTime;
    }
}

/// <summary>Counts what is still undelivered and, if anything is, tells the privacy officer (once per incident). Either way it writes the check's audit entry (O14, <see cref="IncidentsApi.CheckedAction"/>): counts only, the
/// outcome "all-sent" or "escalated"; a replay rewrites the same entry.</summary>
public sealed class EscalateUndeliveredActivity(IncidentsApi incidents, IRecordStore store, NotificationPublisher publisher, AuditLog audit, TimeProvider time, Telemetry.PipelineMetrics metrics) : TaskActivity<string, long>
{
    public override async Task<long> RunAsync(TaskActivityContext context, string input)
    {
        var status = await incidents.StatusAsync(input, CancellationToken.None).ConfigureAwait(false) ?? throw new InvalidOperationException("The incident record is missing.");
        var undelivered = status.Pending + status.Bounced + status.Skipped;
        var now = time.GetUtcNow();
        await audit.WriteAsync(IncidentsApi.AuditIdFor(IncidentsApi.CheckedAction, input), new AuditRecord
        {
            Action = IncidentsApi.CheckedAction,
            ItemRef = IncidentsApi.ItemRefOf(input),
            Obligation = "O14",
            Deadline = status.Incident.Deadline,
            EventAt = status.Incident.DiscoveredAt,
            How = string.Create(CultureInfo.InvariantCulture,
                $"affected {status.Affected}, sent {status.Sent}, bounced {status.Bounced}, skipped {status.Skipped}, pending {status.Pending}"),
            Outcome = undelivered == 0 ? "all-sent" : "escalated",
            At = now,
            DoneAt = now,
        }, CancellationToken.None).ConfigureAwait(false);
        if (undelivered == 0)
        {
            return 0;
        }

        await publisher.PublishAsync(new NotificationRequest(
            $"breach-escalation-{input}",
            "breach-escalations",
            "breach-escalation",
            RecipientKind.PrivacyOfficer,
            "privacy-office",
            MessageClass.Service,
            new Dictionary<string, string>
            {
                ["incidentId"] = input,
                ["undelivered"] = undelivered.ToString(CultureInfo.InvariantCulture),
                ["affected"] = status.Affected.ToString(CultureInfo.InvariantCulture),
                ["deadline"] = RecordJson.Timestamp(status.Incident.Deadline),
            }), CancellationToken.None).ConfigureAwait(false);
        await store.UpsertAsync(Containers.Incidents, input, IncidentRecord.DocumentId, status.Incident with { EscalatedAt = time.GetUtcNow() }).ConfigureAwait(false);
        metrics.BreachEscalations.Add(1);
        return undelivered;
    }
}
