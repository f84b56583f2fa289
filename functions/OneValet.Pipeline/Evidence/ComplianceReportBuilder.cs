using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Retention;

namespace OneValet.Pipeline.Evidence;

/// <summary>A request whose clocks the report judges, with the audit entries of its steps found by their fixed ids
/// (<see cref="PrivacyRequestService.StepAuditId"/>): step name ("received", "acknowledged", "extended", "closed") to entry.
/// <paramref name="OnFileJurisdiction"/> and <paramref name="OnFileAcknowledgeBy"/>: the clocks D1 gives the person as their
/// record on file says (null when nobody is on file), recomputed by the report rather than read from the request.
/// <paramref name="Notices"/>: for the steps whose notice D1 requires ("acknowledged": receipt confirmed; "extended": the
/// extension's notice), the delivery record of the notice to the person when it was sent; null when notices were not looked up.</summary>
public sealed record RequestEvidence(PrivacyRequestRecord Record, IReadOnlyDictionary<string, AuditEntryView> Steps, string? OnFileJurisdiction = null, DateTimeOffset? OnFileAcknowledgeBy = null,
    IReadOnlyDictionary<string, string>? Notices = null);

/// <summary>Everything a report is built from. A loader gathers it from the store (<see cref="ComplianceReportLoader"/>);
/// a simulation can hand it over directly.</summary>
/// <param name="Audit">Every audit entry of the period's days.</param>
/// <param name="Unfinished">Schedule entries still pending or held whose deadline has passed (from the open buckets).</param>
/// <param name="Requests">Requests with a clock in the period.</param>
/// <param name="Holds">Every hold.</param>
/// <param name="Incidents">O14: the declared incidents whose notice deadline falls in the period, each with its campaign's
/// figures from its delivery records (their incident audit entries are in <paramref name="Audit"/>); null when not looked up.</param>
/// <param name="AlertDeliveries">O13: the delivery records of each shared-setting change of the period (by change id).</param>
/// <param name="Catalogue">O1: each item a catalogue entry lists (of the period, and of the lookback before it), with its
/// schedule entry as the store holds it; null when not looked up.</param>
public sealed record ReportRecords(
    IReadOnlyList<AuditEntryView> Audit,
    IReadOnlyList<ScheduleEntry> Unfinished,
    IReadOnlyList<RequestEvidence> Requests,
    IReadOnlyList<HoldRecord> Holds,
    IReadOnlyList<Breaches.IncidentStatus>? Incidents = null,
    IReadOnlyDictionary<string, IReadOnlyList<Notifications.DeliveryRecord>>? AlertDeliveries = null,
    IReadOnlyList<CatalogueEvidence>? Catalogue = null);

/// <summary>One stored item as its catalogue entry (<paramref name="Entry"/>: "catalogued", "quarantined" or
/// "facial-entry-enrolled") lists it, and its schedule entry found in the bucket the listing names (null: none there).</summary>
public sealed record CatalogueEvidence(AuditEntryView Entry, CataloguedItem Item, ScheduleEntry? Schedule);

/// <summary>
/// Builds the compliance report from records alone: a pure function of (period, now, records), so the same records always
/// give the same report. Nothing is inferred: an item counts as done only with the audit entry that proves it, and an
/// obligation the records cannot show is listed as such, never as met.
/// </summary>
public static class ComplianceReportBuilder
{
    private static readonly string[] DeletionActions = ["deleted", "anonymized"];

    /// <summary>The request steps whose notice to the person D1 requires, and the notification template of each.</summary>
    public static IReadOnlyDictionary<string, string> NoticeTemplates { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["acknowledged"] = "request-received",
        ["extended"] = "request-extended",
    };

    private static readonly string[] NoticeSteps = ["acknowledged", "extended"];

    /// <summary>O10: the audit steps that verify a person (their one-time code, or the privacy office).</summary>
    private static readonly string[] VerifiedSteps = ["code-verified", "manually-verified"];

