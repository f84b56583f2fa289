using Microsoft.AspNetCore.Http;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Residents;

/// <summary>Body of <c>PUT /api/residents/{id}</c> (property management).</summary>
public sealed record ResidentInput(string BuildingId, string UnitId, DateTimeOffset MovedInAt, string Email, string? Name, string? Phone, string? Jurisdiction)
{
    /// <summary>A minor (O15): needs <see cref="Guardian"/>.</summary>
    public bool? Minor { get; init; }

    /// <summary>A minor's guardian: a resident of the same building (by id), or a contact (email, name).</summary>
    public Guardian? Guardian { get; init; }
}

/// <summary>Body of <c>POST /api/residents/{id}/move-out</c>.</summary>
public sealed record MoveOutInput(DateTimeOffset? MovedOutAt);

/// <summary>Body of <c>POST /api/residents/{id}/consents/facial-entry</c>.</summary>
public sealed record ConsentInput(string PolicyVersion);

/// <summary>Body of <c>PUT /api/residents/{id}/message-preferences</c> (O16).</summary>
public sealed record MessagePreferencesInput(bool Informational, bool Offers);

/// <summary>
/// Residents, move-out and Facial Entry consent (O3, O5). Move-out and withdrawal end the enrollment and remove its Face
/// API person from identification at once (<see cref="Faces.FacialEntryWithdrawals"/>), and set the reference-data deadline
/// (event + 90 days) for the rest. Re-consent does not revive the ended enrollment: its remains are deleted then and the
/// resident enrolls again.
/// </summary>
public sealed class ResidentsApi(IRecordStore store, RetentionSchedule schedule, RetentionPolicy policy, AuditLog audit, Faces.FacialEntryIndex facialEntryIndex, Faces.FacialEnrollments facialEnrollments, Faces.FacialEntryWithdrawals facialEntryWithdrawals, Requests.ResidentEmailIndex emailIndex, ServiceChanges serviceChanges, TimeProvider time)
{
    public static readonly string[] Jurisdictions = ["california", "canada", "new-york", "other"];

    /// <summary>The audit action of a change of message choices (O16); its reason code is <see cref="ChoicesCode"/>.</summary>
    public const string MessageChoicesAction = "message-preferences-changed";

    /// <summary>Message choices as an audit reason code, e.g. "informational:off offers:on".</summary>
    public static string ChoicesCode(MessagePreferences messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return $"informational:{(messages.Informational ? "on" : "off")} offers:{(messages.Offers ? "on" : "off")}";
    }

