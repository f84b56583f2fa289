using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Residents;

/// <summary>
/// O17 (exercising a right never changes the service a person gets): the part of a resident's record that is the service
/// they get, as field name to value: where they live (building, unit, living there or moved out), their message choices
/// (O16) and their Facial Entry (consent live under a policy version, withdrawn, none). Identifiers (name, email, phone) are
/// not service: a correction changes them as asked. A request compares this at receipt and at its close
/// (<see cref="Requests.PrivacyRequestService"/>).
/// </summary>
public static class ServiceProfile
{
    public static IReadOnlyDictionary<string, string> Of(ResidentRecord resident)
    {
        ArgumentNullException.ThrowIfNull(resident);
        return new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["residence"] = $"{resident.BuildingId}/{resident.UnitId}/{(resident.MovedOutAt is null ? "living" : "moved-out")}",
            ["messages.informational"] = resident.Messages.Informational ? "on" : "off",
            ["messages.offers"] = resident.Messages.Offers ? "on" : "off",
            ["facial-entry"] = resident.FacialEntry switch
            {
                null => "none",
                { WithdrawnAt: null } consent => "consent:" + consent.PolicyVersion,
                _ => "withdrawn",
            },
        };
    }

    /// <summary>The fields whose value differs (a field missing on one side differs).</summary>
    public static IReadOnlyList<string> Changed(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        return [.. before.Keys.Union(after.Keys, StringComparer.Ordinal)
            .Where(k => !before.TryGetValue(k, out var b) || !after.TryGetValue(k, out var a) || b != a)
            .Order(StringComparer.Ordinal)];
    }
}

/// <summary>One change of a service field and who made it: "resident-api" (the person, their guardian or property management
/// through their routes) or "deletion" (the retention engine's audited deletion path). Field names, times and the log's
/// sequence number only.</summary>
public sealed record ServiceChange(string Field, DateTimeOffset At, string By, long Sequence);

/// <summary>The resident's recent service changes (container <c>residents</c>, the resident's partition, id
/// <see cref="DocumentId"/>); <see cref="Sequence"/> counts every change ever recorded, so "after this point" is exact even
/// when a change and a request's receipt share a clock tick.</summary>
public sealed record ServiceChangeLog(IReadOnlyList<ServiceChange> Changes, long Sequence)
{
    public const string DocumentId = "service-changes";
}

/// <summary>
/// Keeps each resident's <see cref="ServiceChangeLog"/>: written by the only code that may change a service field (the
/// residents' routes and the deletion path), so a change made anywhere else (a request's own work, say) is a change nobody
/// made, and the request's close names it (O17). Entries older than <see cref="Kept"/> go (the longest request, 45 + 45 days,
/// fits many times).
/// </summary>
public sealed class ServiceChanges(IRecordStore store)
{
    public static readonly TimeSpan Kept = TimeSpan.FromDays(400);

    public async Task RecordAsync(string residentId, ResidentRecord? before, ResidentRecord after, string by, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(after);
        var fields = before is null ? [] : ServiceProfile.Changed(ServiceProfile.Of(before), ServiceProfile.Of(after));
        if (fields.Count == 0)
        {
            return;
        }

        // Two changes of one resident at once both land: created once, then replaced by ETag.
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var stored = await store.ReadAsync<ServiceChangeLog>(Containers.Residents, residentId, ServiceChangeLog.DocumentId, cancellationToken).ConfigureAwait(false);
            var sequence = stored?.Document.Sequence ?? 0;
            var changes = new ServiceChangeLog(
                [.. (stored?.Document.Changes ?? []).Where(c => c.At > at - Kept), .. fields.Select((f, i) => new ServiceChange(f, at, by, sequence + i + 1))],
                sequence + fields.Count);
            try
            {
                if (stored is null)
                {
                    await store.CreateAsync(Containers.Residents, residentId, ServiceChangeLog.DocumentId, changes, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await store.ReplaceAsync(Containers.Residents, residentId, ServiceChangeLog.DocumentId, changes, stored.ETag, cancellationToken).ConfigureAwait(false);
                }

                return;
            }
            catch (Exception e) when (e is RecordConflictException or RecordPreconditionFailedException or RecordNotFoundException)
            {
            }
        }

        throw new InvalidOperationException("A resident's service changes kept changing while one was recorded.");
    }

    public async Task<ServiceChangeLog> ReadAsync(string residentId, CancellationToken cancellationToken) =>
        (await store.ReadAsync<ServiceChangeLog>(Containers.Residents, residentId, ServiceChangeLog.DocumentId, cancellationToken).ConfigureAwait(false))?.Document ?? new ServiceChangeLog([], 0);
}
