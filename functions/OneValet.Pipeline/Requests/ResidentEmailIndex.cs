using System.Text.Json.Nodes;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Requests;

/// <summary>One entry of the email index: which resident, in which building (ids only).</summary>
public sealed record ResidentEmailEntry(string ResidentId, string BuildingId);

/// <summary>
/// How privacy-request intake finds the person named by an email and a building without reading the building (issue 13,
/// O10): container <see cref="Containers.ResidentEmails"/>, partition = <see cref="RequestSecrets.EmailKey"/> of the
/// address, id = resident id. Kept in step with every write of a resident's email or building (registration, update, a
/// move to another building) and removed when the identifiers are anonymized (a deletion request). A resident who moved
/// out stays findable: a former tenant keeps the right to access and deletion. Writes go new entry first, old one last, so
/// a crash leaves at worst an extra entry, which <see cref="FindAsync"/> checks against the resident record.
/// </summary>
public sealed class ResidentEmailIndex(IRecordStore store, RequestSecrets secrets)
{
    /// <summary>The address an anonymized resident keeps: never indexed.</summary>
    public const string AnonymizedEmail = Residents.ResidentRecord.AnonymizedEmail;

    /// <summary>Brings the index in step with a resident's change: <paramref name="after"/> null means the identifiers are
    /// gone (anonymized or deleted).</summary>
    public async Task SyncAsync(ResidentRecord? before, ResidentRecord? after, CancellationToken cancellationToken)
    {
        var newKey = after is not null && Indexed(after.Email) ? secrets.EmailKey(after.Email) : null;
        if (newKey is not null)
        {
            await store.UpsertAsync(Containers.ResidentEmails, newKey, after!.ResidentId, new ResidentEmailEntry(after.ResidentId, after.BuildingId), cancellationToken).ConfigureAwait(false);
        }

        var oldKey = before is not null && Indexed(before.Email) ? secrets.EmailKey(before.Email) : null;
        if (oldKey is not null && oldKey != newKey)
        {
            await store.DeleteAsync(Containers.ResidentEmails, oldKey, before!.ResidentId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The resident of this building with this address, or null. Always the same work, matched or not: one query of one
    /// small partition, then one point read of the resident (of a name no resident can have when nothing matched), so the
    /// answer's timing does not tell a match (issue 13).
    /// </summary>
    public async Task<string?> FindAsync(string email, string buildingId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(email);
        var key = secrets.EmailKey(email);
        var page = await store.QueryAsync<ResidentEmailEntry>(
            Containers.ResidentEmails, key, RecordQuery.Where(new FieldCondition("buildingId", FieldOperator.Equal, JsonValue.Create(buildingId))), 10, null, cancellationToken).ConfigureAwait(false);
        var candidate = page.Items.Select(i => i.Document.ResidentId).Order(StringComparer.Ordinal).FirstOrDefault();

        // "_" is not a valid resident id (UploadName.IsValidId), so this read finds nothing, at the cost of a real read.
        var resident = await store.ReadAsync<ResidentRecord>(Containers.Residents, candidate ?? "_", ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false);
        return resident is not null && resident.Document.BuildingId == buildingId && Indexed(resident.Document.Email)
            && secrets.EmailKey(resident.Document.Email) == key
            ? resident.Document.ResidentId
            : null;
    }

    private static bool Indexed(string? email) => !string.IsNullOrWhiteSpace(email) && email != AnonymizedEmail;
}