    public async Task<IResult> PutResidentAsync(string residentId, HttpRequest request, CancellationToken cancellationToken)
    {
        if (!UploadName.IsValidId(residentId))
        {
            return Problems.BadRequest("Resident ids are 1 to 64 characters of a-z, 0-9 and '-'.");
        }

        var (input, problem) = await RequestBody.ReadAsync<ResidentInput>(request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var errors = Validate(input!);
        if (errors is not null)
        {
            return errors;
        }

        if (Api.Auth.Caller.OfRequest(request) is { } caller && !caller.CoversBuilding(ApiRoutes.PutResident, input!.BuildingId))
        {
            return Problems.NotFound("No such building."); // a manager registers residents only in their buildings
        }

        var existing = await ReadAsync(residentId, cancellationToken).ConfigureAwait(false);
        if (existing is not null && existing.Document.BuildingId != input!.BuildingId)
        {
            // O3, O4: an enrollment lives in its building's group; in another building it ends (Face API person removed)
            // and the resident enrolls again there.
            await facialEntryWithdrawals.EndAsync(residentId, cancellationToken).ConfigureAwait(false);
        }

        var record = existing?.Document is { } current
            ? current with { BuildingId = input!.BuildingId, UnitId = input.UnitId, MovedInAt = input.MovedInAt, Email = input.Email, Name = input.Name, Phone = input.Phone, Jurisdiction = input.Jurisdiction ?? current.Jurisdiction, Minor = input.Minor ?? current.Minor, Guardian = input.Minor is false ? null : input.Guardian ?? current.Guardian }
            : new ResidentRecord
            {
                ResidentId = residentId,
                BuildingId = input!.BuildingId,
                UnitId = input.UnitId,
                MovedInAt = input.MovedInAt,
                Email = input.Email,
                Name = input.Name,
                Phone = input.Phone,
                Jurisdiction = input.Jurisdiction ?? "other",
                Minor = input.Minor ?? false,
                Guardian = input.Guardian,
            };

        // O15: a minor has a guardian; a guardian who is a resident is an adult of the same building, not the minor.
        if (record.Minor && await GuardianProblemAsync(residentId, record, cancellationToken).ConfigureAwait(false) is { } guardianProblem)
        {
            return guardianProblem;
        }

        if (record.IdentifiersDeadline is { } identifiersDeadline)
        {
            // Identifiers written again after move-out go by the same deadline (at once, when it has passed).
            await schedule.AddAsync(IdentifiersEntry(record, identifiersDeadline), cancellationToken).ConfigureAwait(false);
        }

        // The email index (privacy-request intake): the new entry before the record, the old one after it, so a crash
        // never leaves the resident unfindable by the address on file.
        await emailIndex.SyncAsync(null, record, cancellationToken).ConfigureAwait(false);
        await store.UpsertAsync(Containers.Residents, residentId, ResidentRecord.DocumentId, record, cancellationToken).ConfigureAwait(false);
        await serviceChanges.RecordAsync(residentId, existing?.Document, record, "resident-api", time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        await emailIndex.SyncAsync(existing?.Document, record, cancellationToken).ConfigureAwait(false);
        if (existing is not null && existing.Document.BuildingId != record.BuildingId)
        {
            await store.DeleteAsync(Containers.Occupancy, existing.Document.BuildingId, residentId, cancellationToken).ConfigureAwait(false);
        }

        await IndexAsync(record, cancellationToken).ConfigureAwait(false);
        if (existing is not null && existing.Document.BuildingId != record.BuildingId)
        {
            // O4: captures of the old building are no longer checked against this resident.
            await facialEntryIndex.RemoveAsync(existing.Document.BuildingId, residentId, cancellationToken).ConfigureAwait(false);
        }

        await facialEntryIndex.SyncAsync(residentId, cancellationToken).ConfigureAwait(false);
        return existing is null
            ? TypedResults.Json(record, ApiJson.Options, statusCode: StatusCodes.Status201Created)
            : TypedResults.Json(record, ApiJson.Options);
    }

    public async Task<IResult> GetResidentAsync(string residentId, CancellationToken cancellationToken)
    {
        if (!UploadName.IsValidId(residentId))
        {
            return Problems.BadRequest("Resident ids are 1 to 64 characters of a-z, 0-9 and '-'.");
        }

        var existing = await ReadAsync(residentId, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            return Problems.NotFound("No such resident.");
        }

        // The record, plus what Facial Entry does for this resident here: enrolled or not, verification configured or not.
        var body = System.Text.Json.JsonSerializer.SerializeToNode(existing.Document, ApiJson.Options)!.AsObject();
        body["facialEntryStatus"] = System.Text.Json.JsonSerializer.SerializeToNode(await facialEnrollments.StatusAsync(existing.Document, cancellationToken).ConfigureAwait(false), ApiJson.Options);
        return TypedResults.Json(body, ApiJson.Options);
    }

    /// <summary>O5: the tenant vacates; reference data must go within 90 days; face processing stops now (O3).</summary>
    public async Task<IResult> MoveOutAsync(string residentId, HttpRequest request, CancellationToken cancellationToken)
    {
        var (input, problem) = await RequestBody.ReadAsync<MoveOutInput>(request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var now = time.GetUtcNow();
        var movedOut = input!.MovedOutAt ?? now;
        if (movedOut > now + TimeSpan.FromMinutes(5))
        {
            return Problems.BadRequest("'movedOutAt' is in the future; record a move-out when it happens.");
        }

        return await ChangeAsync(residentId, r =>
        {
            if (r.MovedOutAt is not null)
            {
                return (r, null);
            }

            return movedOut < r.MovedInAt
                ? (r, Problems.BadRequest("'movedOutAt' is before the move-in."))
                : (r with
                {
                    MovedOutAt = movedOut,
                    ReferenceDataDeadline = EarlierOf(r.ReferenceDataDeadline, policy.Deadline(policy.ForReferenceData(), movedOut, r.BuildingId)),
                    IdentifiersDeadline = policy.Deadline(policy.ForResidentIdentifiers(), movedOut, r.BuildingId),
                }, null);
        }, "moved-out", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>O3: consent given (who, when, which policy version). Cancels a pending reference-data deadline (O5), whose
    /// data (an ended enrollment) is deleted first: re-consent means enrolling again.</summary>
    public async Task<IResult> GiveFacialEntryConsentAsync(string residentId, HttpRequest request, CancellationToken cancellationToken)
    {
        var (input, problem) = await RequestBody.ReadAsync<ConsentInput>(request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        // O3: the consent names a published version of the Facial Entry policy (GET /api/facial-entry/policy), never a
        // free text: the consent stays attached to that version's text.
        if (FacialEntryPolicies.Find(input!.PolicyVersion) is null)
        {
            return Problems.BadRequest(
                "'policyVersion' names a published version of the Facial Entry policy (GET /api/facial-entry/policy).",
                new Dictionary<string, object?> { ["code"] = "unknown-policy-version", ["current"] = FacialEntryPolicies.Current.Version });
        }

        // O3: consenting again after a withdrawal does not revive the earlier enrollment: it is ended (if a race left it
        // unmarked) and its remains are deleted now, holds first; the resident enrolls again.
        if ((await ReadAsync(residentId, cancellationToken).ConfigureAwait(false))?.Document is { MovedOutAt: null, FacialEntryActive: false })
        {
            await facialEntryWithdrawals.EndAsync(residentId, cancellationToken).ConfigureAwait(false);
            await facialEnrollments.DiscardEndedAsync(residentId, cancellationToken).ConfigureAwait(false);
        }

        var now = time.GetUtcNow();
        var caller = Api.Auth.Caller.OfRequest(request)?.SubjectId;
        return await ChangeAsync(residentId, r =>
        {
            if (r.MovedOutAt is not null)
            {
                // TDPA: no reference data from non-tenants.
                return (r, Problems.Conflict("A resident who has moved out cannot enroll in Facial Entry.", title: "Not a tenant."));
            }

            // O15, TDPA: a minor's biometric consent is their guardian's to give, as a resident signed in as themselves.
            if (r.Minor && (r.Guardian?.ResidentId is not { } guardianId || caller != guardianId))
            {
                return (r, Problems.Conflict(
                    "A minor's Facial Entry consent is given by their guardian, signed in as themselves (a guardian on file only as a contact must first be registered as a resident).",
                    "guardian-consent-required",
                    "Guardian consent required."));
            }

            var history = (r.FacialEntry?.History ?? []).Append(new ConsentEvent("given", now, input.PolicyVersion, r.Minor ? caller : null)).ToList();
            return (r with
            {
                FacialEntry = new FacialEntryConsent { GivenAt = now, PolicyVersion = input.PolicyVersion, History = history },
                ReferenceDataDeadline = null,
            }, null);
        }, ConsentAudit.Given, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>O3: withdrawal stops face processing at once; O5: reference data goes within 90 days.</summary>
    public async Task<IResult> WithdrawFacialEntryConsentAsync(string residentId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return await ChangeAsync(residentId, r =>
        {
            if (r.FacialEntry is not { WithdrawnAt: null } consent)
            {
                return (r, null);
            }

            var history = consent.History.Append(new ConsentEvent("withdrawn", now, null)).ToList();
            return (r with
            {
                FacialEntry = consent with { WithdrawnAt = now, History = history },
                ReferenceDataDeadline = EarlierOf(r.ReferenceDataDeadline, policy.Deadline(policy.ForReferenceData(), now, r.BuildingId)),
            }, null);
        }, ConsentAudit.Withdrawn, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IResult> PutMessagePreferencesAsync(string residentId, HttpRequest request, CancellationToken cancellationToken)
    {
        var (input, problem) = await RequestBody.ReadAsync<MessagePreferencesInput>(request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        // O16: each change of choices is audited with the choices (no identifiers), so the compliance report can check the
        // dispatcher's sends against them rather than against what the dispatcher says it read.
        return await ChangeAsync(residentId, r => (r with { Messages = new MessagePreferences(input!.Informational, input.Offers) }, null), MessageChoicesAction, cancellationToken).ConfigureAwait(false);
    }

    private Task<StoredRecord<ResidentRecord>?> ReadAsync(string residentId, CancellationToken cancellationToken) =>
        store.ReadAsync<ResidentRecord>(Containers.Residents, residentId, ResidentRecord.DocumentId, cancellationToken);

    /// <summary>Reads, changes and writes a resident with optimistic concurrency; then keeps the retention schedule in
    /// step with the reference-data deadline (schedule first on set, record first on cancel: a crash never loses a deadline).</summary>
    private async Task<IResult> ChangeAsync(string residentId, Func<ResidentRecord, (ResidentRecord Updated, IResult? Problem)> change, string? auditAction, CancellationToken cancellationToken)
    {
        if (!UploadName.IsValidId(residentId))
        {
            return Problems.BadRequest("Resident ids are 1 to 64 characters of a-z, 0-9 and '-'.");
        }

        for (var attempt = 0; attempt < 10; attempt++)
        {
            var existing = await ReadAsync(residentId, cancellationToken).ConfigureAwait(false);
            if (existing is null)
            {
                return Problems.NotFound("No such resident.");
            }

            var (updated, problem) = change(existing.Document);
            if (problem is not null)
            {
                return problem;
            }

            if (updated == existing.Document)
            {
                await facialEntryIndex.SyncAsync(residentId, cancellationToken).ConfigureAwait(false);
                return TypedResults.Json(updated, ApiJson.Options);
            }

            if (existing.Document.FacialEntryActive && !updated.FacialEntryActive)
            {
                // O3: processing stops before the withdrawal or move-out is even written (a crash in between errs on the
                // side of not checking anyone): out of the building's index, the enrollment ended, and its Face API person
                // deleted from the building's group and the group retrained, or, if the Face API fails, retried by the
                // retention schedule while the door refuses the resident by the record.
                await facialEntryIndex.RemoveAsync(existing.Document.BuildingId, residentId, cancellationToken).ConfigureAwait(false);
                await facialEntryWithdrawals.EndAsync(residentId, cancellationToken).ConfigureAwait(false);
            }

            var before = existing.Document.ReferenceDataDeadline;
            if (updated.ReferenceDataDeadline is { } deadline && deadline != before)
            {
                await schedule.AddAsync(ReferenceEntry(updated, deadline), cancellationToken).ConfigureAwait(false);
            }

            if (updated.IdentifiersDeadline is { } identifiers && identifiers != existing.Document.IdentifiersDeadline)
            {
                // O7: the identifiers' own deadline after move-out, as data before the move-out is written (a crash never
                // loses it); the sweep minimizes them through the one deletion path, holds first (O9's exceptions are holds).
                await schedule.AddAsync(IdentifiersEntry(updated, identifiers), cancellationToken).ConfigureAwait(false);
            }

            try
            {
                await store.ReplaceAsync(Containers.Residents, residentId, ResidentRecord.DocumentId, updated, existing.ETag, cancellationToken).ConfigureAwait(false);
            }
            catch (RecordPreconditionFailedException)
            {
                continue;
            }

            // O17: who changed the service, right after the change (a request's receipt reads this log before the record,
            // so whichever way the two interleave, the change is either in its kept service or after its count).
            await serviceChanges.RecordAsync(residentId, existing.Document, updated, "resident-api", time.GetUtcNow(), cancellationToken).ConfigureAwait(false);

            if (updated.MovedOutAt != existing.Document.MovedOutAt)
            {
                await IndexAsync(updated, cancellationToken).ConfigureAwait(false);
            }

            await facialEntryIndex.SyncAsync(residentId, cancellationToken).ConfigureAwait(false);

            if (before is { } cancelled && updated.ReferenceDataDeadline != before)
            {
                await schedule.CancelAsync(ItemKind.FacialEnrollment, residentId, FacialEnrollmentRecord.DocumentId, 0, cancelled, cancellationToken).ConfigureAwait(false);
            }

            if (auditAction is not null)
            {
                var now = time.GetUtcNow();
                // O3: a consent's entry is in the day, and has the id, of the consent's own time (ConsentAudit), so that a
                // capture's check can name it and a report read it by id.
                var at = ConsentAudit.TimeOf(auditAction, updated) ?? now;
                await audit.WriteAsync(AuditLog.IdFor(auditAction, residentId, RecordJson.Timestamp(at)), new AuditRecord
                {
                    Action = auditAction,
                    ItemRef = $"residents/{residentId}",
                    Obligation = auditAction == MessageChoicesAction ? "O16" : auditAction.StartsWith("facial", StringComparison.Ordinal) ? "O3" : "O5",
                    Deadline = auditAction == MessageChoicesAction ? null : updated.ReferenceDataDeadline,
                    ReasonCode = auditAction == MessageChoicesAction ? ChoicesCode(updated.Messages) : null,
                    SubjectId = auditAction == MessageChoicesAction ? residentId : null,
                    At = at,
                    DoneAt = now,
                }, cancellationToken).ConfigureAwait(false);
            }

            return TypedResults.Json(updated, ApiJson.Options);
        }

        return Problems.Conflict("The resident kept changing; try again.");
    }

    /// <summary>Keeps the building's occupancy index (roommates, breach fan-out) in step with the resident.</summary>
    private Task IndexAsync(ResidentRecord r, CancellationToken cancellationToken) =>
        store.UpsertAsync(Containers.Occupancy, r.BuildingId, r.ResidentId, new OccupancyRecord(r.ResidentId, r.UnitId, r.MovedInAt, r.MovedOutAt, r.Jurisdiction), cancellationToken);

    private ScheduleEntry ReferenceEntry(ResidentRecord resident, DateTimeOffset deadline) => new()
    {
        Kind = ItemKind.FacialEnrollment,
        ItemPartition = resident.ResidentId,
        ItemId = FacialEnrollmentRecord.DocumentId,
        SubjectId = resident.ResidentId,
        BuildingId = resident.BuildingId,
        EventAt = deadline - policy.ForReferenceData().Period,
        Category = "facial-entry-reference",
        Rule = policy.ForReferenceData(),
        Deadline = deadline,
    };

    /// <summary>O7: the resident's identifiers after move-out, minimized by their own rule (the pseudonymous id stays).</summary>
    private ScheduleEntry IdentifiersEntry(ResidentRecord resident, DateTimeOffset deadline) => new()
    {
        Kind = ItemKind.ResidentIdentifiers,
        ItemPartition = resident.ResidentId,
        ItemId = ResidentRecord.DocumentId,
        SubjectId = resident.ResidentId,
        BuildingId = resident.BuildingId,
        EventAt = resident.MovedOutAt ?? deadline,
        Category = "identifiers",
        Rule = policy.ForResidentIdentifiers(),
        Deadline = deadline,
    };

    private static DateTimeOffset EarlierOf(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x < b ? x : b;

    private async Task<IResult?> GuardianProblemAsync(string residentId, ResidentRecord record, CancellationToken cancellationToken)
    {
        switch (record.Guardian)
        {
            case null:
                return Problems.BadRequest("A minor needs a 'guardian': a resident of the same building ('residentId') or a contact ('email').");
            case { ResidentId: { } guardianId }:
                var guardian = UploadName.IsValidId(guardianId) && guardianId != residentId ? (await ReadAsync(guardianId, cancellationToken).ConfigureAwait(false))?.Document : null;
                return guardian is { Minor: false, MovedOutAt: null } && guardian.BuildingId == record.BuildingId
                    ? null
                    : Problems.BadRequest("'guardian.residentId' names an adult resident of the same building.");
            case { Email: { } email } when email.Length <= 254 && System.Net.Mail.MailAddress.TryCreate(email, out _) && record.Guardian.Name is not { Length: > 200 }:
                return null;
            default:
                return Problems.BadRequest("'guardian' is a resident id, or a contact with a valid 'email' (and a 'name' of at most 200 characters).");
        }
    }

    private static IResult? Validate(ResidentInput input)
    {
        if (!UploadName.IsValidId(input.BuildingId) || !UploadName.IsValidId(input.UnitId))
        {
            return Problems.BadRequest("'buildingId' and 'unitId' are 1 to 64 characters of a-z, 0-9 and '-'.");
        }

        if (string.IsNullOrWhiteSpace(input.Email) || input.Email.Length > 254 || !System.Net.Mail.MailAddress.TryCreate(input.Email, out _))
        {
            return Problems.BadRequest("'email' is not an email address.");
        }

        if (input.Name is { Length: > 200 } || input.Phone is { Length: > 32 })
        {
            return Problems.BadRequest("'name' is at most 200 characters and 'phone' at most 32.");
        }

        if (input.Jurisdiction is not null && !Jurisdictions.Contains(input.Jurisdiction))
        {
            return Problems.BadRequest("'jurisdiction' is one of california, canada, new-york, other.");
        }

        return null;
    }
}
