using System.Text.Json.Nodes;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Faces;

/// <summary>One resident a building's door captures may be checked against: live consent and an enrollment (O3, O4).
/// Ids only: the pseudonymous resident id and, with a Face API, the person id of the reference.</summary>
public sealed record FacialEntryIndexEntry(string ResidentId, string? FacePersonId, DateTimeOffset EnrolledAt);

/// <summary>
/// Per building, the residents whose face may be checked at its doors (container <c>occupancy</c>, partition
/// <c>facial-entry~{buildingId}</c>: '~' is not an id character, so it never meets a building's own partition; id = resident
/// id). It answers "does anyone here consent?" with one single-partition read, so a capture of a building where nobody does
/// is never sent to the Face API, and maps a Face API person back to a resident. An entry exists only while the resident
/// has a live consent and an enrollment: it is removed before consent is withdrawn or the enrollment deleted (a crash then
/// leaves it missing, never stale), and the records stay the authority: a check reads them before it accepts anyone.
/// </summary>
public sealed class FacialEntryIndex(IRecordStore store)
{
    public static string PartitionOf(string buildingId) => "facial-entry~" + buildingId;

    /// <summary>Makes the resident's entry match the records as they are now (read here, so a change racing with the
    /// caller is seen): present in their building while consent is live and an enrollment exists, absent otherwise.</summary>
    public async Task SyncAsync(string residentId, CancellationToken cancellationToken)
    {
        var resident = (await store.ReadAsync<ResidentRecord>(Containers.Residents, residentId, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document;
        if (resident is null)
        {
            return;
        }

        var enrollment = resident.FacialEntryActive
            ? (await store.ReadAsync<FacialEnrollmentRecord>(Containers.Residents, resident.ResidentId, FacialEnrollmentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document
            : null;
        if (enrollment is null || !enrollment.UsableIn(resident.BuildingId))
        {
            await RemoveAsync(resident.BuildingId, resident.ResidentId, cancellationToken).ConfigureAwait(false);
            return;
        }

        await store.UpsertAsync(
            Containers.Occupancy,
            PartitionOf(resident.BuildingId),
            resident.ResidentId,
            new FacialEntryIndexEntry(resident.ResidentId, enrollment.FacePersonId, enrollment.EnrolledAt),
            cancellationToken).ConfigureAwait(false);
    }

    public Task RemoveAsync(string buildingId, string residentId, CancellationToken cancellationToken) =>
        store.DeleteAsync(Containers.Occupancy, PartitionOf(buildingId), residentId, cancellationToken);

    /// <summary>
    /// Whether at least one resident of the building has a live consent and an enrollment, by the records (not the index
    /// alone): entries whose resident no longer qualifies are removed on the way. Usually one page and one point read.
    /// </summary>
    public async Task<bool> AnyLiveAsync(string buildingId, CancellationToken cancellationToken) =>
        await FirstLiveAsync(buildingId, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>As <see cref="AnyLiveAsync"/>, and which resident's live consent it found (O3: the consent a capture sent to
    /// the Face API is processed under), or null.</summary>
    public async Task<ResidentRecord?> FirstLiveAsync(string buildingId, CancellationToken cancellationToken)
    {
        string? continuation = null;
        do
        {
            var page = await store.QueryAsync<FacialEntryIndexEntry>(Containers.Occupancy, PartitionOf(buildingId), RecordQuery.All, 20, continuation, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                if (await LiveAsync(buildingId, item.Document.ResidentId, cancellationToken).ConfigureAwait(false) is { } live)
                {
                    return live.Resident;
                }

                await RemoveAsync(buildingId, item.Document.ResidentId, cancellationToken).ConfigureAwait(false);
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);
        return null;
    }

    /// <summary>The resident of the building whose reference is that Face API person, or null.</summary>
    public async Task<string?> ResidentOfPersonAsync(string buildingId, Guid personId, CancellationToken cancellationToken)
    {
        var page = await store.QueryAsync<FacialEntryIndexEntry>(
            Containers.Occupancy,
            PartitionOf(buildingId),
            RecordQuery.Where(new FieldCondition("facePersonId", FieldOperator.Equal, JsonValue.Create(personId.ToString()))),
            2,
            null,
            cancellationToken).ConfigureAwait(false);
        return page.Items.Count == 1 ? page.Items[0].Document.ResidentId : null;
    }

    /// <summary>
    /// The resident's enrollment if, by the records, they live in that building with a live consent and the enrollment was
    /// made there and has not ended (O3, O4); else null. The door check's last word, whatever the index or a stale Face API
    /// group says.
    /// </summary>
    public async Task<FacialEnrollmentRecord?> LiveEnrollmentAsync(string buildingId, string residentId, CancellationToken cancellationToken) =>
        (await LiveAsync(buildingId, residentId, cancellationToken).ConfigureAwait(false))?.Enrollment;

    /// <summary>As <see cref="LiveEnrollmentAsync"/>, with the resident record it was judged by (whose consent is live).</summary>
    public async Task<(ResidentRecord Resident, FacialEnrollmentRecord Enrollment)?> LiveAsync(string buildingId, string residentId, CancellationToken cancellationToken)
    {
        var resident = (await store.ReadAsync<ResidentRecord>(Containers.Residents, residentId, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document;
        if (resident is null || !resident.FacialEntryActive || resident.BuildingId != buildingId)
        {
            return null;
        }

        var enrollment = (await store.ReadAsync<FacialEnrollmentRecord>(Containers.Residents, residentId, FacialEnrollmentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document;
        return enrollment is not null && enrollment.UsableIn(buildingId) ? (resident, enrollment) : null;
    }
}
