using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Disclosures;

/// <summary>Body of <c>POST /api/buildings/{b}/units/{u}/settings</c>: a shared setting changed.</summary>
public sealed record SettingChangeInput(string Setting, string Value, string? ChangedBy);

/// <summary>What <c>POST /api/buildings/{buildingId}/units/{unitId}/settings</c> answers: the change's id (202).</summary>
public sealed record SettingChangeAccepted(string ChangeId);

/// <summary>The message on <see cref="Queues.SettingChanges"/>: ids and the setting's name only. The new value is not carried
/// (a guest-access value can name a person, and the alert needs only what changed and when: O1, issue 13).</summary>
public sealed record SettingChanged(string ChangeId, string BuildingId, string UnitId, string Setting, string? ChangedBy, DateTimeOffset ChangedAt);

/// <summary>
/// O13: when a shared setting of a unit changes (e.g. the thermostat set-point), every other current resident of the unit
/// is told. The alert is informational, so a resident's opt-out (O16) is honoured by the dispatcher.
/// </summary>
public sealed class RoommateAlerts(IRecordStore store, IMessageTransport transport, NotificationPublisher publisher, TimeProvider time, Auditing.AuditLog audit)
{
    public static readonly string[] SharedSettings = ["thermostat-setpoint", "thermostat-mode", "door-lock-schedule", "guest-access"];

    /// <summary>O13's audit actions: a change accepted (before it is queued), and its alerts queued (outcome "queued:{n}").
    /// Ids, the setting's name and counts only: never the value, never who changed it.</summary>
    public const string ChangedAction = "setting-changed";

    public const string AlertsQueuedAction = "roommate-alerts-queued";

    /// <summary>How soon after a change its alerts are delivered for the compliance report to count them on time (O13 names
    /// no deadline; the dispatcher sends within minutes).</summary>
    public static readonly TimeSpan AlertWithin = TimeSpan.FromHours(24);

    public static string ItemRefOf(string changeId) => "setting-changes/" + changeId;

    public static string CampaignOf(string changeId) => "roommate-" + changeId;