    /// <summary>The obligations no record yet proves, and why (each is listed, never reported as met).</summary>
    public static IReadOnlyDictionary<string, string> NoEvidence { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public static IReadOnlyDictionary<string, string> Titles { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["O1"] = "Collect only what is needed",
        ["O2"] = "Entry-camera recordings kept only as the building's rule says",
        ["O3"] = "Facial Entry is opt-in",
        ["O4"] = "TDPA: authentication data within 90 days of collection",
        ["O5"] = "TDPA: reference data within 90 days of move-out or withdrawal",
        ["O6"] = "Holds: only for the allowed reasons, reviewed, released",
        ["O7"] = "Retention in general",
        ["O8"] = "Access requests answered",
        ["O9"] = "Deletion requests answered",
        ["O10"] = "Verification and authorized agents",
        ["O11"] = "Correction requests tracked and answered",
        ["O12"] = "Sharing ledger; never for marketing",
        ["O13"] = "Roommates alerted",
        ["O14"] = "Breach notification within 10 business days",
        ["O15"] = "Children's data deleted on a parent's report",
        ["O16"] = "Message opt-outs honoured",
        ["O17"] = "Non-discrimination",
        ["O18"] = "Requests are records, kept 24 months",
    };

    public static ComplianceReport Build(DateTimeOffset from, DateTimeOffset to, DateTimeOffset now, ReportRecords records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var lines = new List<ReportLine>();
        var deletions = DeletionItems(from, to, now, records);
        var held = HeldItems(from, to, records);
        var requestLines = RequestLines(from, to, now, records);
        for (var n = 1; n <= 18; n++)
        {
            var o = "O" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var before = lines.Count;
            if (o == "O1")
            {
                lines.Add(Line("O1:catalogued", o, Titles[o] + ": each item stored in the period carries its category, purpose, source and rule, its deadline in the schedule; each refused upload kept with its reason", "none", Catalogued(from, to, records)));
            }

            if (deletions.TryGetValue(o, out var items))
            {
                lines.Add(Line($"{o}:deletion", o, Titles[o] + ": items deleted or anonymized at their deadline", "lag", items));
            }

            if (o == "O3")
            {
                lines.Add(Line("O3:consent", o, "Facial Entry captures processed only under a live consent (none matched after a withdrawal or move-out)", "none", FacialEntryConsents(from, to, records)));
            }

            if (o == "O6")
            {
                lines.Add(Line("O6:respected", o, "No item deleted while a hold covering it was in force", "lag", HoldsRespected(from, to, records)));
                lines.Add(Line("O6:held", o, "Items kept past their deadline by a hold", "lag", held));
                lines.Add(Line("O6:review", o, "Holds reviewed by their review date (released or still active)", "lag", HoldReviews(from, to, now, records)));
            }

            if (o == "O10")
            {
                lines.Add(Line("O10:verified", o, Titles[o] + ": each answered access or deletion verified (and an agent's permission on file) before its work began", "lag", Verifications(from, to, records)));
            }

            if (o == "O12")
            {
                lines.Add(Line("O12:ledger", o, Titles[o] + ": each disclosure recorded, to a listed recipient category, never for marketing or sale; refusals recorded", "lag", SharingLedger(from, to, records)));
            }

            if (o == "O13")
            {
                lines.Add(Line("O13:alerted", o, Titles[o] + ": each shared-setting change alerted to every other current resident of the unit", "lag", RoommateAlerted(from, to, now, records)));
            }

            if (o == "O14")
            {
                lines.Add(Line("O14:notification", o, Titles[o] + ": every affected person emailed by the incident's deadline, or escalated", "lag", BreachNotifications(from, to, now, records)));
            }

            lines.AddRange(requestLines.Where(l => l.Obligation == o));
            if (o == "O16")
            {
                lines.Add(Line("O16:choices", o, "Informational and offer messages sent only to people who had not opted out", "lag", ChoicesHonoured(from, to, records)));
            }

            if (o == "O17")
            {
                lines.Add(Line("O17:service", o, "The service a person gets the same at a request's close as at its receipt, but for changes they or property management made", "lag", ServiceKept(from, to, records)));
            }

            if (NoEvidence.TryGetValue(o, out var why))
            {
                lines.Add(new ReportLine { Id = o, Obligation = o, Title = Titles[o], Measure = "none", Status = LineStatus.NoEvidenceKept, Why = why });
            }
            else if (lines.Count == before)
            {
                var request = o is "O8" or "O9" or "O11" or "O15";
                lines.Add(Line(request ? $"{o}:response" : $"{o}:deletion", o, Titles[o], request ? "margin" : "lag", []));
            }
        }

        lines.AddRange(requestLines.Where(l => l.Obligation == "D1"));
        return new ComplianceReport(from, to, now, lines, [
            "audit: every entry of the period's UTC days (one partition per day)",
            "schedule: the unfinished entries of the open buckets (deadline passed, not done)",
            "requests: the requests received from 100 days before the period (partitions received:yyyy-MM), their records and step audit entries read by id",
            "holds: the holds partition",
            "incidents: the index:incidents partition (deadline in the period), each incident's record, fan-out pages and delivery records; its audit entries by id (O14)",
        ]);
    }

    /// <summary>Deletions per obligation: each item due in the period, proven by its completed audit entry. An item a hold
    /// kept (its "held" entries name the holds) is due when the last of those holds ended (released, or its end date), not
    /// at its own deadline (O6: deletion resumes when the hold is released); a hold still in force leaves no due date.</summary>
    private static Dictionary<string, List<ReportItem>> DeletionItems(DateTimeOffset from, DateTimeOffset to, DateTimeOffset now, ReportRecords records)
    {
        var byObligation = new Dictionary<string, List<ReportItem>>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var holds = records.Holds.ToDictionary(h => h.HoldId, StringComparer.Ordinal);
        var heldBy = records.Audit.Where(v => v.Entry.Action == "held").GroupBy(v => v.Entry.ItemRef, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.SelectMany(v => v.Entry.Holds ?? []).Distinct(StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        foreach (var view in records.Audit)
        {
            var a = view.Entry;
            if (!DeletionActions.Contains(a.Action) || a.Deadline is not { } deadline || deadline < from || deadline >= to || a.Obligation is null)
            {
                continue;
            }

            seen.Add(a.ItemRef);
            var due = deadline;
            string? kept = null;
            if (heldBy.TryGetValue(a.ItemRef, out var ids))
            {
                var ends = ids.Select(id => holds.TryGetValue(id, out var h) ? h.ReleasedAt ?? h.Until : OpenRequestEnd(id, records)).ToList();
                if (ends.All(e => e is not null))
                {
                    due = ends.Max(e => e!.Value) is var end && end > deadline ? end : deadline;
                    kept = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"kept by {string.Join(", ", ids)} past its deadline {deadline:O}; due when the hold ended");
                }
            }

            ReportItem item = a.Outcome == "completed"
                ? new(a.ItemRef, due, a.DoneAt, (a.DoneAt - due).TotalSeconds, a.DoneAt <= due ? ItemState.OnTime : ItemState.Late, [view.Id], kept ?? a.How)
                : new(a.ItemRef, due, null, null, ItemState.ProofMissing, [view.Id], "the trail has the deletion's start but not its completion");
            Add(byObligation, a.Obligation, item);
        }

        foreach (var entry in records.Unfinished)
        {
            if (entry.Deadline < from || entry.Deadline >= to || entry.Deadline > now || seen.Contains(entry.ItemRef) || entry.Status == EntryStatus.Held)
            {
                continue;
            }

            Add(byObligation, entry.Rule.Obligation, new ReportItem(entry.ItemRef, entry.Deadline, null, null, ItemState.Missed, [], "deadline passed, still pending in the schedule, no audit entry"));
        }

        // The schedule against the trail: an entry marked done whose item's deletion left no entry at all (start or
        // completion) in the trail is not a deletion the records prove.
        foreach (var evidence in records.Catalogue ?? [])
        {
            // A door event done before deletion entries named it by building (O4) was audited under its old reference.
            if (evidence.Schedule is not { Status: EntryStatus.Done } done || done.Deadline < from || done.Deadline >= to || done.Deadline > now
                || (done.LegacyItemRef is { } legacy && seen.Contains(legacy)) || !seen.Add(done.ItemRef))
            {
                continue;
            }

            Add(byObligation, done.Rule.Obligation, new ReportItem(done.ItemRef, done.Deadline, null, null, ItemState.Missed, [evidence.Entry.Id],
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"marked done in the schedule at {done.DoneAt:O}, but the trail has no deletion entry of it")));
        }

        return byObligation;
    }

    /// <summary>
    /// O1, one item per item stored in the period as its catalogue entry lists it (one entry per ingestion call: door-event
    /// batch, upload, enrollment; and each refused upload's quarantine entry): met when it names its category, purpose,
    /// source and a rule under an obligation, and its schedule entry is in the bucket it names with the same rule and
    /// deadline (an enrollment's deadline starts at withdrawal or move-out, so it has none yet); a refused upload also needs
    /// its reason. An item stored without its deadline in the schedule, or without any of those, is missed.
    /// </summary>
    private static List<ReportItem> Catalogued(DateTimeOffset from, DateTimeOffset to, ReportRecords records)
    {
        var items = new List<ReportItem>();
        foreach (var (view, item, found) in records.Catalogue ?? [])
        {
            var a = view.Entry;
            if (a.At < from || a.At >= to)
            {
                continue;
            }

            var lacking = new[] { ("category", item.Category), ("purpose", item.Purpose), ("source", item.Source), ("rule", item.RuleId), ("obligation", item.Obligation) }
                .Where(f => string.IsNullOrWhiteSpace(f.Item2)).Select(f => f.Item1).ToList();
            var refused = a.Action == "quarantined";
            if (refused && string.IsNullOrWhiteSpace(a.ReasonCode))
            {
                lacking.Add("reason for refusal");
            }

            var what = refused ? $"refused ({a.ReasonCode}), kept" : "stored";
            string? problem = lacking.Count > 0 ? $"{what} without its {string.Join(", ", lacking)}"
                : item.Bucket is null && item.Kind != ItemKind.FacialEnrollment ? $"{what} under {item.RuleId} with no deadline written"
                : item.Bucket is not null && found is null ? $"{what} under {item.RuleId}, but the schedule holds no deadline for it (bucket {item.Bucket}): nothing would ever delete it"
                : found is not null && (found.Rule.RuleId != item.RuleId || found.Deadline != item.Deadline) ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{what} under {item.RuleId}, but its schedule entry says {found.Rule.RuleId} due {found.Deadline:O}")
                : null;
            var note = problem ?? (found is null
                ? $"{item.Category} for {item.Purpose} from {item.Source}: {what} under {item.RuleId} ({item.Obligation}); its deadline starts at withdrawal or move-out"
                : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{item.Category} for {item.Purpose} from {item.Source}: {what} under {item.RuleId} ({item.Obligation}), due {found.Deadline:O}, {System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(found.Status.ToString())} in the schedule"));
            items.Add(problem is null
                ? new ReportItem(item.Reference, a.At, a.DoneAt, null, ItemState.OnTime, [view.Id], note)
                : new ReportItem(item.Reference, a.At, null, null, ItemState.Missed, [view.Id], problem));
        }

        return items;
    }

    /// <summary>
    /// O3 over the period: each Facial Entry capture's check (its <c>facial-entry-checked</c> entry, by the capture's day),
    /// by <see cref="FacialEntryConsentRule"/>. One not sent to the Face API is fine (not processed). One processed must name
    /// the consent entry it was processed under (a grant, read by id even when it predates the period), given before the
    /// check, of the matched resident on a match, and with no withdrawal or move-out of that resident between the grant and
    /// the check (from the trail, and the withdrawals the loader read by id). A processed capture without a named or findable
    /// consent entry is missing proof; one processed before its consent or after its end is missed. Move-outs before the
    /// period are not looked up. A capture deleted since (O4) has lost that per-person proof on purpose: its entry carries
    /// the verdict the records gave at the deletion (<see cref="AuditRecord.ConsentVerdict"/>), shown as such.
    /// </summary>
    private static List<ReportItem> FacialEntryConsents(DateTimeOffset from, DateTimeOffset to, ReportRecords records)
    {
        var items = new List<ReportItem>();
        var grants = records.Audit.Where(v => v.Entry.Action == Residents.ConsentAudit.Given).GroupBy(v => v.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var ends = records.Audit.Where(v => v.Entry.Action is Residents.ConsentAudit.Withdrawn or "moved-out")
            .GroupBy(v => v.Entry.ItemRef, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        foreach (var view in records.Audit)
        {
            var a = view.Entry;
            if (a.Action != Faces.FacialEntryChecks.AuditAction || a.At < from || a.At >= to)
            {
                continue;
            }

            var at = a.DoneAt;
            if (a.ConsentVerdict is { } verdict)
            {
                var note = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{verdict.Note} (judged from the records at {verdict.JudgedAt:O}, when the capture was deleted; the per-person proof was removed under O4, as the TDPA asks, and cannot be re-proved)");
                items.Add(new ReportItem(a.ItemRef, at, verdict.State == ItemState.OnTime ? at : null, null, verdict.State, [view.Id], note));
                continue;
            }

            var grant = a.ConsentEntryId is { } consentId ? grants.GetValueOrDefault(consentId) : null;
            var (finding, ended) = FacialEntryConsentRule.Judge(a, grant?.Entry, grant is null ? null : ends.GetValueOrDefault(grant.Entry.ItemRef));
            if (finding is ConsentFinding.NotProcessed or ConsentFinding.NoConsentNamed or ConsentFinding.ConsentNotInTrail)
            {
                items.Add(new ReportItem(a.ItemRef, at, finding == ConsentFinding.NotProcessed ? at : null, null, FacialEntryConsentRule.StateOf(finding), [view.Id], finding switch
                {
                    ConsentFinding.NotProcessed => "not processed: " + a.ReasonCode,
                    ConsentFinding.NoConsentNamed => $"processed ({a.ReasonCode}), naming no consent",
                    _ => $"processed ({a.ReasonCode}) under consent entry {a.ConsentEntryId}, which is not in the trail",
                }));
                continue;
            }

            var g = grant!.Entry;
            var problem = finding switch
            {
                ConsentFinding.BeforeConsent => "processed before the consent it names was given",
                ConsentFinding.AnotherResidentsConsent => $"matched {a.SubjectId}, under another resident's consent",
                ConsentFinding.AfterConsentEnded => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"processed ({a.ReasonCode}) after {g.ItemRef}'s {ended!.Entry.Action} at {ended.Entry.At:O}"),
                _ => null,
            };
            items.Add(problem is null
                ? new ReportItem(a.ItemRef, at, at, null, ItemState.OnTime, [view.Id, grant.Id], string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{a.ReasonCode} under the consent of {g.ItemRef} given {g.At:O}"))
                : new ReportItem(a.ItemRef, at, null, null, ItemState.Missed, ended is null ? [view.Id, grant.Id] : [view.Id, grant.Id, ended.Id], problem));
        }

        return items;
    }

    /// <summary>
    /// O6, the other way round: each completed deletion in the period (by when it was done) is checked against the stored
    /// holds in force when it was done. Missed: one of an item within a hold's scope (building and collection window, listed
    /// item, or a subject on entries written before deletions stopped naming the person), or of an item a hold had kept
    /// (its "held" entries name the hold), while that hold was in force; and one whose entry does not list a resident's
    /// hold then in force (<see cref="AuditRecord.HoldsInForce"/>), whatever the item: the entry no longer says whom the
    /// item was about (O4), so what proves the hold was respected is that the deletion's snapshot of holds had it (the
    /// enforcer's own <see cref="HoldScope.Covers"/> decided the rest). Deletions audited before entries carried the item's
    /// scope (no building) cannot be matched and are not listed; a subject hold's reach into recordings that only concern
    /// the person is not matched from the records either, only through its listing.
    /// </summary>
    private static List<ReportItem> HoldsRespected(DateTimeOffset from, DateTimeOffset to, ReportRecords records)
    {
        var items = new List<ReportItem>();
        if (records.Holds.Count == 0)
        {
            return items;
        }

        var keptBy = records.Audit.Where(v => v.Entry.Action == "held" && v.Entry.Holds is not null)
            .SelectMany(v => v.Entry.Holds!.Select(h => (v.Entry.ItemRef, HoldId: h)))
            .GroupBy(x => x.ItemRef, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(x => x.HoldId).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var view in records.Audit)
        {
            var a = view.Entry;
            if (!DeletionActions.Contains(a.Action) || a.Outcome != "completed" || a.DoneAt < from || a.DoneAt >= to || a.BuildingId is null || a.Deadline is null
                || AsEntry(a) is not { } entry)
            {
                continue;
            }

            bool InForce(HoldRecord h) => h.PlacedAt <= a.DoneAt && (h.ReleasedAt is null || h.ReleasedAt > a.DoneAt) && (h.Until is null || h.Until > a.DoneAt);
            var kept = keptBy.GetValueOrDefault(a.ItemRef);
            var covering = records.Holds.Where(h => h.MayKeep(entry) && (h.Scope.Covers(entry) || kept?.Contains(h.HoldId) == true)).ToList();
            var unlisted = a.HoldsInForce is { } listed
                ? records.Holds.Where(h => h.Scope.SubjectId is not null && h.MayKeep(entry) && InForce(h) && !listed.Contains(h.HoldId) && !covering.Contains(h)).ToList()
                : [];
            if (covering.Count == 0 && unlisted.Count == 0)
            {
                continue;
            }

            var inForce = covering.Where(InForce).ToList();
            var problems = new List<string>();
            if (inForce.Count > 0)
            {
                problems.Add("deleted while " + string.Join(", ", inForce.Select(h => h.HoldId)) + " covered it");
            }

            if (unlisted.Count > 0)
            {
                problems.Add("deleted while " + string.Join(", ", unlisted.Select(h => h.HoldId)) + " was in force, which the deletion did not consider (its holds in force: "
                    + (a.HoldsInForce!.Count == 0 ? "none" : string.Join(", ", a.HoldsInForce)) + ")");
            }

            items.Add(problems.Count == 0
                ? new ReportItem(a.ItemRef, a.DoneAt, a.DoneAt, 0, ItemState.OnTime, [view.Id], "within the scope of " + string.Join(", ", covering.Select(h => h.HoldId)) + ", deleted when no hold was in force")
                : new ReportItem(a.ItemRef, a.DoneAt, null, null, ItemState.Missed, [view.Id], string.Join("; ", problems)));
        }

        return items;
    }

    /// <summary>
    /// O10, one item per access, categories-shared or deletion request completed in the period (by its close): its work
    /// (the "work-started" entry, written before any data is read out or deleted) is due no earlier than the person's
    /// verification, by their one-time code ("code-verified") or by the privacy office ("manually-verified", for a person not
    /// on file), and, for a request made by an agent, no earlier than the agent's signed permission ("agent-permission"). The
    /// lag is verification minus work start (negative: verified first). A verification after the work, or none, is missed;
    /// a step the record shows without its audit entry is missing proof.
    /// </summary>
    private static List<ReportItem> Verifications(DateTimeOffset from, DateTimeOffset to, ReportRecords records)
    {
        var items = new List<ReportItem>();
        foreach (var evidence in records.Requests)
        {
            var r = evidence.Record;
            if (r.Status != RequestStatus.Completed || r.ClosedAt is not { } closed || closed < from || closed >= to
                || r.Type is not (RequestType.Access or RequestType.CategoriesShared or RequestType.Deletion or RequestType.ChildDataDeletion))
            {
                continue;
            }

            var itemRef = "requests/" + r.RequestId;
            var work = evidence.Steps.GetValueOrDefault("work-started");
            var verification = VerifiedSteps.Select(evidence.Steps.GetValueOrDefault).OfType<AuditEntryView>()
                .Where(v => v.Entry.Outcome?.StartsWith("verified", StringComparison.Ordinal) == true).MinBy(v => v.Entry.DoneAt);
            var agent = r.Agent is null ? null : evidence.Steps.GetValueOrDefault("agent-permission");
            IReadOnlyList<string> ids = [.. new[] { agent, verification, work }.OfType<AuditEntryView>().Select(v => v.Id)];
            var note = string.Join(", ", new[] { verification?.Entry.Outcome, r.Agent is null ? null : "by an agent" }.OfType<string>());
            if (work is null)
            {
                var recorded = r.Steps.FirstOrDefault(s => s.Name == "verified")?.At;
                items.Add(new ReportItem(itemRef, recorded ?? closed, null, null, ItemState.ProofMissing, ids, "completed, but the audit entry of its work's start is missing"));
                continue;
            }

            var due = work.Entry.DoneAt;
            if (verification is null)
            {
                var recorded = r.Steps.Any(s => s.Name is "code-verified" or "manually-verified" && s.Status == "verified");
                items.Add(new ReportItem(itemRef, due, null, null, recorded ? ItemState.ProofMissing : ItemState.Missed, ids,
                    recorded ? "the record says verified, but its audit entry is missing" : "its work began with no verification of the person"));
            }
            else if (verification.Entry.DoneAt > due)
            {
                items.Add(new ReportItem(itemRef, due, verification.Entry.DoneAt, (verification.Entry.DoneAt - due).TotalSeconds, ItemState.Missed, ids, "its work began before the person was verified; " + note));
            }
            else if (r.Agent is not null && (agent is null || agent.Entry.DoneAt > due))
            {
                items.Add(new ReportItem(itemRef, due, verification.Entry.DoneAt, (verification.Entry.DoneAt - due).TotalSeconds,
                    agent is null && r.Steps.Any(s => s.Name == "agent-permission-received") ? ItemState.ProofMissing : ItemState.Missed, ids,
                    "made by an agent whose signed permission is not on record before the work began"));
            }
            else
            {
                items.Add(new ReportItem(itemRef, due, verification.Entry.DoneAt, (verification.Entry.DoneAt - due).TotalSeconds, ItemState.OnTime, ids, note));
            }
        }

        return items;
    }

    /// <summary>
    /// O12, one item per disclosure recorded or refused in the period (its audit entry, "recipient category/purpose" in
    /// <see cref="AuditRecord.How"/>): a recorded one to a category outside the policy's closed list, or for marketing,
    /// advertising or sale, is missed; a refusal is the rule kept, and listed as such. Disclosures recorded before their
    /// audit entries existed are not found here (the ledger has no date index).
    /// </summary>
    private static List<ReportItem> SharingLedger(DateTimeOffset from, DateTimeOffset to, ReportRecords records)
    {
        var items = new List<ReportItem>();
        foreach (var view in records.Audit)
        {
            var a = view.Entry;
            if (a.Action is not (Pipeline.Disclosures.DisclosuresApi.RecordedAction or Pipeline.Disclosures.DisclosuresApi.RefusedAction) || a.At < from || a.At >= to)
            {
                continue;
            }

            var parts = (a.How ?? string.Empty).Split('/');
            var listed = parts.Length == 2 && Enum.TryParse<Pipeline.Disclosures.RecipientCategory>(parts[0], out var category) && Enum.IsDefined(category);
            var never = parts.Length == 2 && Enum.TryParse<Pipeline.Disclosures.DisclosurePurpose>(parts[1], out var purpose) && Pipeline.Disclosures.DisclosuresApi.NeverPurposes.Contains(purpose);
            var what = $"{a.How} of {a.Category}";
            if (a.Action == Pipeline.Disclosures.DisclosuresApi.RefusedAction)
            {
                items.Add(new ReportItem(a.ItemRef, a.At, a.DoneAt, 0, ItemState.OnTime, [view.Id], $"refused ({a.ReasonCode}): {what}"));
            }
            else if (!listed || never || parts.Length != 2)
            {
                items.Add(new ReportItem(a.ItemRef, a.EventAt ?? a.At, null, null, ItemState.Missed, [view.Id],
                    never ? $"disclosed for marketing, advertising or sale: {what}" : $"disclosed to a recipient category outside the policy's list: {what}"));
            }
            else
            {
                var disclosed = a.EventAt ?? a.At;
                items.Add(new ReportItem(a.ItemRef, disclosed, a.DoneAt, (a.DoneAt - disclosed).TotalSeconds, ItemState.OnTime, [view.Id], "recorded: " + what));
            }
        }

        return items;
    }

    /// <summary>
    /// O13, one item per shared-setting change in the period (its "setting-changed" entry): the handler's
    /// "roommate-alerts-queued" entry says how many roommates needed an alert; the change's delivery records say each was
    /// delivered (or skipped for the person's opt-out, O16) by <see cref="Pipeline.Disclosures.RoommateAlerts.AlertWithin"/>
    /// after the change. No queued entry, or an alert undelivered past then, is missed; delivered after it, late.
    /// </summary>
    private static List<ReportItem> RoommateAlerted(DateTimeOffset from, DateTimeOffset to, DateTimeOffset now, ReportRecords records)
    {
        var items = new List<ReportItem>();
        var queued = records.Audit.Where(v => v.Entry.Action == Pipeline.Disclosures.RoommateAlerts.AlertsQueuedAction)
            .GroupBy(v => v.Entry.ItemRef, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.MaxBy(v => v.Entry.DoneAt)!, StringComparer.Ordinal);
        foreach (var view in records.Audit.Where(v => v.Entry.Action == Pipeline.Disclosures.RoommateAlerts.ChangedAction && v.Entry.At >= from && v.Entry.At < to))
        {
            var a = view.Entry;
            var changeId = a.ItemRef["setting-changes/".Length..];
            var due = a.Deadline ?? a.At + Pipeline.Disclosures.RoommateAlerts.AlertWithin;
            IReadOnlyList<string> deliveries = ["deliveries/" + Pipeline.Disclosures.RoommateAlerts.CampaignOf(changeId)];
            if (!queued.TryGetValue(a.ItemRef, out var q) || q.Entry.Outcome?.StartsWith("queued:", StringComparison.Ordinal) != true
                || !int.TryParse(q.Entry.Outcome["queued:".Length..], System.Globalization.CultureInfo.InvariantCulture, out var needed))
            {
                items.Add(new ReportItem(a.ItemRef, due, null, null, due <= now ? ItemState.Missed : ItemState.Open, [view.Id], due <= now ? $"{a.Category} changed; no alerts queued for it" : null, deliveries));
                continue;
            }

            var delivered = records.AlertDeliveries?.GetValueOrDefault(changeId) ?? [];
            var sent = delivered.Where(d => d.Status == Notifications.DeliveryStatus.Sent).ToList();
            var optedOut = delivered.Count(d => d.Status == Notifications.DeliveryStatus.Skipped && d.Reason == "opted-out");
            var counts = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{a.Category}: {needed} roommate(s), sent {sent.Count}, opted out {optedOut}");
            IReadOnlyList<string> ids = [view.Id, q.Id];
            if (sent.Count + optedOut >= needed)
            {
                var done = sent.Count == 0 ? q.Entry.DoneAt : sent.Max(d => d.SentAt ?? d.UpdatedAt);
                items.Add(new ReportItem(a.ItemRef, due, done, (done - due).TotalSeconds, done <= due ? ItemState.OnTime : ItemState.Late, ids, counts, deliveries));
            }
            else
            {
                items.Add(due <= now
                    ? new ReportItem(a.ItemRef, due, null, null, ItemState.Missed, ids, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{needed - sent.Count - optedOut} alert(s) not delivered; {counts}"), deliveries)
                    : new ReportItem(a.ItemRef, due, null, null, ItemState.Open, ids, counts, deliveries));
            }
        }

        return items;
    }

    /// <summary>
    /// O14, one item per declared incident whose deadline (10 business days from discovery) falls in the period, never per
    /// person: proven by its declaration's audit entry and its campaign's check before the deadline
    /// (<see cref="Breaches.IncidentsApi.CheckedAction"/>). All sent at the check: done then. Escalated at the check (something
    /// undelivered): done by the deadline only if the delivery records now show every notice sent by it (no done time is
    /// claimed), else missed, with the counts and the escalation named. No check by the deadline: missed.
    /// </summary>
    private static List<ReportItem> BreachNotifications(DateTimeOffset from, DateTimeOffset to, DateTimeOffset now, ReportRecords records)
    {
        var items = new List<ReportItem>();
        foreach (var status in records.Incidents ?? [])
        {
            var incident = status.Incident;
            var due = incident.Deadline;
            if (due < from || due >= to)
            {
                continue;
            }

            var itemRef = Breaches.IncidentsApi.ItemRefOf(incident.IncidentId);
            var declared = records.Audit.FirstOrDefault(v => v.Entry.Action == Breaches.IncidentsApi.DeclaredAction && v.Entry.ItemRef == itemRef);
            var check = records.Audit.Where(v => v.Entry.Action == Breaches.IncidentsApi.CheckedAction && v.Entry.ItemRef == itemRef).MaxBy(v => v.Entry.DoneAt);
            IReadOnlyList<string> ids = [.. new[] { declared, check }.OfType<AuditEntryView>().Select(v => v.Id)];
            IReadOnlyList<string> deliveries = ["deliveries/" + incident.Campaign];
            var counts = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"affected {status.Affected}: sent {status.Sent}, bounced {status.Bounced}, skipped {status.Skipped}, pending {status.Pending}");
            if (declared is null)
            {
                items.Add(new ReportItem(itemRef, due, null, null, ItemState.ProofMissing, ids, "declared, but its incident-declared audit entry is missing; " + counts, deliveries));
            }
            else if (check is null)
            {
                items.Add(due <= now
                    ? new ReportItem(itemRef, due, null, null, ItemState.Missed, ids, "no check of its notices recorded by the deadline; " + counts, deliveries)
                    : new ReportItem(itemRef, due, null, null, ItemState.Open, ids, null, deliveries));
            }
            else if (check.Entry.Outcome == "all-sent")
            {
                var done = check.Entry.DoneAt;
                items.Add(new ReportItem(itemRef, due, done, (done - due).TotalSeconds, done <= due ? ItemState.OnTime : ItemState.Late, ids, "every notice sent by the campaign's check: " + check.Entry.How, deliveries));
            }
            else if (status.Pending == 0 && status.Bounced == 0 && status.Skipped == 0 && status.DeadlineMet)
            {
                items.Add(new ReportItem(itemRef, due, null, null, ItemState.OnTime, ids,
                    $"escalated at the check ({check.Entry.How}); the delivery records show every notice sent by the deadline: {counts}", deliveries));
            }
            else
            {
                var undelivered = status.Pending + status.Bounced + status.Skipped;
                var escalated = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"escalated to the privacy officer at {check.Entry.DoneAt:O} ({check.Entry.How})");
                items.Add(due <= now
                    ? new ReportItem(itemRef, due, null, null, ItemState.Missed, ids, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{undelivered} not notified by email by the deadline; {counts}; {escalated}"), deliveries)
                    : new ReportItem(itemRef, due, null, null, ItemState.Open, ids, escalated, deliveries));
            }
        }

        return items;
    }

    /// <summary>When the implicit hold of an open access request (<see cref="HoldRegistry.OpenRequestPrefix"/>) ended: the
    /// request's close; null when unknown.</summary>
    private static DateTimeOffset? OpenRequestEnd(string holdId, ReportRecords records) =>
        holdId.StartsWith(HoldRegistry.OpenRequestPrefix, StringComparison.Ordinal)
            ? records.Requests.FirstOrDefault(r => r.Record.RequestId == holdId[HoldRegistry.OpenRequestPrefix.Length..])?.Record.ClosedAt
            : null;

    /// <summary>The schedule entry a deletion's audit entry describes (kind, partition, id and version from its item reference).</summary>
    private static ScheduleEntry? AsEntry(AuditRecord a)
    {
        var parts = a.ItemRef.Split('/');
        if (parts.Length != 4 || !Enum.TryParse<ItemKind>(parts[0], ignoreCase: true, out var kind) || !int.TryParse(parts[3], System.Globalization.CultureInfo.InvariantCulture, out var version))
        {
            return null;
        }

        return new ScheduleEntry
        {
            Kind = kind, ItemPartition = parts[1], ItemId = parts[2], Version = version, SubjectId = a.SubjectId, BuildingId = a.BuildingId!,
            EventAt = a.EventAt ?? a.Deadline!.Value, Category = a.Category ?? string.Empty, Rule = new RetentionRule(a.RuleId ?? string.Empty, a.Obligation ?? string.Empty, TimeSpan.Zero, RetentionAction.Delete),
            Deadline = a.Deadline!.Value,
        };
    }

    /// <summary>Items a hold kept (O6): each held schedule entry needs its "held" audit entry.</summary>
    private static List<ReportItem> HeldItems(DateTimeOffset from, DateTimeOffset to, ReportRecords records)
    {
        var heldAudits = records.Audit.Where(v => v.Entry.Action == "held").GroupBy(v => v.Entry.ItemRef, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var items = new List<ReportItem>();
        foreach (var (itemRef, views) in heldAudits)
        {
            var due = views[0].Entry.Deadline ?? views[0].Entry.At;
            if (due >= from && due < to)
            {
                items.Add(new ReportItem(itemRef, due, null, null, ItemState.Held, [.. views.Select(v => v.Id)], "held by " + string.Join(", ", views.SelectMany(v => v.Entry.Holds ?? []).Distinct())));
            }
        }

        foreach (var entry in records.Unfinished.Where(e => e.Status == EntryStatus.Held && e.Deadline >= from && e.Deadline < to && !heldAudits.ContainsKey(e.ItemRef)))
        {
            items.Add(new ReportItem(entry.ItemRef, entry.Deadline, null, null, ItemState.ProofMissing, [], "held in the schedule by " + string.Join(", ", entry.HeldBy) + " without a 'held' audit entry"));
        }

        return items;
    }

    /// <summary>Holds whose review date fell in the period: met when released by then (hold-released audit), late when
    /// released after, missed when still active past it.</summary>
    private static List<ReportItem> HoldReviews(DateTimeOffset from, DateTimeOffset to, DateTimeOffset now, ReportRecords records)
    {
        var releases = records.Audit.Where(v => v.Entry.Action == "hold-released").ToDictionary(v => v.Entry.ItemRef, v => v.Id, StringComparer.Ordinal);
        var items = new List<ReportItem>();
        foreach (var hold in records.Holds.Where(h => h.ReviewBy >= from && h.ReviewBy < to))
        {
            var itemRef = "holds/" + hold.HoldId;
            if (hold.ReleasedAt is { } released)
            {
                var proven = releases.TryGetValue(itemRef, out var id);
                var state = !proven ? ItemState.ProofMissing : released <= hold.ReviewBy ? ItemState.OnTime : ItemState.Late;
                items.Add(new ReportItem(itemRef, hold.ReviewBy, released, (released - hold.ReviewBy).TotalSeconds, state, proven ? [id!] : [], proven ? null : "released, but its hold-released entry is not in the period's trail"));
            }
            else if (hold.Until is { } until && until <= hold.ReviewBy && until <= now)
            {
                // A hold placed with its end (an answered access request's recourse period) ended by itself, as placed.
                var placed = records.Audit.FirstOrDefault(v => v.Entry.Action == "hold-placed" && v.Entry.ItemRef == itemRef);
                items.Add(new ReportItem(itemRef, hold.ReviewBy, until, (until - hold.ReviewBy).TotalSeconds, placed is null ? ItemState.ProofMissing : ItemState.OnTime,
                    placed is null ? [] : [placed.Id], placed is null ? "ended by itself, but its hold-placed entry is not in the trail" : "ended by itself at the end it was placed with"));
            }
            else
            {
                items.Add(new ReportItem(itemRef, hold.ReviewBy, null, null, hold.ReviewBy <= now ? ItemState.Missed : ItemState.Open, [], hold.ReviewBy <= now ? "still active past its review date" : null));
            }
        }

        return items;
    }

    private static List<ReportLine> RequestLines(DateTimeOffset from, DateTimeOffset to, DateTimeOffset now, ReportRecords records)
    {
        var byObligation = new Dictionary<string, List<ReportItem>>(StringComparer.Ordinal);
        var clocks = new Dictionary<string, List<ReportItem>>(StringComparer.Ordinal);
        foreach (var evidence in records.Requests)
        {
            var r = evidence.Record;
            var itemRef = "requests/" + r.RequestId;

            // D1: the clocks follow the person on file; the report recomputes them rather than trust the request's own, and
            // judges by the earlier of the two (a clock counted for the wrong jurisdiction is named, not believed).
            var j = evidence.OnFileJurisdiction ?? r.Jurisdiction;
            var lawDue = r.ReceivedAt + PrivacyRequestService.ResponsePeriod(j);
            var dueAt = Earlier(r.DueAt, lawDue);
            var effectiveDue = r.ExtendedDueAt is null ? dueAt : Earlier(r.EffectiveDueAt, lawDue + PrivacyRequestService.ResponsePeriod(j));
            var acknowledgeBy = Earlier(r.AcknowledgeBy, evidence.OnFileAcknowledgeBy ?? r.AcknowledgeBy);
            var wrong = j != r.Jurisdiction ? $"the request's clocks follow {r.Jurisdiction}; the person on file is {j}: judged by {j}'s" : null;
            if (acknowledgeBy >= from && acknowledgeBy < to)
            {
                Add(clocks, "acknowledge:" + j, Noted(Judge(itemRef, acknowledgeBy, r.AcknowledgedAt, evidence, "acknowledged", now), wrong));
            }

            if (r.ExtendedDueAt is not null && dueAt >= from && dueAt < to)
            {
                var extendedAt = r.Steps.LastOrDefault(s => s.Name == "extended")?.At;
                Add(clocks, "extension:" + j, Noted(Judge(itemRef, dueAt, extendedAt, evidence, "extended", now), wrong));
            }

            if (effectiveDue >= from && effectiveDue < to)
            {
                var item = Noted(Judge(itemRef, effectiveDue, r.ClosedAt, evidence, "closed", now), wrong);
                Add(clocks, "respond:" + j, item);
                Add(byObligation, PrivacyRequestService.ObligationOf(r.Type), item with { Note = r.Type + (r.Status == RequestStatus.Denied ? ", denied" : string.Empty) + (wrong is null ? string.Empty : "; " + wrong) });
            }
        }

        var lines = byObligation.Select(kv => Line($"{kv.Key}:response", kv.Key, Titles[kv.Key] + ": answered by the due date (extended when extended)", "margin", kv.Value)).ToList();
        lines.AddRange(clocks.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => Line("D1:" + kv.Key, "D1", ClockTitle(kv.Key), "margin", kv.Value)));
        return lines;
    }

    /// <summary>
    /// O16: each informational or offer message to a resident decided in the period (the dispatcher's "message-allowed" or
    /// "message-skipped" entry, with the choice it read), set against the person's own latest change of choices before it
    /// in the period's trail (the residents' route audits each change with the choices). A message allowed after the person
    /// turned that class off is missed, whatever the dispatcher says it read; with no change of choices in the period, the
    /// choice read at sending stands, and the item says so. A skipped message the person wanted is not an O16 breach.
    /// </summary>
    private static List<ReportItem> ChoicesHonoured(DateTimeOffset from, DateTimeOffset to, ReportRecords records)
    {
        var changes = records.Audit.Where(v => v.Entry.Action == Residents.ResidentsApi.MessageChoicesAction && v.Entry.SubjectId is not null)
            .GroupBy(v => v.Entry.SubjectId!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(v => v.Entry.At).ToList(), StringComparer.Ordinal);
        var items = new List<ReportItem>();
        foreach (var view in records.Audit)
        {
            var a = view.Entry;
            if (a.Action is not ("message-allowed" or "message-skipped") || a.At < from || a.At >= to || a.SubjectId is null)
            {
                continue;
            }

            var allowed = a.Action == "message-allowed";
            var change = changes.TryGetValue(a.SubjectId, out var list) ? list.LastOrDefault(c => c.Entry.At <= a.At) : null;
            var wanted = change is null ? a.ReasonCode == "opted-in" : (change.Entry.ReasonCode ?? string.Empty).Contains(a.Category + ":on", StringComparison.Ordinal);
            var source = change is null
                ? "no change of choices in the period: the choice read at sending"
                : $"the person's choices from {change.Entry.At:O}: {change.Entry.ReasonCode}";
            AuditEntryView[] proof = change is null ? [view] : [view, change];
            items.Add(allowed && !wanted
                ? new ReportItem(a.ItemRef, a.At, null, null, ItemState.Missed, [.. proof.Select(p => p.Id)], $"{a.Category} message {a.How} sent although the person had opted out ({source})")
                : new ReportItem(a.ItemRef, a.At, a.At, 0, ItemState.OnTime, [.. proof.Select(p => p.Id)], $"{a.Category} message {a.How} {(allowed ? "sent" : "skipped")}; {source}"));
        }

        return items;
    }

    /// <summary>
    /// O17: each request about a person on file whose due date fell in the period, judged by its service comparison at the
    /// close (<see cref="PrivacyRequestService.ServiceComparedStep"/>): the same service, or changes the person, their
    /// guardian or property management made (or the audited deletion path), is kept; a change nothing that may change the
    /// service made is missed; a close without its comparison is a missing proof; an open request is not judged yet.
    /// </summary>
    private static List<ReportItem> ServiceKept(DateTimeOffset from, DateTimeOffset to, ReportRecords records)
    {
        var items = new List<ReportItem>();
        foreach (var evidence in records.Requests)
        {
            var r = evidence.Record;
            if (r.SubjectId is null || r.EffectiveDueAt < from || r.EffectiveDueAt >= to)
            {
                continue;
            }

            var itemRef = "requests/" + r.RequestId;
            if (r.ClosedAt is not { } closed)
            {
                items.Add(new ReportItem(itemRef, r.EffectiveDueAt, null, null, ItemState.Open, [], "open: compared at its close"));
            }
            else if (!evidence.Steps.TryGetValue(PrivacyRequestService.ServiceComparedStep, out var proof))
            {
                items.Add(new ReportItem(itemRef, closed, closed, null, ItemState.ProofMissing, [], "closed without its comparison of the service before and after"));
            }
            else
            {
                var kept = proof.Entry.Outcome is "unchanged" or "changed-by-person-or-deletion" or "subject-gone";
                items.Add(new ReportItem(itemRef, closed, kept ? closed : null, kept ? 0 : null, kept ? ItemState.OnTime : ItemState.Missed, [proof.Id], r.Type + ": " + proof.Entry.How));
            }
        }

        return items;
    }

    private static DateTimeOffset Earlier(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;

    private static ReportItem Noted(ReportItem item, string? note) =>
        note is null || item.State is ItemState.OnTime or ItemState.Open ? item : item with { Note = item.Note is null ? note : item.Note + "; " + note };

    private static string ClockTitle(string key) => key.Split(':') switch
    {
        ["acknowledge", var j] => $"Receipt confirmed within 10 business days ({j})",
        ["extension", var j] => $"The one extension, with notice, before the first due date ({j})",
        ["respond", var j] => $"Answered by the due date: {(j == "canada" ? "30" : "45")} days, or the extended date ({j})",
        _ => key,
    };

    /// <summary>One clock of one request: done only with its step's audit entry.</summary>
    private static ReportItem Judge(string itemRef, DateTimeOffset due, DateTimeOffset? done, RequestEvidence evidence, string step, DateTimeOffset now)
    {
        var proof = evidence.Steps.TryGetValue(step, out var view) ? view : null;
        if (done is { } d)
        {
            var lag = (d - due).TotalSeconds;
            if (proof is null)
            {
                return new ReportItem(itemRef, due, d, lag, ItemState.ProofMissing, [], $"the request's record says '{step}' at this time, but its audit entry is missing");
            }

            // D1: receipt is confirmed, and an extension taken, by a notice to the person; a step without its notice's
            // delivery record was not done.
            if (evidence.Notices is { } notices && NoticeSteps.Contains(step))
            {
                return notices.TryGetValue(step, out var delivery)
                    ? new ReportItem(itemRef, due, d, lag, d <= due ? ItemState.OnTime : ItemState.Late, [proof.Id], null, [delivery])
                    : new ReportItem(itemRef, due, null, null, due <= now ? ItemState.Missed : ItemState.Open, [proof.Id], $"the record says '{step}', but its notice to the person was never sent (no delivery record)");
            }

            return new ReportItem(itemRef, due, d, lag, d <= due ? ItemState.OnTime : ItemState.Late, [proof.Id]);
        }

        return due <= now
            ? new ReportItem(itemRef, due, null, null, ItemState.Missed, proof is null ? [] : [proof.Id], $"not {step} and past due")
            : new ReportItem(itemRef, due, null, null, ItemState.Open, [], null);
    }

    private static ReportLine Line(string id, string obligation, string title, string measure, List<ReportItem> items)
    {
        var judged = items.Where(i => i.State != ItemState.Open).ToList();
        var lags = judged.Where(i => i.LagSeconds is not null && i.State is ItemState.OnTime or ItemState.Late).Select(i => i.LagSeconds!.Value).Order().ToArray();
        int Count(ItemState s) => items.Count(i => i.State == s);
        var missed = Count(ItemState.Missed);
        var proofMissing = Count(ItemState.ProofMissing);
        var late = Count(ItemState.Late);
        var status = missed > 0 ? LineStatus.Missed
            : proofMissing > 0 ? LineStatus.ProofMissing
            : late > 0 ? LineStatus.Late
            : judged.Count == 0 ? LineStatus.NothingDue
            : LineStatus.Met;
        return new ReportLine
        {
            Id = id,
            Obligation = obligation,
            Title = title,
            Measure = measure,
            Status = status,
            Due = judged.Count,
            Done = Count(ItemState.OnTime) + late,
            OnTime = Count(ItemState.OnTime),
            Late = late,
            Missed = missed,
            ProofMissing = proofMissing,
            Held = Count(ItemState.Held),
            Open = Count(ItemState.Open),
            Lag = lags.Length == 0 ? null : new LagStats(Rank(lags, 0.50), Rank(lags, 0.95), lags[^1], lags[0]),
            Items = [.. items.OrderBy(i => i.DueAt).ThenBy(i => i.ItemRef, StringComparer.Ordinal)],
        };
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double Rank(double[] sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        var index = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }

    private static void Add(Dictionary<string, List<ReportItem>> map, string key, ReportItem item)
    {
        if (!map.TryGetValue(key, out var list))
        {
            map[key] = list = [];
        }

        list.Add(item);
    }
}
