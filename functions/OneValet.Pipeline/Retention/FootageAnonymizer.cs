using System.Globalization;
using System.Security.Cryptography;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Configuration;
using OneValet.Pipeline.Faces;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Retention;

/// <summary>What an anonymization did: how (for the audit), and whether the footage was anonymized or deleted instead.</summary>
public sealed record AnonymizationOutcome(string How, bool Anonymized);

/// <summary>
/// Anonymize-by-blur (O2, O7; the policy's "deleted or anonymized"): at its deadline, footage under an
/// <see cref="RetentionAction.Anonymize"/> rule is replaced by its fully blurred form: every face blurred, nobody kept. In
/// order, each step safe to repeat: the blurred form is written to the anonymized container (same blob name; never to
/// <c>recordings</c>, where it would pass for a new upload); its own deadline is scheduled
/// (<see cref="RetentionPolicy.ForAnonymizedFootage"/>); the record becomes <see cref="RecordingStatus.Anonymized"/> with the
/// blurred form's hash and size (the original's hash stays only in the deletion ledger, which is how a restored original is
/// recognised and deleted again); then the original blob goes with all its versions and snapshots. A crash anywhere leaves
/// the schedule entry pending, and the next pass finishes: a record already <see cref="RecordingStatus.Anonymized"/> only has
/// its original removed. Footage that cannot be blurred (undecodable, or too slow) is deleted instead: the original is never
/// kept past its deadline.
/// </summary>
public sealed class FootageAnonymizer(
    BlobServiceClient blobs,
    IRecordStore store,
    BlobRedaction redaction,
    ItemDeleter deleter,
    RetentionSchedule schedule,
    RetentionPolicy policy,
    IOptions<StorageOptions> storageOptions,
    IOptions<RetentionOptions> options)
{
    private readonly BlobContainerClient _recordings = blobs.GetBlobContainerClient(storageOptions.Value.RecordingsContainer);
    private readonly BlobContainerClient _anonymized = blobs.GetBlobContainerClient(storageOptions.Value.AnonymizedContainer);
    private bool _containerReady;

    /// <summary>Whether an entry is anonymized rather than deleted: a recording version under an Anonymize rule.</summary>
    public static bool Applies(ScheduleEntry entry) =>
        entry is { Kind: ItemKind.RecordingVersion, Rule.Action: RetentionAction.Anonymize };

    public async Task<AnonymizationOutcome> AnonymizeAsync(ScheduleEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var stored = await store.ReadAsync<RecordingRecord>(Containers.Recordings, entry.ItemPartition, entry.ItemId, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                return new AnonymizationOutcome(await deleter.DeleteAsync(entry, cancellationToken).ConfigureAwait(false), false);
            }

            var record = stored.Document;
            if (record.Status == RecordingStatus.Anonymized)
            {
                // A rerun after the record was switched (a crash before the original went; the blurred form's deadline was
                // scheduled before the switch): finish the job.
                await deleter.DeleteBlobEverywhereAsync(record.BlobName, cancellationToken).ConfigureAwait(false);
                return new AnonymizationOutcome("already anonymized; original blob (all versions and snapshots) deleted", true);
            }

            if (record.Kind != RecordingKind.Surveillance || record.Versions.Count == 0 || record.Versions[^1].Number != entry.Version)
            {
                // An older version a later upload superseded (the current bytes are anonymized at their own deadline), or a
                // capture that is not footage (Facial Entry captures are always deleted, O4): deleted, never blurred.
                return new AnonymizationOutcome(await deleter.DeleteAsync(entry, cancellationToken).ConfigureAwait(false), false);
            }

            var staging = Path.Combine(Path.GetTempPath(), "onevalet-anonymize-" + Guid.NewGuid().ToString("N"));
            await using var blurred = new FileStream(staging, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            var outcome = await redaction.RedactAsync(
                _recordings.GetBlobClient(record.BlobName), record.ContentType, requesterFace: null, blurred, options.Value.AnonymizationTimeout, cancellationToken).ConfigureAwait(false);
            if (!outcome.Redacted)
            {
                // Never keep the original for want of a blurred form: the stricter action instead.
                await _anonymized.GetBlobClient(record.BlobName).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken).ConfigureAwait(false);
                var how = await deleter.DeleteAsync(entry, cancellationToken).ConfigureAwait(false);
                return new AnonymizationOutcome($"not anonymized ({outcome.ReasonCode}), deleted instead: {how}", false);
            }

            blurred.Position = 0;
            var sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(blurred, cancellationToken).ConfigureAwait(false));
            var size = blurred.Length;
            blurred.Position = 0;
            await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
            await _anonymized.GetBlobClient(record.BlobName).UploadAsync(
                blurred,
                new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = record.ContentType } },
                cancellationToken).ConfigureAwait(false);

            var version = record.Versions[^1] with { Sha256 = sha256, SizeBytes = size, BlobVersionId = null, BlobETags = [] };
            var rule = policy.ForAnonymizedFootage();
            var deadline = policy.Deadline(rule, record.CapturedAt, record.BuildingId);
            var updated = record with
            {
                Status = RecordingStatus.Anonymized,
                Sha256 = sha256,
                SizeBytes = size,
                Retention = rule,
                Deadline = deadline,
                Versions = [version with { Deadline = deadline }],
            };

            // The blurred form's deadline goes in before the record says it exists.
            await ScheduleBlurredAsync(updated, cancellationToken).ConfigureAwait(false);
            try
            {
                await store.ReplaceAsync(Containers.Recordings, entry.ItemPartition, entry.ItemId, updated, stored.ETag, cancellationToken).ConfigureAwait(false);
            }
            catch (RecordPreconditionFailedException)
            {
                // A new upload arrived meanwhile: decide again on the fresh record.
                continue;
            }

            await deleter.DeleteBlobEverywhereAsync(record.BlobName, cancellationToken).ConfigureAwait(false);
            return new AnonymizationOutcome(
                string.Create(CultureInfo.InvariantCulture, $"anonymized: {outcome.Result!.Summary} The blurred form is kept in {_anonymized.Name} until {RecordJson.Timestamp(deadline)} (rule {rule.RuleId}); the original blob (all versions and snapshots) deleted"),
                true);
        }

        throw new InvalidOperationException("A recording kept changing while it was anonymized.");
    }

    private Task ScheduleBlurredAsync(RecordingRecord record, CancellationToken cancellationToken) =>
        schedule.AddAsync(new ScheduleEntry
        {
            Kind = ItemKind.AnonymizedFootage,
            ItemPartition = record.BuildingId,
            ItemId = record.Id,
            Version = record.Versions[^1].Number,
            BlobName = record.BlobName,
            Sha256 = record.Sha256,
            BuildingId = record.BuildingId,
            EventAt = record.CapturedAt,
            Category = record.DataCategory,
            Rule = record.Retention,
            Deadline = record.Deadline,
        }, cancellationToken);

    private async Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        if (!_containerReady)
        {
            await _anonymized.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            _containerReady = true;
        }
    }
}