    public async Task<IResult> PostAsync(string buildingId, string unitId, HttpRequest request, CancellationToken cancellationToken)
    {
        if (!UploadName.IsValidId(buildingId) || !UploadName.IsValidId(unitId))
        {
            return Problems.BadRequest("Building and unit ids are 1 to 64 characters of a-z, 0-9 and '-'.");
        }

        var (input, problem) = await RequestBody.ReadAsync<SettingChangeInput>(request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (!SharedSettings.Contains(input!.Setting) || string.IsNullOrWhiteSpace(input.Value) || input.Value.Length > 64
            || (input.ChangedBy is not null && !UploadName.IsValidId(input.ChangedBy)))
        {
            return Problems.BadRequest("'setting' is one of " + string.Join(", ", SharedSettings) + "; 'value' at most 64 characters; 'changedBy' a resident id.");
        }

        // Who changed it: a resident is the caller themselves, whatever the body says; a device or a manager may name a
        // current resident of this unit, and nobody else.
        var changedBy = input.ChangedBy;
        if (Api.Auth.Caller.OfRequest(request) is { } caller && caller.On(ApiRoutes.ChangeUnitSetting).HasFlag(Roles.Resident)
            && await OccupantAsync(caller.SubjectId, buildingId, unitId, cancellationToken).ConfigureAwait(false))
        {
            changedBy = caller.SubjectId;
        }
        else if (changedBy is not null && !await OccupantAsync(changedBy, buildingId, unitId, cancellationToken).ConfigureAwait(false))
        {
            return Problems.BadRequest("'changedBy' is not a current resident of this unit.");
        }

        var change = new SettingChanged("chg-" + Guid.NewGuid().ToString("N")[..16], buildingId, unitId, input.Setting, changedBy, time.GetUtcNow());
        await audit.WriteAsync(Auditing.AuditLog.IdFor(ChangedAction, change.ChangeId), new Auditing.AuditRecord
        {
            Action = ChangedAction, ItemRef = ItemRefOf(change.ChangeId), Category = change.Setting, Obligation = "O13", BuildingId = buildingId,
            Deadline = change.ChangedAt + AlertWithin, Outcome = "accepted", At = change.ChangedAt, DoneAt = change.ChangedAt,
        }, cancellationToken).ConfigureAwait(false);
        await transport.SendAsync(Queues.SettingChanges, change.ChangeId, BinaryData.FromObjectAsJson(change, ApiJson.Options), cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new SettingChangeAccepted(change.ChangeId), ApiJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    private async Task<bool> OccupantAsync(string? residentId, string buildingId, string unitId, CancellationToken cancellationToken) =>
        UploadName.IsValidId(residentId)
        && (await store.ReadAsync<ResidentRecord>(Containers.Residents, residentId, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document
            is { MovedOutAt: null } resident
        && resident.BuildingId == buildingId && resident.UnitId == unitId;

    /// <summary>Fans one change out to the unit's other current residents, one notification each (stable ids: a redelivered
    /// change queues the same notifications, which the dispatcher sends once).</summary>
    public async Task<HandlerResult> HandleAsync(BinaryData body, CancellationToken cancellationToken)
    {
        SettingChanged? change;
        try
        {
            change = body.ToObjectFromJson<SettingChanged>(ApiJson.Options);
        }
        catch (System.Text.Json.JsonException)
        {
            return HandlerResult.Reject("malformed-setting-change");
        }

        if (change is null || !UploadName.IsValidId(change.BuildingId) || !UploadName.IsValidId(change.UnitId) || string.IsNullOrEmpty(change.ChangeId))
        {
            return HandlerResult.Reject("malformed-setting-change");
        }

        var roommates = new List<NotificationRequest>();
        string? continuation = null;
        do
        {
            var page = await store.QueryAsync<OccupancyRecord>(
                Containers.Occupancy,
                change.BuildingId,
                RecordQuery.Where(new FieldCondition("unitId", FieldOperator.Equal, JsonValue.Create(change.UnitId))),
                200,
                continuation,
                cancellationToken).ConfigureAwait(false);
            roommates.AddRange(page.Items
                .Select(i => i.Document)
                .Where(o => o.MovedOutAt is null && o.ResidentId != change.ChangedBy)
                .Select(o => new NotificationRequest(
                    $"roommate-{change.ChangeId}-{o.ResidentId}",
                    "roommate-" + change.ChangeId,
                    "roommate-setting-changed",
                    RecipientKind.Resident,
                    o.ResidentId,
                    MessageClass.Informational,
                    new Dictionary<string, string>
                    {
                        ["setting"] = change.Setting,
                        ["changedAt"] = change.ChangedAt.UtcDateTime.ToString("u", CultureInfo.InvariantCulture),
                    })));
            continuation = page.Continuation;
        }
        while (continuation is not null);

        if (roommates.Count > 0)
        {
            await publisher.PublishBatchAsync(roommates, cancellationToken).ConfigureAwait(false);
        }

        // O13: how many alerts the change needed, in the change's day (a redelivered change rewrites the same entry).
        var now = time.GetUtcNow();
        await audit.WriteAsync(Auditing.AuditLog.IdFor(AlertsQueuedAction, change.ChangeId), new Auditing.AuditRecord
        {
            Action = AlertsQueuedAction, ItemRef = ItemRefOf(change.ChangeId), Category = change.Setting, Obligation = "O13", BuildingId = change.BuildingId,
            Deadline = change.ChangedAt + AlertWithin, Outcome = "queued:" + roommates.Count.ToString(CultureInfo.InvariantCulture), At = change.ChangedAt, DoneAt = now,
        }, cancellationToken).ConfigureAwait(false);

        return HandlerResult.Done;
    }
}
