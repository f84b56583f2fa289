using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Configuration;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Retention;

/// <summary>
/// Deletes one item of each kind, completely: the blob with all its versions and snapshots, the record, and what was
/// derived from it. Idempotent: an item already gone is reported as such, so a rerun after a crash finishes the job.
/// </summary>
public sealed class ItemDeleter(BlobServiceClient blobs, IRecordStore store, IOptions<StorageOptions> storageOptions, Faces.FaceVerifier faces, Faces.FacialEntryIndex facialEntryIndex, Requests.ResidentEmailIndex emailIndex, Residents.ServiceChanges serviceChanges, TimeProvider time)
{
    private readonly BlobContainerClient _recordings = blobs.GetBlobContainerClient(storageOptions.Value.RecordingsContainer);
    private readonly BlobContainerClient _anonymized = blobs.GetBlobContainerClient(storageOptions.Value.AnonymizedContainer);
    private readonly BlobContainerClient _quarantine = blobs.GetBlobContainerClient(storageOptions.Value.QuarantineContainer);
    private readonly BlobContainerClient _facialReferences = blobs.GetBlobContainerClient(storageOptions.Value.FacialReferencesContainer);
    private readonly BlobContainerClient _requestDocuments = blobs.GetBlobContainerClient(storageOptions.Value.RequestDocumentsContainer);

    /// <summary>Deletes the item an entry governs and says how.</summary>
    public Task<string> DeleteAsync(ScheduleEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.Kind switch
        {
            ItemKind.RecordingVersion => DeleteRecordingVersionAsync(entry, cancellationToken),
            ItemKind.DoorEvent => DeleteRecordAsync(Containers.DoorEvents, entry, cancellationToken),
            ItemKind.FacialEnrollment => DeleteFacialEnrollmentAsync(entry, cancellationToken),
            ItemKind.Incident => DeleteIncidentAsync(entry, cancellationToken),
            ItemKind.PrivacyRequest => DeleteRequestAsync(entry, cancellationToken),
            ItemKind.Export => DeleteExportAsync(entry, cancellationToken),
            ItemKind.RequestIdentity => MinimizeRequestAsync(entry, cancellationToken),
            ItemKind.ResidentIdentifiers => AnonymizeResidentAsync(entry, cancellationToken),
            ItemKind.AnonymizedFootage => DeleteAnonymizedFootageAsync(entry, cancellationToken),
            ItemKind.QuarantinedUpload => DeleteQuarantinedAsync(entry, cancellationToken),
            ItemKind.FaceApiPerson => DeleteFaceApiPersonAsync(entry, cancellationToken),
            ItemKind.Disclosure => DeleteRecordAsync(Containers.Disclosures, entry, cancellationToken),
            ItemKind.Delivery => DeleteRecordAsync(Containers.Deliveries, entry, cancellationToken),
            ItemKind.AuditDay => DeleteAuditDayAsync(entry, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(entry), entry.Kind, "Unknown item kind."),
        };
    }

    /// <summary>The documents a request brought (an agent's signed permission, O10): they go with its record (O18).</summary>
    private async Task<int> DeleteRequestDocumentsAsync(string requestId, CancellationToken cancellationToken)
    {
        var documents = new List<string>();
        await foreach (var item in _requestDocuments.GetBlobsAsync(BlobTraits.None, BlobStates.None, requestId + "/", cancellationToken).ConfigureAwait(false))
        {
            documents.Add(item.Name);
        }

        foreach (var name in documents)
        {
            await DeleteBlobEverywhereAsync(_requestDocuments, name, cancellationToken).ConfigureAwait(false);
        }

        return documents.Count;
    }

    private async Task<string> DeleteRecordAsync(string container, ScheduleEntry entry, CancellationToken cancellationToken) =>
        await store.DeleteAsync(container, entry.ItemPartition, entry.ItemId, cancellationToken).ConfigureAwait(false)
            ? "record deleted"
            : "already gone";

