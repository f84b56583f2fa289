using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Calendars;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Evidence;

/// <summary>
/// Gathers a report's records from the store, every read a single-partition query or a point read: the period's audit
/// days; the open schedule buckets due by the end of the period; the requests received from 100 days before the period
/// (the longest clock, 45 + 45 days, fits) by month partition, each record and its step audit entries by id; the holds
/// and their release entries by id. Then <see cref="ComplianceReportBuilder.Build"/> judges them.
/// </summary>
public sealed class ComplianceReportLoader(IRecordStore store, AuditTrail trail, AuditLog audit, RetentionSchedule schedule, BusinessCalendars calendars, TimeProvider time, Breaches.IncidentsApi incidents,
    Microsoft.Extensions.Options.IOptions<RetentionOptions> retention)
{
    public static readonly TimeSpan RequestLookback = TimeSpan.FromDays(100);

    public static readonly string[] RequestSteps = ["received", "acknowledged", "extended", "closed", PrivacyRequestService.ServiceComparedStep];

    public async Task<ComplianceReport> BuildAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var records = await LoadAsync(from, to, now, cancellationToken).ConfigureAwait(false);
        return ComplianceReportBuilder.Build(from, to, now, records);
    }

    public async Task<ReportRecords> LoadAsync(DateTimeOffset from, DateTimeOffset to, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var entries = await trail.AllAsync(from, to, AuditFilter.None, cancellationToken).ConfigureAwait(false);
        var known = entries.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        var unfinished = await UnfinishedAsync(from, to < now ? to : now, cancellationToken).ConfigureAwait(false);
        var requests = await RequestsAsync(from, to, cancellationToken).ConfigureAwait(false);
        var allHolds = await AllHoldsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var hold in allHolds.Where(h => h.ReviewBy >= from && h.ReviewBy < to && (h.ReleasedAt is not null || h.Until is not null)))
        {
            // The review's proof: the release, or for a hold that ends by itself, its placing with that end.
            var (action, at) = hold.ReleasedAt is { } releasedAt ? ("hold-released", releasedAt) : ("hold-placed", hold.PlacedAt);
            var id = AuditLog.IdFor(action, hold.HoldId);
            if (!known.Contains(id) && await audit.ReadAsync(id, at, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                entries.Add(new AuditEntryView(id, AuditLog.PartitionFor(entry.At), entry));
            }
        }

        await AddConsentsAsync(entries, known, from, cancellationToken).ConfigureAwait(false);
        var declared = await IncidentsAsync(from, to, entries, known, cancellationToken).ConfigureAwait(false);
        var alerts = await AlertDeliveriesAsync(entries, cancellationToken).ConfigureAwait(false);
        var catalogue = await CatalogueAsync(entries, from, cancellationToken).ConfigureAwait(false);
        return new ReportRecords(entries, unfinished, requests, allHolds, declared, alerts, catalogue);
    }

    /// <summary>
    /// O1 and the deletions' cross-check: every item the period's trail lists as stored (the "catalogued" entries, one per
    /// ingestion call, and the refused uploads' "quarantined" entries), and the items catalogued in the
    /// <see cref="CatalogueLookback"/> before the period (whose deadlines may fall in it), each with its schedule entry, found
    /// by one single-partition query in the bucket the entry names (by item id). The lookback days are read with the
    /// action filter, one query per day.
    /// </summary>
    private async Task<List<CatalogueEvidence>> CatalogueAsync(List<AuditEntryView> entries, DateTimeOffset from, CancellationToken cancellationToken)
    {
        var listed = entries.Where(e => e.Entry.Catalogued is { Count: > 0 }).ToList();
        listed.AddRange(await trail.AllAsync(from - CatalogueLookback(retention.Value), from, new AuditFilter(Action: Catalogue.Action), cancellationToken).ConfigureAwait(false));
        var result = new List<CatalogueEvidence>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var view in listed)
        {
            foreach (var item in view.Entry.Catalogued ?? [])
            {
                if (!seen.Add(item.Reference))
                {
                    continue;
                }

                ScheduleEntry? found = null;
                if (item.Bucket is { } bucket)
                {
                    var page = await store.QueryAsync<ScheduleEntry>(Containers.Schedule, bucket,
                        RecordQuery.Where(new FieldCondition("itemId", FieldOperator.Equal, System.Text.Json.Nodes.JsonValue.Create(item.ItemId))), 50, null, cancellationToken).ConfigureAwait(false);
                    found = page.Items.Select(i => i.Document).FirstOrDefault(e => e.Kind == item.Kind && e.Version == item.Version && e.BuildingId == item.BuildingId);
                }

                result.Add(new CatalogueEvidence(view, item, found));
            }
        }

        return result;
    }

    /// <summary>How far before a period the report looks for items whose deadline may fall in it: the longest rule ingestion
    /// gives (footage, per building too, and TDPA authentication data).</summary>
    public static TimeSpan CatalogueLookback(RetentionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var longest = options.SurveillanceFootage > options.AuthenticationData ? options.SurveillanceFootage : options.AuthenticationData;
        foreach (var building in options.Buildings.Values)
        {
            if (building.SurveillanceFootage is { } footage && footage > longest)
            {
                longest = footage;
            }
        }

        return longest;
    }

    /// <summary>O13: the delivery records of each shared-setting change in the period's trail (one partition per change).</summary>
    private async Task<Dictionary<string, IReadOnlyList<Notifications.DeliveryRecord>>> AlertDeliveriesAsync(List<AuditEntryView> entries, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, IReadOnlyList<Notifications.DeliveryRecord>>(StringComparer.Ordinal);
        foreach (var view in entries.Where(v => v.Entry.Action == Disclosures.RoommateAlerts.ChangedAction).ToList())
        {
            var changeId = view.Entry.ItemRef["setting-changes/".Length..];
            var list = new List<Notifications.DeliveryRecord>();
            string? continuation = null;
            do
            {
                var page = await store.QueryAsync<Notifications.DeliveryRecord>(Containers.Deliveries, Disclosures.RoommateAlerts.CampaignOf(changeId), RecordQuery.All, 500, continuation, cancellationToken).ConfigureAwait(false);
                list.AddRange(page.Items.Select(i => i.Document));
                continuation = page.Continuation;
            }
            while (continuation is not null);
            result[changeId] = list;
        }

        return result;
    }

    /// <summary>
    /// O14: the incidents whose deadline falls in the period (the index partition), each with its campaign's figures (two
    /// single-partition reads: its record and fan-out pages, its delivery records). Their audit entries outside the period's
    /// days are point reads: the declaration on its day, the campaign's check from its planned time (deadline less
    /// <see cref="Breaches.BreachOptions.EscalateBefore"/>) to the day after the later of the deadline and the escalation.
    /// </summary>
    private async Task<List<Breaches.IncidentStatus>> IncidentsAsync(DateTimeOffset from, DateTimeOffset to, List<AuditEntryView> entries, HashSet<string> known, CancellationToken cancellationToken)
    {
        var result = new List<Breaches.IncidentStatus>();
        string? continuation = null;
        do
        {
            var page = await store.QueryAsync<Breaches.IncidentIndexEntry>(Containers.Incidents, Breaches.IncidentsApi.IndexPartition, RecordQuery.All, 500, continuation, cancellationToken).ConfigureAwait(false);
            foreach (var entry in page.Items.Select(i => i.Document).Where(e => e.Deadline >= from && e.Deadline < to))
            {
                if (await incidents.StatusAsync(entry.IncidentId, cancellationToken).ConfigureAwait(false) is not { } status)
                {
                    continue;
                }

                result.Add(status);
                await AddAuditAsync(Breaches.IncidentsApi.DeclaredAction, entry.IncidentId, [status.Incident.DeclaredAt], entries, known, cancellationToken).ConfigureAwait(false);
                var last = status.Incident.EscalatedAt is { } escalated && escalated > status.Incident.Deadline ? escalated : status.Incident.Deadline;
                var days = new List<DateTimeOffset>();
                for (var day = status.EscalateAt; day <= last.AddDays(1); day = day.AddDays(1))
                {
                    days.Add(day);
                }

                await AddAuditAsync(Breaches.IncidentsApi.CheckedAction, entry.IncidentId, days, entries, known, cancellationToken).ConfigureAwait(false);
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);
        return result;
    }

    /// <summary>Adds an incident's audit entry (fixed id) from the first of <paramref name="days"/> that holds it, unless the
    /// period's days already brought it.</summary>
    private async Task AddAuditAsync(string action, string incidentId, IReadOnlyList<DateTimeOffset> days, List<AuditEntryView> entries, HashSet<string> known, CancellationToken cancellationToken)
    {
        var id = Breaches.IncidentsApi.AuditIdFor(action, incidentId);
        if (known.Contains(id))
        {
            return;
        }

        foreach (var day in days)
        {
            if (await audit.ReadAsync(id, day, cancellationToken).ConfigureAwait(false) is { } found)
            {
                entries.Add(new AuditEntryView(id, AuditLog.PartitionFor(found.At), found));
                known.Add(id);
                return;
            }
        }
    }

    /// <summary>
    /// O3: the consent entries the period's capture checks name that predate the period, each read once by its id in its day
    /// (a point read), and for each such consent the withdrawals its resident made between it and the period (from the
    /// resident record's consent history: one point read per resident, then one per withdrawal), so a match after a
    /// withdrawal outside the period is still seen.
    /// </summary>
    private async Task AddConsentsAsync(List<AuditEntryView> entries, HashSet<string> known, DateTimeOffset from, CancellationToken cancellationToken)
    {
        var named = entries.Where(e => e.Entry is { Action: Faces.FacialEntryChecks.AuditAction, ConsentEntryId: not null, ConsentAt: not null })
            .Select(e => (Id: e.Entry.ConsentEntryId!, At: e.Entry.ConsentAt!.Value)).Distinct().ToList();
        var residents = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (id, at) in named)
        {
            if (known.Contains(id) || await audit.ReadAsync(id, at, cancellationToken).ConfigureAwait(false) is not { } grant)
            {
                continue;
            }

            known.Add(id);
            entries.Add(new AuditEntryView(id, AuditLog.PartitionFor(grant.At), grant));
            var residentId = grant.ItemRef.StartsWith("residents/", StringComparison.Ordinal) ? grant.ItemRef["residents/".Length..] : null;
            if (residentId is null || !residents.Add(residentId)
                || (await store.ReadAsync<ResidentRecord>(Containers.Residents, residentId, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document.FacialEntry is not { } consent)
            {
                continue;
            }

            foreach (var withdrawal in consent.History.Where(h => h.Action == "withdrawn" && h.At >= grant.At && h.At < from))
            {
                var withdrawalId = ConsentAudit.IdFor(ConsentAudit.Withdrawn, residentId, withdrawal.At);
                if (!known.Contains(withdrawalId) && await audit.ReadAsync(withdrawalId, withdrawal.At, cancellationToken).ConfigureAwait(false) is { } entry)
                {
                    known.Add(withdrawalId);
                    entries.Add(new AuditEntryView(withdrawalId, AuditLog.PartitionFor(entry.At), entry));
                }
            }
        }
    }

    private async Task<List<ScheduleEntry>> UnfinishedAsync(DateTimeOffset from, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var result = new List<ScheduleEntry>();
        if (until <= from)
        {
            return result;
        }

        foreach (var bucket in await schedule.BucketsDueByAsync(until + schedule.BucketWidth, cancellationToken).ConfigureAwait(false))
        {
            foreach (var status in new[] { EntryStatus.Pending, EntryStatus.Held })
            {
                string? continuation = null;
                do
                {
                    var page = await schedule.OpenEntriesAsync(bucket.Key, status, 500, continuation, cancellationToken).ConfigureAwait(false);
                    result.AddRange(page.Items.Select(i => i.Document).Where(e => e.Deadline >= from && e.Deadline < until));
                    continuation = page.Continuation;
                }
                while (continuation is not null);
            }
        }

        return result;
    }

    private async Task<List<RequestEvidence>> RequestsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var result = new List<RequestEvidence>();
        var start = from - RequestLookback;
        for (var month = new DateTimeOffset(start.Year, start.Month, 1, 0, 0, 0, TimeSpan.Zero); month < to; month = month.AddMonths(1))
        {
            string? continuation = null;
            do
            {
                var page = await store.QueryAsync<RequestIndexEntry>(Containers.Requests, PrivacyRequestService.ReceivedPartition(month), RecordQuery.All, 500, continuation, cancellationToken).ConfigureAwait(false);
                foreach (var entry in page.Items)
                {
                    var record = (await store.ReadAsync<PrivacyRequestRecord>(Containers.Requests, entry.Document.RequestId, PrivacyRequestRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document;
                    if (record is null || !Touches(record, from, to))
                    {
                        continue;
                    }

                    var (onFile, acknowledgeBy) = await OnFileClocksAsync(record, cancellationToken).ConfigureAwait(false);
                    var steps = await StepsAsync(record, cancellationToken).ConfigureAwait(false);
                    await AddVerificationStepsAsync(record, steps, cancellationToken).ConfigureAwait(false);
                    result.Add(new RequestEvidence(record, steps, onFile, acknowledgeBy, await NoticesAsync(record, cancellationToken).ConfigureAwait(false)));
                }

                continuation = page.Continuation;
            }
            while (continuation is not null);
        }

        return result;
    }

    /// <summary>D1 from the person's record on file (one point read): their jurisdiction, and the acknowledgement deadline it
    /// gives (10 business days on its calendar, in its time zone). Nobody on file: nulls (the request's own clocks stand).</summary>
    private async Task<(string? Jurisdiction, DateTimeOffset? AcknowledgeBy)> OnFileClocksAsync(PrivacyRequestRecord r, CancellationToken cancellationToken)
    {
        if (r.SubjectId is null
            || (await store.ReadAsync<ResidentRecord>(Containers.Residents, r.SubjectId, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document.Jurisdiction is not { } jurisdiction)
        {
            return (null, null);
        }

        var calendar = calendars.CalendarFor(jurisdiction, jurisdiction == "canada" ? r.Province : null);
        return (jurisdiction, calendars.Get(calendar).AddBusinessDays(r.ReceivedAt, 10, calendars.ZoneFor(calendar)));
    }

    /// <summary>The delivery records of the notices D1 requires (point reads in the request's campaign): sent ones only.</summary>
    private async Task<Dictionary<string, string>> NoticesAsync(PrivacyRequestRecord r, CancellationToken cancellationToken)
    {
        var notices = new Dictionary<string, string>(StringComparer.Ordinal);
        var campaign = "request-" + r.RequestId;
        foreach (var (step, template) in ComplianceReportBuilder.NoticeTemplates)
        {
            var id = template + "-" + r.RequestId;
            if ((await store.ReadAsync<Notifications.DeliveryRecord>(Containers.Deliveries, campaign, id, cancellationToken).ConfigureAwait(false))?.Document is { Status: Notifications.DeliveryStatus.Sent })
            {
                notices[step] = $"deliveries/{campaign}/{id}";
            }
        }

        return notices;
    }

    private static bool Touches(PrivacyRequestRecord r, DateTimeOffset from, DateTimeOffset to) =>
        (r.AcknowledgeBy >= from && r.AcknowledgeBy < to) || (r.DueAt >= from && r.DueAt < to) || (r.EffectiveDueAt >= from && r.EffectiveDueAt < to);

    /// <summary>The audit entries of a request's steps, read by their fixed ids in the day of the step's recorded time.</summary>
    private async Task<Dictionary<string, AuditEntryView>> StepsAsync(PrivacyRequestRecord r, CancellationToken cancellationToken)
    {
        var steps = new Dictionary<string, AuditEntryView>(StringComparer.Ordinal);
        foreach (var step in RequestSteps)
        {
            DateTimeOffset? at = step switch
            {
                "received" => r.ReceivedAt,
                "acknowledged" => r.AcknowledgedAt,
                "closed" or PrivacyRequestService.ServiceComparedStep => r.ClosedAt,
                _ => r.Steps.LastOrDefault(s => s.Name == step)?.At,
            };
            if (at is null)
            {
                continue;
            }

            var id = PrivacyRequestService.StepAuditId(step, r.RequestId);
            if (await audit.ReadAsync(id, at.Value, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                steps[step] = new AuditEntryView(id, AuditLog.PartitionFor(entry.At), entry);
            }
        }

        return steps;
    }

    /// <summary>O10: the audit entries of a request's verification steps (<see cref="PrivacyRequestService.VerificationSteps"/>),
    /// read by their fixed ids in the day of the record's step.</summary>
    private async Task AddVerificationStepsAsync(PrivacyRequestRecord r, Dictionary<string, AuditEntryView> steps, CancellationToken cancellationToken)
    {
        foreach (var (step, recordStep) in PrivacyRequestService.VerificationSteps)
        {
            if (r.Steps.FirstOrDefault(s => s.Name == recordStep) is not { } at)
            {
                continue;
            }

            var id = PrivacyRequestService.StepAuditId(step, r.RequestId);
            if (await audit.ReadAsync(id, at.At, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                steps[step] = new AuditEntryView(id, AuditLog.PartitionFor(entry.At), entry);
            }
        }
    }

    private async Task<List<HoldRecord>> AllHoldsAsync(CancellationToken cancellationToken)
    {
        var result = new List<HoldRecord>();
        string? continuation = null;
        do
        {
            var page = await store.QueryAsync<HoldRecord>(Containers.Holds, HoldRegistry.Partition, RecordQuery.All, 500, continuation, cancellationToken).ConfigureAwait(false);
            result.AddRange(page.Items.Select(i => i.Document));
            continuation = page.Continuation;
        }
        while (continuation is not null);
        return result;
    }
}
