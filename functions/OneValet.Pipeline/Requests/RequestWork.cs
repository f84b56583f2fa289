using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Configuration;
using OneValet.Pipeline.Disclosures;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Requests;

/// <summary>
/// The work of each request type, run once the person is verified: access (O8, with California's 12-month look-back and
/// twice-a-year limit), categories shared (O8, O12, from the ledger), deletion and a parent's child-data deletion (O9, O15,
/// through the retention engine's deletion path, with what is kept and why), correction (O11, a task for property management).
/// </summary>
public sealed class RequestWork(
    IRecordStore store,
    PrivacyRequestService service,
    RetentionEnforcer enforcer,
    HoldRegistry holds,
    DisclosuresApi disclosures,
    AccessFootage footage,
    AccessExport export,
    PersonRecordings recordings,
    NotOnFileWork notOnFile,
    NotificationPublisher notifications,
    BlobServiceClient blobs,
    IOptions<StorageOptions> storage,
    IOptions<RequestOptions> options,
    TimeProvider time)
{
    public const string MarketingStatement = "We do not sell personal information and do not share it with third parties for their direct marketing purposes.";

    public async Task<WorkResult> RunAsync(string requestId, CancellationToken cancellationToken)
    {
        var record = (await service.ReadAsync(requestId, cancellationToken).ConfigureAwait(false))?.Document ?? throw new InvalidOperationException("The request record is missing.");
        if (record.Closed)
        {
            return new WorkResult(record.Status, record.DenialReason, false, record.EffectiveDueAt.UtcDateTime);
        }

        var started = await service.UpdateAsync(requestId, r => r with { Status = RequestStatus.InProgress, Steps = [.. r.Steps, new RequestStep("verified", "done", time.GetUtcNow())] }, cancellationToken).ConfigureAwait(false);

        // O10: when the work began, before any of the person's data is read out or deleted (a retry keeps the first time).
        if (started?.Steps.FirstOrDefault(s => s.Name == "verified") is { } begun)
        {
            await service.AuditVerificationAsync(started, "work-started", begun.At, record.Type.ToString(), cancellationToken).ConfigureAwait(false);
        }

        if (record.NotOnFile is { } person)
        {
            return record.Type switch
            {
                RequestType.Access => await notOnFile.AccessAsync(record, person, cancellationToken).ConfigureAwait(false),
                RequestType.Deletion => await notOnFile.DeletionAsync(record, person, cancellationToken).ConfigureAwait(false),
                _ => await notOnFile.CategoriesSharedAsync(record).ConfigureAwait(false),
            };
        }

        var subject = record.SubjectId!;
        return record.Type switch
        {
            RequestType.Access => await AccessAsync(record, subject, cancellationToken).ConfigureAwait(false),
            RequestType.CategoriesShared => await CategoriesSharedAsync(record, subject, cancellationToken).ConfigureAwait(false),
            RequestType.Correction => await CorrectionAsync(record, subject, cancellationToken).ConfigureAwait(false),
            _ => await DeleteAsync(record, subject, child: record.Type == RequestType.ChildDataDeletion, cancellationToken).ConfigureAwait(false),
        };
    }

    private async Task<WorkResult> AccessAsync(PrivacyRequestRecord record, string subject, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (record.Jurisdiction == "california")
        {
            // At most twice in 12 months (Civ. Code 1798.100(d)); this request is one of them.
            var earlier = (await IndexAsync("subject-" + subject, cancellationToken).ConfigureAwait(false))
                .Count(e => e.RequestId != record.RequestId && e.Type == RequestType.Access && e.ReceivedAt > now.AddMonths(-12) && e.Status != nameof(RequestStatus.Unverified) && e.Status != nameof(RequestStatus.Denied));
            if (earlier >= 2)
            {
                await Finish(record.RequestId, new RequestOutcome { Summary = "Denied: California allows two access requests in 12 months, and two were answered." }).ConfigureAwait(false);
                return new WorkResult(RequestStatus.Denied, "limit-twice-per-12-months", false, record.EffectiveDueAt.UtcDateTime);
            }
        }

        // The recordings that concern the person are chosen now and redacted one activity each; the answer is assembled by
        // CompleteAccessAsync once they are done (O8; PIPEDA s.9(1)).
        // Idempotent: a retried work step finds the plan it stored and keeps it, so the orchestration's item count and the
        // plan always agree. The door events read for the footage search are staged into the answer's file as they are read
        // (issue 15.7: one read of the partition for the whole answer), before the plan is stored.
        if (await footage.ReadPlanAsync(record.RequestId, cancellationToken).ConfigureAwait(false) is { } stored)
        {
            return new WorkResult(RequestStatus.InProgress, null, false, record.EffectiveDueAt.UtcDateTime, stored.Items.Count);
        }

        var expiresAt = now + options.Value.ExportRetention;
        using var events = await export.OpenDoorEventsAsync(record.RequestId, subject, now, expiresAt, cancellationToken).ConfigureAwait(false);
        var plan = await footage.ChooseAsync(subject, LookbackFrom(record), expiresAt, events, cancellationToken).ConfigureAwait(false);
        var blocks = await events.FinishAsync().ConfigureAwait(false);
        var items = await footage.StorePlanAsync(record.RequestId, plan with { DoorEvents = events.Count, DoorEventBlocks = blocks }, cancellationToken).ConfigureAwait(false);
        return new WorkResult(RequestStatus.InProgress, null, false, record.EffectiveDueAt.UtcDateTime, items);
    }

    /// <summary>California: the preceding 12 months, or further back on request to 2022-01-01 (11 CCR 7024(h)); elsewhere everything.</summary>
    private static DateTimeOffset? LookbackFrom(PrivacyRequestRecord record) =>
        record.Jurisdiction == "california" ? record.LookbackFrom ?? record.ReceivedAt.AddMonths(-12) : null;

    /// <summary>
    /// The access answer (O8): every store of the person read by single-partition reads, and the redacted recordings made
    /// before, as one JSON file by category in the exports container, scheduled for deletion with the recordings' copies.
    /// Idempotent: an answered request is not answered twice.
    /// </summary>
    public async Task<WorkResult> CompleteAccessAsync(string requestId, CancellationToken cancellationToken)
    {
        var record = (await service.ReadAsync(requestId, cancellationToken).ConfigureAwait(false))?.Document ?? throw new InvalidOperationException("The request record is missing.");
        if (record.Closed || record.Outcome?.ExportBlob is not null)
        {
            return new WorkResult(record.Closed ? record.Status : RequestStatus.Completed, record.DenialReason, false, record.EffectiveDueAt.UtcDateTime);
        }

        if (record.NotOnFile is { } person)
        {
            return await notOnFile.CompleteAccessAsync(record, person, cancellationToken).ConfigureAwait(false);
        }

        var now = time.GetUtcNow();
        var subject = record.SubjectId!;
        var from = LookbackFrom(record);
        var plan = await footage.ReadPlanAsync(record.RequestId, cancellationToken).ConfigureAwait(false);
        var head = new JsonObject
        {
            ["requestId"] = record.RequestId,
            ["generatedAt"] = RecordJson.Timestamp(now),
            ["lookbackFrom"] = from is null ? null : RecordJson.Timestamp(from.Value),
        };
        // Independent reads, side by side (issue 15.7: one after another they were a row of round trips).
        var residentRead = store.ReadAsync<JsonObject>(Containers.Residents, subject, ResidentRecord.DocumentId, cancellationToken);
        var enrollmentRead = store.ReadAsync<JsonObject>(Containers.Residents, subject, FacialEnrollmentRecord.DocumentId, cancellationToken);
        var sharedRead = disclosures.ForPartitionAsync(subject, cancellationToken);
        var indexRead = IndexAsync("subject-" + subject, cancellationToken);
        var sectionRead = footage.SectionAsync(record.RequestId, plan, cancellationToken);
        await Task.WhenAll(residentRead, enrollmentRead, sharedRead, indexRead, sectionRead).ConfigureAwait(false);
        head["identifiers"] = (await residentRead.ConfigureAwait(false))?.Document.DeepClone();
        head["facialEntryEnrollment"] = (await enrollmentRead.ConfigureAwait(false))?.Document.DeepClone();

        // "hardwareUsage" (the door events) sits between head and tail: staged by the work step (AccessExport).
        var tail = new JsonObject();
        var shared = await sharedRead.ConfigureAwait(false);
        tail["disclosures"] = JsonSerializer.SerializeToNode(shared.Where(d => from is null || d.DisclosedAt >= from), ApiJson.Options);
        tail["requests"] = JsonSerializer.SerializeToNode((await indexRead.ConfigureAwait(false)).Where(e => from is null || e.ReceivedAt >= from), ApiJson.Options);
        var recordings = await sectionRead.ConfigureAwait(false);
        tail["recordings"] = recordings.Json;
        tail["quarantinedUploads"] = QuarantinedSection(plan?.Quarantined
            ?? (await footage.ChooseAsync(subject, from, now, null, cancellationToken).ConfigureAwait(false)).Quarantined!);

        var expires = recordings.ExpiresAt ?? now + options.Value.ExportRetention;
        var reread = await export.CommitAsync(record.RequestId, subject, head, tail, plan?.DoorEventBlocks, now, expires, ReadDoorEventsAsync, cancellationToken).ConfigureAwait(false);
        var doorEvents = reread ?? plan?.DoorEvents ?? 0;

        var summary = string.Create(CultureInfo.InvariantCulture, $"Your data: identifiers, Facial Entry enrollment, {doorEvents} door events, {shared.Count} disclosures, your requests, ")
            + RecordingsSentence(recordings);
        await Finish(record.RequestId, new RequestOutcome
        {
            Summary = summary,
            ExportBlob = AccessExport.BlobNameFor(record.RequestId),
            ExportExpiresAt = expires,
            ExportFiles = recordings.Files,
        }).ConfigureAwait(false);
        await footage.ForgetAsync(record.RequestId, plan, cancellationToken).ConfigureAwait(false);
        return new WorkResult(RequestStatus.Completed, null, false, record.EffectiveDueAt.UtcDateTime);

        async Task ReadDoorEventsAsync(AccessExport.DoorEvents events, CancellationToken ct)
        {
            var query = from is null ? RecordQuery.All : RecordQuery.Where(new FieldCondition("at", FieldOperator.GreaterThanOrEqual, JsonValue.Create(RecordJson.Timestamp(from.Value))));
            await foreach (var e in PagesAsync(Containers.DoorEvents, subject, query, ct).ConfigureAwait(false))
            {
                events.Add(e);
            }
        }
    }

    /// <summary>
    /// Refused uploads in quarantine that claim to be from the person's doors and times (O8): listed with what they claim,
    /// why they were refused and when they go; their bytes are not released (they failed the upload contract, so they may
    /// not even decode, and nobody has checked who is in them).
    /// </summary>
    internal static JsonArray QuarantinedSection(IReadOnlyList<QuarantinedItem> quarantined)
    {
        var items = new JsonArray();
        foreach (var q in quarantined)
        {
            items.Add(new JsonObject
            {
                ["buildingId"] = q.BuildingId,
                ["doorId"] = q.DoorId,
                ["claimedKind"] = q.ClaimedKind,
                ["claimedCapturedAt"] = q.ClaimedCapturedAt is { } at ? RecordJson.Timestamp(at) : null,
                ["reasonCode"] = q.ReasonCode,
                ["deletedBy"] = RecordJson.Timestamp(q.Deadline),
                ["note"] = "refused at upload; kept only until its deadline; its content is not released",
            });
        }

        return items;
    }

    private static string RecordingsSentence(FootageSection recordings)
    {
        var sentence = string.Create(CultureInfo.InvariantCulture, $"{recordings.Redacted} recordings of you with other people's faces blurred");
        if (recordings.Withheld > 0)
        {
            sentence += string.Create(CultureInfo.InvariantCulture, $", {recordings.Withheld} withheld because they could not be redacted (the export says why)");
        }

        if (recordings.Capped)
        {
            sentence += string.Create(CultureInfo.InvariantCulture, $"; {recordings.Found} recordings concern you and the newest {recordings.Redacted + recordings.Withheld} are included");
        }

        return sentence + ".";
    }

    /// <summary>
    /// Short-lived read-only links to an export and its files (user-delegation SAS in Azure, one key for all; the emulator's
    /// key locally). None once the export is gone (its files go with it).
    /// </summary>
    public async Task<(Uri? Export, IReadOnlyList<ExportFileLink> Files)> ExportLinksAsync(string exportBlob, IReadOnlyList<string> files, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        var container = blobs.GetBlobContainerClient(storage.Value.ExportsContainer);
        var export = container.GetBlobClient(exportBlob);
        if (!(await export.ExistsAsync(cancellationToken).ConfigureAwait(false)).Value)
        {
            return (null, []);
        }

        var expires = ExportLinks.ExpiresAt(time.GetUtcNow(), options.Value.ExportLinkLifetime);
        Azure.Storage.Blobs.Models.UserDelegationKey? key = null;
        if (!export.CanGenerateSasUri)
        {
            key = (await blobs.GetUserDelegationKeyAsync(time.GetUtcNow().AddMinutes(-5), expires, cancellationToken).ConfigureAwait(false)).Value;
        }

        Uri Link(BlobClient blob) => ExportLinks.Sign(blob, expires, key, blobs.AccountName);

        return (Link(export), [.. files.Select(f => new ExportFileLink(f, Link(container.GetBlobClient(f))))]);
    }

    private async Task<WorkResult> CategoriesSharedAsync(PrivacyRequestRecord record, string subject, CancellationToken cancellationToken)
    {
        var resident = await store.ReadAsync<ResidentRecord>(Containers.Residents, subject, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false);
        var shared = await disclosures.ForPartitionAsync(subject, cancellationToken).ConfigureAwait(false);
        if (resident is not null)
        {
            shared.AddRange(await disclosures.ForPartitionAsync(DisclosureRecord.PartitionFor(null, resident.Document.BuildingId), cancellationToken).ConfigureAwait(false));
        }

        await Finish(record.RequestId, new RequestOutcome
        {
            Summary = shared.Count == 0 ? "We have shared none of your personal information." : "The categories of your personal information we shared, and with whom (by category).",
            CategoriesShared = [.. shared.SelectMany(d => d.DataCategories).Distinct().Order(StringComparer.Ordinal)],
            RecipientCategories = [.. shared.Select(d => JsonNamingPolicy.KebabCaseLower.ConvertName(d.RecipientCategory.ToString())).Distinct().Order(StringComparer.Ordinal)],
            MarketingStatement = MarketingStatement,
        }).ConfigureAwait(false);
        return new WorkResult(RequestStatus.Completed, null, false, record.EffectiveDueAt.UtcDateTime);
    }

    /// <summary>
    /// O9 / O15: deletes what no exception keeps, each item through the retention engine's one deletion path, holds first
    /// for every item and every scope (<see cref="RetentionEnforcer.DeleteUnlessHeldAsync"/>): door events, the Facial
    /// Entry captures verified as the person, the enrollment, and the identifiers once no contract needs them. A held item
    /// is kept, listed with its hold's reason and review date, and deleted by itself when the hold is released. The answer
    /// lists what was kept, why and until when: footage that concerns the person (the building's rule, O2), the ledgers the
    /// law requires, this request's record.
    /// </summary>
    private async Task<WorkResult> DeleteAsync(PrivacyRequestRecord record, string subject, bool child, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();

        // The recourse hold of the person's answered access requests keeps their data for *their* recourse (PIPEDA s.8(8));
        // asking for its deletion is their choice, so their own verified deletion request ends it, audited as such (O6).
        foreach (var recourse in await holds.ActiveAsync(cancellationToken).ConfigureAwait(false))
        {
            if (recourse.Document.HoldId.StartsWith(HoldRegistry.RecoursePrefix, StringComparison.Ordinal) && recourse.Document.Scope.SubjectId == subject)
            {
                await holds.ReleaseAsync(recourse.Document.HoldId, now, "ended-by-the-persons-deletion-request", cancellationToken).ConfigureAwait(false);
            }
        }

        var snapshot = await holds.SnapshotAsync(cancellationToken).ConfigureAwait(false);
        var tally = new DeletionTally();
        var resident = (await store.ReadAsync<ResidentRecord>(Containers.Residents, subject, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document;
        var rule = new RetentionRule(child ? "child-data-deletion" : "deletion-request", child ? "O15" : "O9", TimeSpan.Zero, RetentionAction.Delete);

        async Task DeleteAsync(string what, ScheduleEntry entry) =>
            tally.Add(what, await enforcer.DeleteUnlessHeldAsync(entry, snapshot, resumeAfterHold: true, cancellationToken).ConfigureAwait(false));

        // What concerns the person is found first: footage is linked to them by their door events, deleted next.
        var found = await recordings.FindAllAsync(subject, null, cancellationToken).ConfigureAwait(false);
        var concerning = found.Recordings;
        await foreach (var e in PagesAsync(Containers.DoorEvents, subject, RecordQuery.All, cancellationToken).ConfigureAwait(false))
        {
            var doorEvent = e.Deserialize<DoorEventRecord>(RecordJson.Options)!;
            await DeleteAsync("hardware usage: door events", Entry(ItemKind.DoorEvent, subject, doorEvent.EventId, doorEvent.BuildingId, doorEvent.DataCategory, rule, doorEvent.At, now)).ConfigureAwait(false);
        }

        // Facial Entry captures verified as the person are authentication data about them (O4): every version goes.
        foreach (var capture in concerning.Where(r => r.Why == PersonRecordings.VerifiedCapture))
        {
            foreach (var version in capture.Record.Versions)
            {
                await DeleteAsync("Facial Entry captures verified as you (with their match results)", new ScheduleEntry
                {
                    Kind = ItemKind.RecordingVersion,
                    ItemPartition = capture.BuildingId,
                    ItemId = capture.Record.Id,
                    Version = version.Number,
                    Sha256 = version.Sha256,
                    BlobName = capture.Record.BlobName,
                    SubjectId = subject,
                    BuildingId = capture.BuildingId,
                    EventAt = version.CapturedAt,
                    Category = capture.Record.DataCategory,
                    Rule = rule,
                    Deadline = now,
                }).ConfigureAwait(false);
            }
        }

        // Refused uploads that claim to be Facial Entry captures at the person's doors and times go too (O4); quarantined
        // footage stays under its rule like any footage.
        foreach (var q in found.Quarantined.Where(q => q.ClaimedKind == "facial-entry"))
        {
            await DeleteAsync("refused Facial Entry captures in quarantine at your doors and times", new ScheduleEntry
            {
                Kind = ItemKind.QuarantinedUpload,
                ItemPartition = QuarantinedUpload.PartitionFor(q.BuildingId),
                ItemId = QuarantinedUpload.IdFor(q.BlobName),
                BlobName = q.BlobName,
                SubjectId = subject,
                BuildingId = q.BuildingId ?? "unknown",
                EventAt = q.StartedAt,
                Category = q.DataCategory,
                Rule = rule,
                Deadline = now,
            }).ConfigureAwait(false);
        }

        if (await store.ReadAsync<FacialEnrollmentRecord>(Containers.Residents, subject, FacialEnrollmentRecord.DocumentId, cancellationToken).ConfigureAwait(false) is { } enrollment)
        {
            await DeleteAsync("Facial Entry enrollment (reference data)", Entry(ItemKind.FacialEnrollment, subject, FacialEnrollmentRecord.DocumentId, enrollment.Document.BuildingId, "facial-entry-reference", rule, enrollment.Document.EnrolledAt, now)).ConfigureAwait(false);
        }

        var kept = new List<KeptData>();
        if (resident is not null)
        {
            if (!child && resident.MovedOutAt is null)
            {
                kept.Add(new KeptData("identifiers and account information", "needed to perform the lease contract with property management while you live in the building (O9)"));
            }
            else
            {
                await DeleteAsync("identifiers (name, email, phone): anonymized", Entry(ItemKind.ResidentIdentifiers, subject, ResidentRecord.DocumentId, resident.BuildingId, "identifiers", rule, resident.MovedInAt, now)).ConfigureAwait(false);
            }
        }

        kept.AddRange(tally.Kept());

        // Footage is not about one person: entry cameras record everyone at a door. It stays under the building's rule,
        // for the building's security (O2, O9), and goes at its deadline; the answer says which and until when.
        var footage = concerning.Where(r => r.Why != PersonRecordings.VerifiedCapture).ToList();
        if (footage.Count > 0)
        {
            kept.Add(new KeptData(
                string.Create(CultureInfo.InvariantCulture, $"{footage.Count} entry-camera recordings at the doors and times of your door events"),
                "the building's security (O9 exception); entry cameras record everyone at a door, and the footage is deleted under the building's footage rule (O2)",
                footage.Max(f => f.Record.Deadline)));
        }

        var quarantinedFootage = found.Quarantined.Where(q => q.ClaimedKind != "facial-entry").ToList();
        if (quarantinedFootage.Count > 0)
        {
            kept.Add(new KeptData(
                string.Create(CultureInfo.InvariantCulture, $"{quarantinedFootage.Count} refused entry-camera uploads in quarantine at the doors and times of your door events"),
                "the building's security and repairing the fault that made them refused (O9 exceptions); deleted under the rule of what they claim to be (O2)",
                quarantinedFootage.Max(q => q.Deadline)));
        }

        kept.Add(new KeptData("the sharing ledger's entries about you", "a legal obligation to record disclosures (O12)"));
        kept.Add(new KeptData("consent history", "proof of consent required by law (NYC TDPA)"));
        kept.Add(new KeptData("this request's record", "kept 24 months as the law requires (11 CCR 7101), and used for nothing else", now.AddDays(730)));

        var deleted = tally.Deleted();
        await Finish(record.RequestId, new RequestOutcome
        {
            Summary = deleted.Count == 0 ? "Nothing could be deleted yet; see what was kept, why and until when." : "Deleted or anonymized what no exception keeps; see what was kept, why and until when.",
            Deleted = deleted,
            Kept = kept,
        }).ConfigureAwait(false);
        return new WorkResult(RequestStatus.Completed, null, false, record.EffectiveDueAt.UtcDateTime);
    }

    private async Task<WorkResult> CorrectionAsync(PrivacyRequestRecord record, string subject, CancellationToken cancellationToken)
    {
        // O11: a task for property management of the person's building (its mailbox; the portal lists it with the field and
        // the requested value). The message carries ids only: the value is read from the record when the mail is written.
        var resident = (await store.ReadAsync<ResidentRecord>(Containers.Residents, subject, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document;
        await notifications.PublishAsync(new NotificationRequest(
            $"correction-task-{record.RequestId}", "request-" + record.RequestId, "correction-task",
            resident is null ? RecipientKind.PrivacyOfficer : RecipientKind.PropertyManagement, resident?.BuildingId ?? "privacy-office", MessageClass.Service,
            new Dictionary<string, string>
            {
                ["requestId"] = record.RequestId,
                ["buildingId"] = resident?.BuildingId ?? "unknown",
                ["dueAt"] = RecordJson.Timestamp(record.EffectiveDueAt),
            }), cancellationToken).ConfigureAwait(false);
        await service.UpdateAsync(record.RequestId, r => r with
        {
            Status = RequestStatus.AwaitingPropertyManagement,
            Steps = [.. r.Steps, new RequestStep("sent-to-property-management", "done", time.GetUtcNow())],
        }, cancellationToken).ConfigureAwait(false);
        return new WorkResult(RequestStatus.AwaitingPropertyManagement, null, true, record.EffectiveDueAt.UtcDateTime)
        {
            EscalateAtUtc = (record.EffectiveDueAt - options.Value.CorrectionEscalation).UtcDateTime,
        };
    }

    /// <summary>
    /// O11: property management has not answered a correction and its due date is near. The privacy office is alerted (with
    /// the field and requested value, read at send time) and property management reminded; the record says so. Returns the
    /// due date, until which the orchestration keeps waiting.
    /// </summary>
    public async Task<DateTime> EscalateCorrectionAsync(string requestId, CancellationToken cancellationToken)
    {
        var record = (await service.ReadAsync(requestId, cancellationToken).ConfigureAwait(false))?.Document ?? throw new InvalidOperationException("The request record is missing.");
        var resident = record.SubjectId is { } subject
            ? (await store.ReadAsync<ResidentRecord>(Containers.Residents, subject, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document
            : null;
        var values = new Dictionary<string, string>
        {
            ["requestId"] = record.RequestId,
            ["buildingId"] = resident?.BuildingId ?? "unknown",
            ["dueAt"] = RecordJson.Timestamp(record.EffectiveDueAt),
        };
        await notifications.PublishAsync(new NotificationRequest(
            $"correction-escalated-{record.RequestId}", "request-" + record.RequestId, "correction-escalated", RecipientKind.PrivacyOfficer, "privacy-office", MessageClass.Service, values), cancellationToken).ConfigureAwait(false);
        if (resident is not null)
        {
            await notifications.PublishAsync(new NotificationRequest(
                $"correction-reminder-{record.RequestId}", "request-" + record.RequestId, "correction-task", RecipientKind.PropertyManagement, resident.BuildingId, MessageClass.Service, values), cancellationToken).ConfigureAwait(false);
        }

        if (!record.Steps.Any(s => s.Name == "escalated"))
        {
            await service.UpdateAsync(requestId, r => r with { Steps = [.. r.Steps, new RequestStep("escalated", "privacy-office-alerted", time.GetUtcNow())] }, cancellationToken).ConfigureAwait(false);
        }

        return record.EffectiveDueAt.UtcDateTime;
    }

    /// <summary>Records property management's answer to a correction (or its silence by the due date) as the outcome.</summary>
    public async Task<WorkResult> RecordCorrectionAsync(CorrectionAnswer answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var note = (await store.ReadAsync<CorrectionOutcomeInput>(Containers.Requests, answer.RequestId, PrivacyRequestService.CorrectionAnswerId, cancellationToken).ConfigureAwait(false))?.Document.Note;
        var record = (await service.ReadAsync(answer.RequestId, cancellationToken).ConfigureAwait(false))!.Document;
        var summary = answer.Outcome switch
        {
            "corrected" => "Property management corrected the information.",
            "declined" => "Property management declined the correction, for this reason: " + (note ?? "none given"),

            // O11: silence is not a correction. The person is told it was not made and why; the record says so.
            _ => string.Create(CultureInfo.InvariantCulture, $"The correction was not made: property management did not confirm it by the due date ({RecordJson.Timestamp(record.EffectiveDueAt)}), so the information stays as it was. You may ask again, or complain to the regulator of your jurisdiction."),
        };
        await Finish(answer.RequestId, new RequestOutcome { Summary = summary }).ConfigureAwait(false);
        if (answer.Outcome is not ("corrected" or "declined"))
        {
            await service.UpdateAsync(answer.RequestId, r => r with { Steps = [.. r.Steps, new RequestStep("not-answered-by-due-date", "not-corrected", time.GetUtcNow())] }, cancellationToken).ConfigureAwait(false);
        }

        return answer.Outcome switch
        {
            "corrected" => new WorkResult(RequestStatus.Completed, null, false, record.EffectiveDueAt.UtcDateTime),
            "declined" => new WorkResult(RequestStatus.Denied, "correction-declined-by-property-management", false, record.EffectiveDueAt.UtcDateTime),
            _ => new WorkResult(RequestStatus.Denied, "correction-not-made-by-due-date", false, record.EffectiveDueAt.UtcDateTime),
        };
    }

    private Task Finish(string requestId, RequestOutcome outcome) => service.AnswerAsync(requestId, outcome);

    private async Task<List<RequestIndexEntry>> IndexAsync(string partition, CancellationToken cancellationToken)
    {
        var result = new List<RequestIndexEntry>();
        await foreach (var item in PagesAsync(Containers.Requests, partition, RecordQuery.All, cancellationToken).ConfigureAwait(false))
        {
            result.Add(item.Deserialize<RequestIndexEntry>(RecordJson.Options)!);
        }

        return result;
    }

    private async IAsyncEnumerable<JsonObject> PagesAsync(string container, string partition, RecordQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? continuation = null;
        do
        {
            var page = await store.QueryAsync<JsonObject>(container, partition, query, 500, continuation, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                yield return item.Document;
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);
    }

    /// <summary>An item of the person, due now under the request's rule; <paramref name="collectedAt"/> and the building
    /// are the item's own, so building-and-window holds see it as retention does.</summary>
    private static ScheduleEntry Entry(ItemKind kind, string partition, string id, string building, string category, RetentionRule rule, DateTimeOffset collectedAt, DateTimeOffset now) => new()
    {
        Kind = kind,
        ItemPartition = partition,
        ItemId = id,
        SubjectId = partition,
        BuildingId = building,
        EventAt = collectedAt,
        Category = category,
        Rule = rule,
        Deadline = now,
    };
}