    /// <summary>
    /// O5: a Facial Entry enrollment is reference data in up to three places: the Face API person (with its face), the
    /// stored reference image (where no Face API runs), and the record. Its use stops first (the building's index entry),
    /// the record goes last (it is how a rerun finds the rest). The answer names what was deleted, never whose.
    /// </summary>
    private async Task<string> DeleteFacialEnrollmentAsync(ScheduleEntry entry, CancellationToken cancellationToken)
    {
        var residentId = entry.ItemPartition;
        var stored = await store.ReadAsync<Residents.FacialEnrollmentRecord>(Containers.Residents, residentId, entry.ItemId, cancellationToken).ConfigureAwait(false);
        foreach (var building in new[] { entry.BuildingId, stored?.Document.BuildingId }.OfType<string>().Where(b => UploadName.IsValidId(b)).Distinct(StringComparer.Ordinal))
        {
            await facialEntryIndex.RemoveAsync(building, residentId, cancellationToken).ConfigureAwait(false);
        }

        if (stored is null)
        {
            return "already gone";
        }

        var enrollment = stored.Document;
        var deleted = new List<string>();
        if (enrollment.FacePersonId is { } person)
        {
            if (!faces.IsConfigured)
            {
                // Never report reference data deleted that is still held by the Face API: the entry stays pending.
                throw new InvalidOperationException("A Facial Entry enrollment has a Face API person but no Face API is configured (OneValet:Faces:Endpoint); it cannot be deleted here.");
            }

            deleted.Add(await faces.DeletePersonAsync(enrollment.BuildingId, Guid.Parse(person), cancellationToken).ConfigureAwait(false) ? "face-api-person" : "face-api-person (already gone)");
        }

        if (enrollment.ReferenceBlobName is { Length: > 0 } blobName)
        {
            var blob = await _facialReferences.GetBlobClient(blobName).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken).ConfigureAwait(false);
            deleted.Add(blob.Value ? "reference-blob" : "reference-blob (already gone)");
        }

        await store.DeleteAsync(Containers.Residents, residentId, entry.ItemId, cancellationToken).ConfigureAwait(false);
        deleted.Add("enrollment-record");

