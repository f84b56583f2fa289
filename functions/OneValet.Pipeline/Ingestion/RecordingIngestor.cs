using System.Globalization;
using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Configuration;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Ingestion;

/// <summary>What became of one upload.</summary>
public enum IngestionResult
{
    /// <summary>A new catalogue record.</summary>
    Catalogued,

    /// <summary>Different bytes under a known name: recorded as a new version.</summary>
    NewVersion,

    /// <summary>Seen before (a redelivered event or an identical re-upload): nothing new written.</summary>
    AlreadyCatalogued,

    /// <summary>Refused: moved to the quarantine container with its reason, and audited.</summary>
    Quarantined,

    /// <summary>The blob is no longer there (already quarantined or deleted).</summary>
    Gone,

    /// <summary>The blob changed while it was read; its newer upload will be ingested on its own.</summary>
    Superseded,

    /// <summary>Content the deletion ledger says was deleted before (a restored blob): deleted again, audited (O7).</summary>
    Reenforced,
}

/// <summary>The outcome of one ingestion, with the reason code when quarantined.</summary>
public sealed record IngestionOutcome(IngestionResult Result, string? ReasonCode = null);

/// <summary>
/// Validates, hashes and catalogues one upload of the <c>recordings</c> container (O1, O2, O4). Called by the Functions app's
/// Event Grid blob trigger and by the local host's poller alike. Idempotent: a rerun finds its earlier output and stops.
/// </summary>
public sealed partial class RecordingIngestor(
    BlobServiceClient blobs,
    IRecordStore store,
    AuditLog audit,
    RetentionPolicy retention,
    RetentionSchedule schedule,
    DeletionLedger ledger,
    Faces.FacialEntryChecks facialEntryChecks,
    Media.MediaProbe media,
    PromptEnforcement prompt,
    Devices.DeviceRegistry devices,
    IOptions<IngestionOptions> ingestionOptions,
    IOptions<StorageOptions> storageOptions,
    TimeProvider time,
    ILogger<RecordingIngestor> logger)
{
    private const int MaxAttempts = 5;

    /// <summary>The quarantine reason of an upload the device registry does not vouch for (issue 16.3).</summary>
    public const string UnknownDevice = "unknown-device";
    private readonly IngestionOptions _options = ingestionOptions.Value;
    private readonly BlobContainerClient _recordings = blobs.GetBlobContainerClient(storageOptions.Value.RecordingsContainer);
    private readonly BlobContainerClient _quarantine = blobs.GetBlobContainerClient(storageOptions.Value.QuarantineContainer);

    /// <summary>Ingests the blob of that name. Bad uploads are quarantined, never dropped; nothing here throws for bad input.</summary>
    public Task<IngestionOutcome> IngestAsync(string blobName, CancellationToken cancellationToken) => IngestAsync(blobName, null, cancellationToken);

    /// <summary>Ingests the blob of that name; with a durable <paramref name="client"/>, an item whose deadline falls before
    /// the planner's next pass gets its bucket's timer at once (<see cref="PromptEnforcement"/>); one already due is
    /// enforced at once either way.</summary>
    public async Task<IngestionOutcome> IngestAsync(string blobName, Microsoft.DurableTask.Client.DurableTaskClient? client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blobName);
        for (var attempt = 1; ; attempt++)
        {
            var outcome = await IngestOnceAsync(blobName, client, cancellationToken).ConfigureAwait(false);
            if (outcome.Result != IngestionResult.Superseded || attempt == MaxAttempts)
            {
                return outcome;
            }
        }
    }

    private async Task<IngestionOutcome> IngestOnceAsync(string blobName, Microsoft.DurableTask.Client.DurableTaskClient? client, CancellationToken cancellationToken)
    {
        var blob = _recordings.GetBlobClient(blobName);
        BlobProperties properties;
        try
        {
            properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return new IngestionOutcome(IngestionResult.Gone);
        }

        var etag = properties.ETag.ToString();
        if (!UploadName.TryParse(blobName, out var name))
        {
            return await QuarantineAsync(client, blob, properties, "invalid-name", cancellationToken).ConfigureAwait(false);
        }

        // The catalogue is the receipt: a blob ETag already recorded means this exact upload was done.
        var existing = await store.ReadAsync<RecordingRecord>(Containers.Recordings, name.BuildingId, name.RecordId, cancellationToken).ConfigureAwait(false);
        if (existing is not null && existing.Document.Versions.Any(v => v.BlobETags.Contains(etag)))
        {
            if (Faces.FacialEntryChecks.NeedsCheck(existing.Document))
            {
                // Catalogued by a run that stopped before its Facial Entry check: finish it (O4).
                await facialEntryChecks.CheckAsync(name.BuildingId, name.RecordId, cancellationToken).ConfigureAwait(false);
            }

            return new IngestionOutcome(IngestionResult.AlreadyCatalogued);
        }

        var reason = CheckMetadata(properties, out var metadata);
        if (reason is not null)
        {
            return await QuarantineAsync(client, blob, properties, reason, cancellationToken).ConfigureAwait(false);
        }

        // Issue 16.3: the device the upload names must be registered, active, in the building and at the door of its
        // name; anything else (an unknown or retired console, a console of another building or door, a forged deviceid)
        // is refused and kept under its claimed rule like every refused upload (O1, O2, O4).
        if (_options.RegisteredDevicesOnly && !await devices.VouchesAsync(name.BuildingId, name.DoorId, metadata!.DeviceId, cancellationToken).ConfigureAwait(false))
        {
            return await QuarantineAsync(client, blob, properties, UnknownDevice, cancellationToken).ConfigureAwait(false);
        }

        var content = await HashAsync(blob, properties.ETag, name.Extension, cancellationToken).ConfigureAwait(false);
        if (content is null)
        {
            return new IngestionOutcome(IngestionResult.Superseded);
        }

        if (!content.MagicBytesMatch)
        {
            return await QuarantineAsync(client, blob, properties, "content-mismatch", cancellationToken).ConfigureAwait(false);
        }

        if (content.Length > _options.MaxBytes)
        {
            return await QuarantineAsync(client, blob, properties, "too-large", cancellationToken).ConfigureAwait(false);
        }

        // Decoder bombs: a size, frame count or duration over the limits (read from the header, nothing decoded) is
        // quarantined. A header that cannot be read is catalogued as before: whatever decodes it later checks again and
        // withholds it (undecodable).
        var check = await CheckMediaAsync(blob, properties.ETag, name.Extension, cancellationToken).ConfigureAwait(false);
        if (check is null)
        {
            return new IngestionOutcome(IngestionResult.Superseded);
        }

        if (check.ReasonCode is Media.MediaProbe.DimensionsTooLarge or Media.MediaProbe.TooLong)
        {
            return await QuarantineAsync(client, blob, properties, check.ReasonCode, cancellationToken).ConfigureAwait(false);
        }

        if ((existing is null || existing.Document.Versions.All(v => v.Sha256 != content.Sha256))
            && await ledger.WasDeletedAsync(name.BuildingId, name.RecordId, content.Sha256, cancellationToken).ConfigureAwait(false))
        {
            return await ReenforceAsync(blob, properties, name, cancellationToken).ConfigureAwait(false);
        }

        var written = new List<(ScheduleEntry Entry, BucketRecord Bucket)>(1);
        var result = await CatalogueAsync(name, metadata!, properties, content, existing, written, cancellationToken).ConfigureAwait(false);
        foreach (var (entry, bucket) in written)
        {
            // Deletion lag for every item: one already due (a late upload, a short rule) goes now, not at the next pass.
            await prompt.AfterWriteAsync(entry, bucket, client, cancellationToken).ConfigureAwait(false);
        }

        if (metadata!.Kind == RecordingKind.FacialEntry)
        {
            // Here, once catalogued (the record and its deadline exist first), not on a queue: one capture at a door is
            // small, the check needs its bytes and should be there when someone looks, and a failure throws, so the
            // trigger's retry (or the poller's next pass) finds the record catalogued and unchecked and runs it again.
            await facialEntryChecks.CheckAsync(name.BuildingId, name.RecordId, cancellationToken).ConfigureAwait(false);
        }

        LogIngested(logger, name.BuildingId, name.DoorId, name.CaptureId, result.Result);
        return result;
    }

    private string? CheckMetadata(BlobProperties properties, out UploadMetadata? metadata)
    {
        metadata = null;
        var values = new Dictionary<string, string>(properties.Metadata, StringComparer.OrdinalIgnoreCase);
        if (properties.ContentLength == 0)
        {
            return "empty";
        }

        if (properties.ContentLength > _options.MaxBytes)
        {
            return "too-large";
        }

        if (!values.TryGetValue("kind", out var kindText))
        {
            return "missing-kind";
        }

        RecordingKind kind;
        switch (kindText)
        {
            case "surveillance":
                kind = RecordingKind.Surveillance;
                break;
            case "facial-entry":
                kind = RecordingKind.FacialEntry;
                break;
            default:
                return "invalid-kind";
        }

        if (!values.TryGetValue("deviceid", out var deviceId))
        {
            return "missing-deviceid";
        }

        if (!UploadName.IsValidId(deviceId))
        {
            return "invalid-deviceid";
        }

        if (!values.TryGetValue("capturedat", out var capturedText))
        {
            return "missing-capturedat";
        }

        if (!TryParseUtc(capturedText, out var capturedAt))
        {
            return "invalid-capturedat";
        }

        var now = time.GetUtcNow();
        if (capturedAt > now + _options.ClockSkew)
        {
            return "captured-in-future";
        }

        if (capturedAt < now - _options.MaxAge)
        {
            return "capture-too-old";
        }

        metadata = new UploadMetadata(kind, deviceId, capturedAt);
        return null;
    }

    /// <summary>An RFC 3339 date-time with seconds and a <c>Z</c> or an offset, read as the API reads its query times
    /// (<see cref="Api.QueryTimes"/>): a local time with no offset is ambiguous and refused, and so are the other spellings
    /// .NET's lenient parser reads (<c>01/02/2026 00:00:00Z</c> was taken as 2 January, whatever the console meant, and the
    /// retention deadline counted from it).</summary>
    internal static bool TryParseUtc(string text, out DateTimeOffset value) => Api.QueryTimes.TryParse(text, out value);

    private static async Task<HashedContent?> HashAsync(BlobClient blob, ETag etag, string extension, CancellationToken cancellationToken)
    {
        BlobDownloadStreamingResult download;
        try
        {
            download = (await blob.DownloadStreamingAsync(
                new BlobDownloadOptions { Conditions = new BlobRequestConditions { IfMatch = etag } },
                cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return null;
        }

        using (download)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(81920);
            try
            {
                var head = new byte[12];
                var headLength = 0;
                long length = 0;
                int read;
                while ((read = await download.Content.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    if (headLength < head.Length)
                    {
                        var take = Math.Min(read, head.Length - headLength);
                        Array.Copy(buffer, 0, head, headLength, take);
                        headLength += take;
                    }

                    hash.AppendData(buffer, 0, read);
                    length += read;
                }

                return new HashedContent(
                    Convert.ToHexStringLower(hash.GetHashAndReset()),
                    length,
                    MagicBytes.Match(extension, head.AsSpan(0, headLength)));
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>The media check of the upload's header, read with small ranged reads of this very upload (its ETag); null
    /// when the blob changed or went meanwhile.</summary>
    private async Task<Media.MediaCheck?> CheckMediaAsync(BlobClient blob, ETag etag, string extension, CancellationToken cancellationToken)
    {
        try
        {
            var options = new BlobOpenReadOptions(allowModifications: false)
            {
                BufferSize = 64 * 1024,
                Conditions = new BlobRequestConditions { IfMatch = etag },
            };
            await using var stream = await blob.OpenReadAsync(options, cancellationToken).ConfigureAwait(false);
            return extension == "mp4"
                ? await media.CheckMp4Async(stream, cancellationToken).ConfigureAwait(false)
                : await media.CheckJpegAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return null;
        }
    }

    private async Task<IngestionOutcome> CatalogueAsync(
        UploadName name,
        UploadMetadata metadata,
        BlobProperties properties,
        HashedContent content,
        StoredRecord<RecordingRecord>? existing,
        List<(ScheduleEntry Entry, BucketRecord Bucket)> written,
        CancellationToken cancellationToken)
    {
        var etag = properties.ETag.ToString();
        var rule = retention.ForRecording(metadata.Kind, name.BuildingId);
        for (var attempt = 1; ; attempt++)
        {
            var now = time.GetUtcNow();
            try
            {
                if (existing is null)
                {
                    var version = NewVersion(1, metadata, properties, content, retention.Deadline(rule, metadata.CapturedAt, name.BuildingId), now);
                    var (entry, bucket) = await ScheduleAsync(name, metadata, version, rule, cancellationToken).ConfigureAwait(false);
                    await CatalogueEntryAsync(name, entry, bucket, etag, now, cancellationToken).ConfigureAwait(false);
                    await store.CreateAsync(Containers.Recordings, name.BuildingId, name.RecordId, NewRecord(name, metadata, content, rule, version), cancellationToken).ConfigureAwait(false);
                    written.Add((entry, bucket));
                    return new IngestionOutcome(IngestionResult.Catalogued);
                }

                var record = existing.Document;
                if (record.Versions.Any(v => v.BlobETags.Contains(etag)))
                {
                    return new IngestionOutcome(IngestionResult.AlreadyCatalogued);
                }

                var same = record.Versions.Count > 0 && record.Versions[^1].Sha256 == content.Sha256 ? record.Versions[^1] : null;
                if (same is not null)
                {
                    // An identical re-upload: remember its ETag as a receipt, write nothing else.
                    var versions = record.Versions.Select(v => v == same ? v with { BlobETags = [.. v.BlobETags, etag] } : v).ToList();
                    await store.ReplaceAsync(Containers.Recordings, name.BuildingId, name.RecordId, record with { Versions = versions }, existing.ETag, cancellationToken).ConfigureAwait(false);
                    return new IngestionOutcome(IngestionResult.AlreadyCatalogued);
                }

                var next = NewVersion(record.Versions.Max(v => v.Number) + 1, metadata, properties, content, retention.Deadline(rule, metadata.CapturedAt, name.BuildingId), now);
                var (nextEntry, nextBucket) = await ScheduleAsync(name, metadata, next, rule, cancellationToken).ConfigureAwait(false);
                await CatalogueEntryAsync(name, nextEntry, nextBucket, etag, now, cancellationToken).ConfigureAwait(false);
                var updated = NewRecord(name, metadata, content, rule, next) with
                {
                    CataloguedAt = record.CataloguedAt,
                    Versions = [.. record.Versions, next],
                };
                await store.ReplaceAsync(Containers.Recordings, name.BuildingId, name.RecordId, updated, existing.ETag, cancellationToken).ConfigureAwait(false);
                written.Add((nextEntry, nextBucket));
                return new IngestionOutcome(IngestionResult.NewVersion);
            }
            catch (Exception e) when (attempt < MaxAttempts && e is RecordConflictException or RecordPreconditionFailedException or RecordNotFoundException)
            {
                // Another worker wrote first: read again and decide again.
                existing = await store.ReadAsync<RecordingRecord>(Containers.Recordings, name.BuildingId, name.RecordId, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The deadline goes in before the record: a crash between leaves a deadline for bytes that are there anyway,
    /// never a record without its deadline.</summary>
    private async Task<(ScheduleEntry Entry, BucketRecord Bucket)> ScheduleAsync(UploadName name, UploadMetadata metadata, RecordingVersion version, RetentionRule rule, CancellationToken cancellationToken)
    {
        var entry = new ScheduleEntry
        {
            Kind = ItemKind.RecordingVersion,
            ItemPartition = name.BuildingId,
            ItemId = name.RecordId,
            Version = version.Number,
            BlobName = name.BlobName,
            Sha256 = version.Sha256,
            BuildingId = name.BuildingId,
            EventAt = metadata.CapturedAt,
            Category = metadata.Kind == RecordingKind.FacialEntry ? DataCategories.FacialEntryAuthentication : DataCategories.Sensory,
            Purpose = PurposeOf(metadata.Kind),
            Source = RecordingSource,
            Rule = rule,
            Deadline = version.Deadline,
        };
        return (entry, await schedule.AddAsync(entry, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>O1: the upload's one catalogue entry, after its deadline and before its record (fixed id: a rerun rewrites it).</summary>
    private Task CatalogueEntryAsync(UploadName name, ScheduleEntry entry, BucketRecord bucket, string etag, DateTimeOffset now, CancellationToken cancellationToken) =>
        audit.WriteAsync(AuditLog.IdFor(Catalogue.Action, name.BlobName, etag), Catalogue.Entry(
            $"{_recordings.Name}/{name.BlobName}",
            [CataloguedItem.Of(entry, bucket.Key)],
            string.Create(CultureInfo.InvariantCulture, $"version {entry.Version} stored under {entry.Rule.RuleId}"),
            now,
            now), cancellationToken);

    /// <summary>O1: where a recording comes from.</summary>
    public const string RecordingSource = "entry-console";

    /// <summary>O1: why a recording of that kind is kept (the policy's closed list).</summary>
    public static string PurposeOf(RecordingKind kind) => kind == RecordingKind.FacialEntry ? "keyless entry authentication" : "building security at a public access door";

    /// <summary>O7: bytes the ledger says were deleted came back (a restored blob): delete them again and say so.</summary>
    private async Task<IngestionOutcome> ReenforceAsync(BlobClient blob, BlobProperties properties, UploadName name, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await audit.WriteAsync(AuditLog.IdFor("reenforced", blob.Name, properties.ETag.ToString()), new AuditRecord
        {
            Action = "deleted",
            ItemRef = $"{_recordings.Name}/{name.BlobName}",
            Obligation = "O7",
            Outcome = "completed",
            How = "re-enforced: a restored blob whose content the deletion ledger lists as deleted",
            At = properties.LastModified,
            DoneAt = now,
        }, cancellationToken).ConfigureAwait(false);
        try
        {
            await blob.DeleteAsync(DeleteSnapshotsOption.IncludeSnapshots, new BlobRequestConditions { IfMatch = properties.ETag }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
        }

        return new IngestionOutcome(IngestionResult.Reenforced);
    }

    private static RecordingVersion NewVersion(int number, UploadMetadata metadata, BlobProperties properties, HashedContent content, DateTimeOffset deadline, DateTimeOffset now) =>
        new(number, content.Sha256, content.Length, metadata.CapturedAt, metadata.DeviceId, now, deadline, properties.VersionId, [properties.ETag.ToString()]);

    private static RecordingRecord NewRecord(UploadName name, UploadMetadata metadata, HashedContent content, RetentionRule rule, RecordingVersion version)
    {
        var facial = metadata.Kind == RecordingKind.FacialEntry;
        return new RecordingRecord
        {
            BuildingId = name.BuildingId,
            DoorId = name.DoorId,
            CaptureId = name.CaptureId,
            BlobName = name.BlobName,
            Kind = metadata.Kind,
            DeviceId = metadata.DeviceId,
            CapturedAt = metadata.CapturedAt,
            SizeBytes = content.Length,
            Sha256 = content.Sha256,
            ContentType = name.Extension == "mp4" ? "video/mp4" : "image/jpeg",
            DataCategory = facial ? DataCategories.FacialEntryAuthentication : DataCategories.Sensory,
            Purpose = PurposeOf(metadata.Kind),
            Source = RecordingSource,
            Retention = rule,
            Deadline = version.Deadline,
            Status = RecordingStatus.Catalogued,
            CataloguedAt = version.CataloguedAt,
            Versions = [version],
        };
    }

    /// <summary>Moves a refused upload to the quarantine container with its reason in the metadata, audits it, then
    /// removes the original (only if it is still the same upload). Safe to rerun at any point.</summary>
    private async Task<IngestionOutcome> QuarantineAsync(Microsoft.DurableTask.Client.DurableTaskClient? client, BlobClient blob, BlobProperties properties, string reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var target = _quarantine.GetBlobClient(blob.Name);
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in properties.Metadata)
        {
            metadata[key] = value;
        }

        metadata["quarantinereason"] = reason;
        metadata["quarantinedat"] = now.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

        // Catalogued under the rule of what it claims to be, deadline first (O1, O2, O4): nothing sits in quarantine that
        // the retention engine cannot find.
        var record = Quarantined(blob.Name, properties, reason, now);
        var entry = new ScheduleEntry
        {
            Kind = ItemKind.QuarantinedUpload,
            ItemPartition = QuarantinedUpload.PartitionFor(record.BuildingId),
            ItemId = QuarantinedUpload.IdFor(blob.Name),
            BlobName = blob.Name,
            BuildingId = record.BuildingId ?? "unknown",
            EventAt = record.StartedAt,
            Category = record.DataCategory,
            Purpose = record.Purpose,
            Source = record.Source,
            Rule = record.Retention,
            Deadline = record.Deadline,
        };
        var bucket = await schedule.AddAsync(entry, cancellationToken).ConfigureAwait(false);
        await store.UpsertAsync(Containers.Recordings, QuarantinedUpload.PartitionFor(record.BuildingId), QuarantinedUpload.IdFor(blob.Name), record, cancellationToken).ConfigureAwait(false);
        try
        {
            var source = await blob.DownloadStreamingAsync(
                new BlobDownloadOptions { Conditions = new BlobRequestConditions { IfMatch = properties.ETag } },
                cancellationToken).ConfigureAwait(false);
            using (source.Value)
            {
                await target.UploadAsync(source.Value.Content, new BlobUploadOptions
                {
                    Metadata = metadata,
                    HttpHeaders = new BlobHttpHeaders { ContentType = properties.ContentType },
                }, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return new IngestionOutcome(IngestionResult.Superseded);
        }

        await audit.WriteAsync(AuditLog.IdFor("quarantined", blob.Name, properties.ETag.ToString()), new AuditRecord
        {
            Action = "quarantined",
            ItemRef = $"{_recordings.Name}/{blob.Name}",
            Category = record.DataCategory,
            Purpose = record.Purpose,
            Source = record.Source,
            Catalogued = [CataloguedItem.Of(entry, bucket.Key)],
            RuleId = record.Retention.RuleId,
            Obligation = record.Retention.Obligation,
            Deadline = record.Deadline,
            ReasonCode = reason,
            How = $"moved to {_quarantine.Name}",
            At = properties.LastModified,
            DoneAt = now,
        }, cancellationToken).ConfigureAwait(false);

        try
        {
            await blob.DeleteAsync(DeleteSnapshotsOption.IncludeSnapshots, new BlobRequestConditions { IfMatch = properties.ETag }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // Already gone, or replaced by a newer upload that is ingested on its own.
        }

        await prompt.AfterWriteAsync(entry, bucket, client, cancellationToken).ConfigureAwait(false);
        LogQuarantined(logger, reason);
        return new IngestionOutcome(IngestionResult.Quarantined, reason);
    }

    /// <summary>The quarantine record of a refused upload: what it claims, and the rule and deadline of that claim.</summary>
    private QuarantinedUpload Quarantined(string blobName, BlobProperties properties, string reason, DateTimeOffset now)
    {
        var (building, door, kind, capturedAt) = QuarantinedUpload.Claims(blobName, properties.Metadata);
        var rule = retention.ForQuarantined(kind, building);
        var uploadedAt = properties.LastModified < now ? properties.LastModified : now;
        var start = capturedAt is { } claimed && claimed < uploadedAt ? claimed : uploadedAt;
        return new QuarantinedUpload
        {
            BlobName = blobName,
            ReasonCode = reason,
            QuarantinedAt = now,
            UploadedAt = uploadedAt,
            ClaimedCapturedAt = capturedAt,
            ClaimedKind = kind switch
            {
                RecordingKind.FacialEntry => "facial-entry",
                RecordingKind.Surveillance => "surveillance",
                _ => "unknown",
            },
            BuildingId = building,
            DoorId = door,
            SizeBytes = properties.ContentLength,
            DataCategory = kind == RecordingKind.FacialEntry || (kind is null && rule.Obligation == "O4") ? DataCategories.FacialEntryAuthentication : DataCategories.Sensory,
            Purpose = "data security: a refused upload kept for its fault to be found, then deleted",
            Source = "entry-console",
            Retention = rule,
            Deadline = retention.Deadline(rule, start, building ?? string.Empty),
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingested recording {BuildingId}/{DoorId}/{CaptureId}: {Result}")]
    private static partial void LogIngested(ILogger logger, string buildingId, string doorId, string captureId, IngestionResult result);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quarantined an upload: {ReasonCode}")]
    private static partial void LogQuarantined(ILogger logger, string reasonCode);

    private sealed record UploadMetadata(RecordingKind Kind, string DeviceId, DateTimeOffset CapturedAt);

    private sealed record HashedContent(string Sha256, long Length, bool MagicBytesMatch);
}

/// <summary>The first bytes each accepted format must start with.</summary>
public static class MagicBytes
{
    /// <summary>JPEG starts FF D8 FF; MP4 (ISO BMFF) has "ftyp" at offset 4.</summary>
    public static bool Match(string extension, ReadOnlySpan<byte> head) => extension switch
    {
        "jpg" => head.Length >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF,
        "mp4" => head.Length >= 8 && head[4] == (byte)'f' && head[5] == (byte)'t' && head[6] == (byte)'y' && head[7] == (byte)'p',
        _ => false,
    };
}
