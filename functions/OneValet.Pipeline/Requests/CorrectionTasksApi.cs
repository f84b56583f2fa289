using Microsoft.AspNetCore.Http;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Requests;

/// <summary>A correction request waiting for property management's answer (O11): what to change, for whom, by when.</summary>
public sealed record CorrectionTask(string RequestId, string SubjectId, string UnitId, string Field, string RequestedValue, string? Note, DateTimeOffset ReceivedAt, DateTimeOffset DueAt);

/// <summary>
/// Property management's task list (issue 20): the correction requests of one building that wait for its answer (O11),
/// soonest due first. Answered with <see cref="ApiRoutes.ResolveCorrection"/>. Read from the open-request index, so a
/// closed request never shows.
/// </summary>
public sealed class CorrectionTasksApi(IRecordStore store)
{
    public async Task<IResult> ListAsync(string buildingId, CancellationToken cancellationToken)
    {
        if (!UploadName.IsValidId(buildingId))
        {
            return Problems.BadRequest("Building ids are 1 to 64 characters of a-z, 0-9 and '-'.");
        }

        var tasks = new List<CorrectionTask>();
        string? continuation = null;
        do
        {
            var page = await store.QueryAsync<RequestIndexEntry>(Containers.Requests, "open", RecordQuery.All, 500, continuation, cancellationToken).ConfigureAwait(false);
            foreach (var entry in page.Items.Select(i => i.Document).Where(e => e.Type == RequestType.Correction))
            {
                var record = (await store.ReadAsync<PrivacyRequestRecord>(Containers.Requests, entry.RequestId, PrivacyRequestRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document;
                if (record is not { Status: RequestStatus.AwaitingPropertyManagement, SubjectId: { } subject, Correction: { } correction })
                {
                    continue;
                }

                var resident = (await store.ReadAsync<ResidentRecord>(Containers.Residents, subject, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document;
                if (resident is not null && resident.BuildingId == buildingId)
                {
                    tasks.Add(new CorrectionTask(record.RequestId, subject, resident.UnitId, correction.Field, correction.RequestedValue, correction.Note, record.ReceivedAt, record.EffectiveDueAt));
                }
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);

        return TypedResults.Json(tasks.OrderBy(t => t.DueAt).ThenBy(t => t.RequestId, StringComparer.Ordinal).ToList(), ApiJson.Options);
    }
}