        // The resident may have moved building since enrolling: the index entry of their building now goes too.
        await facialEntryIndex.SyncAsync(residentId, cancellationToken).ConfigureAwait(false);
        return "deleted: " + string.Join(", ", deleted);
    }

    /// <summary>
    /// O3: an ended enrollment leaves identification: its Face API person is deleted from the group of the building it was
    /// enrolled in (<see cref="ScheduleEntry.BuildingId"/>) and the group retrained. The enrollment record is marked ended
    /// if it was not yet (a crash between the entry and the mark); the record and any stored image wait for the O5 deadline.
    /// </summary>
    private async Task<string> DeleteFaceApiPersonAsync(ScheduleEntry entry, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(entry.ItemId, out var personId))
        {
            throw new InvalidOperationException("A Face API person entry does not name a person id.");
        }

        if (!faces.IsConfigured)
        {
            // Never report a person deleted that the Face API still holds: the entry stays pending.
            throw new InvalidOperationException("A Face API person is due for removal but no Face API is configured (OneValet:Faces:Endpoint).");
        }

        var deleted = await faces.DeletePersonAsync(entry.BuildingId, personId, cancellationToken).ConfigureAwait(false);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var stored = await store.ReadAsync<Residents.FacialEnrollmentRecord>(Containers.Residents, entry.ItemPartition, Residents.FacialEnrollmentRecord.DocumentId, cancellationToken).ConfigureAwait(false);
            if (stored is null || stored.Document.EndedAt is not null || stored.Document.FacePersonId != entry.ItemId)
            {
                break;
            }

            try
            {
                await store.ReplaceAsync(Containers.Residents, entry.ItemPartition, stored.Id, stored.Document with { EndedAt = entry.Deadline }, stored.ETag, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (RecordPreconditionFailedException)
            {
            }
        }

        await facialEntryIndex.SyncAsync(entry.ItemPartition, cancellationToken).ConfigureAwait(false);
        return deleted
            ? "removed from identification: face-api-person deleted, group retrained"
            : "removed from identification: face-api-person already gone";
    }

    /// <summary>
    /// A resident's identifiers (O9, O7): name, email and phone removed, any Facial Entry consent ended; the record stays as
    /// a pseudonymous id (so the occupancy history and the audit still add up) but no longer identifies the person.
    /// </summary>
    private async Task<string> AnonymizeResidentAsync(ScheduleEntry entry, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var stored = await store.ReadAsync<Residents.ResidentRecord>(Containers.Residents, entry.ItemPartition, Residents.ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                return "already gone";
            }

            var resident = stored.Document;
            if (resident.Email == Residents.ResidentRecord.AnonymizedEmail && resident.Name is null && resident.Phone is null)
            {
                return "identifiers already anonymized";
            }

            var now = time.GetUtcNow();
            try
            {
                var anonymized = resident with
                {
                    Email = Residents.ResidentRecord.AnonymizedEmail,
                    Name = null,
                    Phone = null,
                    FacialEntry = resident.FacialEntry is null ? null : resident.FacialEntry with { WithdrawnAt = resident.FacialEntry.WithdrawnAt ?? now },
                };
                await store.ReplaceAsync(Containers.Residents, entry.ItemPartition, Residents.ResidentRecord.DocumentId, anonymized, stored.ETag, cancellationToken).ConfigureAwait(false);
                await serviceChanges.RecordAsync(entry.ItemPartition, resident, anonymized, "deletion", now, cancellationToken).ConfigureAwait(false);
                await facialEntryIndex.SyncAsync(entry.ItemPartition, cancellationToken).ConfigureAwait(false);

                // The email index loses the entry too: the address no longer finds this pseudonymous record.
                await emailIndex.SyncAsync(resident, anonymized, cancellationToken).ConfigureAwait(false);
                return "identifiers anonymized (name, email, phone removed; the pseudonymous id remains)";
            }
            catch (RecordPreconditionFailedException)
            {
            }
        }

        throw new InvalidOperationException("A resident kept changing while their identifiers were anonymized.");
    }

    /// <summary>
    /// A day of the audit trail: the partition's entries written up to the end of the day the entry names (its id,
    /// <c>written-yyyy-MM-dd</c>); entries written later into the same partition wait for their own day's entry.
    /// </summary>
    private async Task<string> DeleteAuditDayAsync(ScheduleEntry entry, CancellationToken cancellationToken)
    {
        var writtenDay = entry.ItemId.StartsWith(Auditing.AuditLog.WrittenPrefix, StringComparison.Ordinal)
            && DateTimeOffset.TryParseExact(entry.ItemId[Auditing.AuditLog.WrittenPrefix.Length..], "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var day)
            ? day
            : throw new InvalidOperationException("An audit-day schedule entry has a malformed id.");
        var query = RecordQuery.Where(new FieldCondition("doneAt", FieldOperator.LessThan, System.Text.Json.Nodes.JsonValue.Create(RecordJson.Timestamp(writtenDay.AddDays(1)))));
        var deleted = 0;
        RecordPage<System.Text.Json.Nodes.JsonObject> page;
        do
        {
            page = await store.QueryAsync<System.Text.Json.Nodes.JsonObject>(Containers.Audit, entry.ItemPartition, query, 500, null, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                deleted += await store.DeleteAsync(Containers.Audit, entry.ItemPartition, item.Id, cancellationToken).ConfigureAwait(false) ? 1 : 0;
            }
        }
        while (page.Items.Count > 0);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"audit entries of the day written by its end: {deleted} deleted");
    }

    private async Task<string> DeletePartitionAsync(string container, string partition, string what, CancellationToken cancellationToken)
    {
        var deleted = 0;
        RecordPage<System.Text.Json.Nodes.JsonObject> page;
        do
        {
            page = await store.QueryAsync<System.Text.Json.Nodes.JsonObject>(container, partition, RecordQuery.All, 500, null, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                deleted += await store.DeleteAsync(container, partition, item.Id, cancellationToken).ConfigureAwait(false) ? 1 : 0;
            }
        }
        while (page.Items.Count > 0);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{what}: {deleted} documents deleted");
    }

    /// <summary>
    /// O18: a request's record after its 24 months, with everything that points at it: its entries in the month, subject,
    /// open and de-duplication indexes first (the record is how a rerun finds them), then its own partition.
    /// </summary>
    private async Task<string> DeleteRequestAsync(ScheduleEntry entry, CancellationToken cancellationToken)
    {
        var requestId = entry.ItemPartition;
        var record = (await store.ReadAsync<Requests.PrivacyRequestRecord>(Containers.Requests, requestId, Requests.PrivacyRequestRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document;
        var indexes = 0;
        var partitions = new List<string> { "open" };
        if (record is not null)
        {
            partitions.Add(Requests.PrivacyRequestService.ReceivedPartition(record.ReceivedAt));
        }

        if ((record?.SubjectId ?? entry.SubjectId) is { } subject)
        {
            partitions.Add("subject-" + subject);
        }

        foreach (var partition in partitions)
        {
            indexes += await store.DeleteAsync(Containers.Requests, partition, requestId, cancellationToken).ConfigureAwait(false) ? 1 : 0;
        }

        indexes += await DeleteDedupeEntriesAsync(requestId, cancellationToken).ConfigureAwait(false);
        var documents = await DeleteRequestDocumentsAsync(requestId, cancellationToken).ConfigureAwait(false);
        var own = await DeletePartitionAsync(Containers.Requests, requestId, "request record", cancellationToken).ConfigureAwait(false);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{own}; index entries (month, subject, open, de-duplication): {indexes} deleted; {documents} request document(s) deleted");
    }

    /// <summary>The intake's de-duplication entries of a request (keyed hashes of what was given): one partition query.</summary>
    private async Task<int> DeleteDedupeEntriesAsync(string requestId, CancellationToken cancellationToken)
    {
        var deleted = 0;
        var query = RecordQuery.Where(new FieldCondition("requestId", FieldOperator.Equal, System.Text.Json.Nodes.JsonValue.Create(requestId)));
        RecordPage<Requests.RequestIndexEntry> page;
        do
        {
            page = await store.QueryAsync<Requests.RequestIndexEntry>(Containers.Requests, "dedupe", query, 100, null, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                deleted += await store.DeleteAsync(Containers.Requests, "dedupe", item.Id, cancellationToken).ConfigureAwait(false) ? 1 : 0;
            }
        }
        while (page.Items.Count > 0);
        return deleted;
    }

    /// <summary>
    /// O18: a closed request's identity data goes soon after it closes: the email given, the agent's details and the
    /// correction's values on the record, property management's correction note (its outcome is on the record), and the
    /// intake's de-duplication entries (keyed hashes of the address given, needed only for minutes).
    /// </summary>
    private async Task<string> MinimizeRequestAsync(ScheduleEntry entry, CancellationToken cancellationToken)
    {
        var note = await store.DeleteAsync(Containers.Requests, entry.ItemPartition, Requests.PrivacyRequestService.CorrectionAnswerId, cancellationToken).ConfigureAwait(false);
        var dedupe = await DeleteDedupeEntriesAsync(entry.ItemPartition, cancellationToken).ConfigureAwait(false);

        // A visitor's photo (Requests/VisitorPhotos) is kept only until the request closes: it goes here, with the identity
        // data, before the record says so. The audit entry's how names what, never whose.
        var photoName = Requests.VisitorPhotos.BlobNameFor(entry.ItemPartition);
        var photo = (await _requestDocuments.GetBlobClient(photoName).ExistsAsync(cancellationToken).ConfigureAwait(false)).Value;
        if (photo)
        {
            await DeleteBlobEverywhereAsync(_requestDocuments, photoName, cancellationToken).ConfigureAwait(false);
        }

        var extra = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"; correction note: {(note ? "deleted" : "none")}; de-duplication entries: {dedupe} deleted; visitor photo: {(photo ? "deleted" : "none")}");
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var stored = await store.ReadAsync<Requests.PrivacyRequestRecord>(Containers.Requests, entry.ItemPartition, entry.ItemId, cancellationToken).ConfigureAwait(false);
            if (stored is null || stored.Document.MinimizedAt is not null)
            {
                return "already minimized" + extra;
            }

            try
            {
                await store.ReplaceAsync(Containers.Requests, entry.ItemPartition, entry.ItemId, Requests.PrivacyRequestService.Minimize(stored.Document, time.GetUtcNow()), stored.ETag, cancellationToken).ConfigureAwait(false);
                return "identity data of the closed request removed (email given, agent's details, correction values)" + extra;
            }
            catch (RecordPreconditionFailedException)
            {
            }
        }

        throw new InvalidOperationException("A request kept changing while it was minimized.");
    }

    private async Task<string> DeleteExportAsync(ScheduleEntry entry, CancellationToken cancellationToken) =>
        entry.BlobName is { Length: > 0 } name
            && (await blobs.GetBlobContainerClient(storageOptions.Value.ExportsContainer).GetBlobClient(name).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken).ConfigureAwait(false)).Value
            ? "export blob deleted"
            : "already gone";

    /// <summary>The incident's delivery records (its campaign's partition), then its own partition (record, fan-out pages),
    /// then its entry in the list of incidents.</summary>
    private async Task<string> DeleteIncidentAsync(ScheduleEntry entry, CancellationToken cancellationToken)
    {
        var done = await DeletePartitionAsync(Containers.Deliveries, "breach-" + entry.ItemPartition, "delivery records", cancellationToken).ConfigureAwait(false)
            + "; " + await DeletePartitionAsync(Containers.Incidents, entry.ItemPartition, "incident record and fan-out pages", cancellationToken).ConfigureAwait(false);
        var listed = await store.DeleteAsync(Containers.Incidents, Breaches.IncidentsApi.IndexPartition, entry.ItemPartition, cancellationToken).ConfigureAwait(false);
        return done + (listed ? "; list entry deleted" : "");
    }

    private async Task<string> DeleteRecordingVersionAsync(ScheduleEntry entry, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var stored = await store.ReadAsync<RecordingRecord>(Containers.Recordings, entry.ItemPartition, entry.ItemId, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                // The record goes last, so a missing record means the blob went before it; make sure of it anyway.
                if (entry.BlobName is { Length: > 0 } blobName)
                {
                    await DeleteBlobEverywhereAsync(blobName, cancellationToken).ConfigureAwait(false);
                }

                return "already gone";
            }

            var record = stored.Document;
            var version = record.Versions.FirstOrDefault(v => v.Number == entry.Version);
            var remaining = record.Versions.Where(v => v.Number != entry.Version).ToList();
            try
            {
                if (remaining.Count == 0)
                {
                    await DeleteBlobEverywhereAsync(record.BlobName, cancellationToken).ConfigureAwait(false);
                    await store.DeleteAsync(Containers.Recordings, entry.ItemPartition, entry.ItemId, cancellationToken).ConfigureAwait(false);
                    return "blob (all versions and snapshots) and catalogue record deleted";
                }

                if (version is null)
                {
                    return "already gone";
                }

                // Other versions are still within their rule: delete this version's bytes only, and drop it from the record.
                if (version.BlobVersionId is { Length: > 0 } versionId)
                {
                    try
                    {
                        await _recordings.GetBlobClient(record.BlobName).WithVersion(versionId).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                    }
                    catch (RequestFailedException e) when (e.Status is 400 or 403)
                    {
                        // 400: an emulator without versioning (the older bytes were overwritten already). 403: least
                        // privilege in Azure; the lifecycle rule removes previous versions within 3 days.
                    }
                }

                var current = remaining[^1];
                var updated = record with
                {
                    Versions = remaining,
                    Sha256 = current.Sha256,
                    SizeBytes = current.SizeBytes,
                    CapturedAt = current.CapturedAt,
                    DeviceId = current.DeviceId,
                    Deadline = current.Deadline,
                };
                await store.ReplaceAsync(Containers.Recordings, entry.ItemPartition, entry.ItemId, updated, stored.ETag, cancellationToken).ConfigureAwait(false);
                return "blob version deleted; later versions kept under their own deadlines";
            }
            catch (RecordPreconditionFailedException)
            {
                // A new version arrived meanwhile: decide again on the fresh record.
            }
        }

        throw new InvalidOperationException("A recording kept changing while its version was deleted.");
    }

    /// <summary>
    /// The blurred form of anonymized footage: its blob in the anonymized container, then the record, unless a new upload
    /// under the same name made the record current again (then only the anonymized version leaves it).
    /// </summary>
    private async Task<string> DeleteAnonymizedFootageAsync(ScheduleEntry entry, CancellationToken cancellationToken)
    {
        if (entry.BlobName is { Length: > 0 } blobName)
        {
            await DeleteBlobEverywhereAsync(_anonymized, blobName, cancellationToken).ConfigureAwait(false);
        }

        for (var attempt = 0; attempt < 10; attempt++)
        {
            var stored = await store.ReadAsync<RecordingRecord>(Containers.Recordings, entry.ItemPartition, entry.ItemId, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                return "anonymized blob deleted; catalogue record already gone";
            }

            try
            {
                if (stored.Document.Status == RecordingStatus.Anonymized)
                {
                    await store.DeleteAsync(Containers.Recordings, entry.ItemPartition, entry.ItemId, cancellationToken).ConfigureAwait(false);
                    return "anonymized blob (all versions and snapshots) and catalogue record deleted";
                }

                var remaining = stored.Document.Versions.Where(v => v.Number != entry.Version).ToList();
                if (remaining.Count != stored.Document.Versions.Count)
                {
                    await store.ReplaceAsync(Containers.Recordings, entry.ItemPartition, entry.ItemId, stored.Document with { Versions = remaining }, stored.ETag, cancellationToken).ConfigureAwait(false);
                }

                return "anonymized blob deleted; the recording's later upload is kept under its own deadline";
            }
            catch (RecordPreconditionFailedException)
            {
            }
        }

        throw new InvalidOperationException("A recording kept changing while its anonymized form was deleted.");
    }

    /// <summary>A quarantined upload: its blob in the quarantine container (every version and snapshot), then its record.</summary>
    private async Task<string> DeleteQuarantinedAsync(ScheduleEntry entry, CancellationToken cancellationToken)
    {
        var existed = entry.BlobName is { Length: > 0 } blobName
            && (await _quarantine.GetBlobClient(blobName).ExistsAsync(cancellationToken).ConfigureAwait(false)).Value;
        if (entry.BlobName is { Length: > 0 } name)
        {
            await DeleteBlobEverywhereAsync(_quarantine, name, cancellationToken).ConfigureAwait(false);
        }

        var record = await store.DeleteAsync(Containers.Recordings, entry.ItemPartition, entry.ItemId, cancellationToken).ConfigureAwait(false);
        return (existed, record) switch
        {
            (true, true) => "quarantined blob (all versions and snapshots) and its quarantine record deleted",
            (true, false) => "quarantined blob deleted; its record was already gone",
            (false, true) => "quarantine record deleted; the blob was already gone",
            _ => "already gone",
        };
    }

    /// <summary>The current blob of a recording, its snapshots, and every older version where the account keeps versions.</summary>
    internal Task DeleteBlobEverywhereAsync(string blobName, CancellationToken cancellationToken) =>
        DeleteBlobEverywhereAsync(_recordings, blobName, cancellationToken);

    private static async Task DeleteBlobEverywhereAsync(BlobContainerClient container, string blobName, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var item in container.GetBlobsAsync(BlobTraits.None, BlobStates.Version | BlobStates.Snapshots, blobName, cancellationToken).ConfigureAwait(false))
            {
                if (item.Name != blobName || item.VersionId is null || item.IsLatestVersion == true)
                {
                    continue;
                }

                await container.GetBlobClient(blobName).WithVersion(item.VersionId).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
        catch (RequestFailedException e) when (e.Status is 400 or 501)
        {
            // The emulator keeps no versions: there is nothing older to delete.
        }
        catch (RequestFailedException e) when (e.Status == 403)
        {
            // Least privilege: Storage Blob Data Contributor may not delete versions. In Azure the lifecycle rule removes
            // previous versions within 3 days (bicep/modules/dataStorage.bicep), which the TDPA periods allow for.
        }

        await container.GetBlobClient(blobName).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
