using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Configuration;
using OneValet.Pipeline.Faces;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Notifications;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Requests;

/// <summary>One recording an access answer includes (ids and times only), and why it concerns the requester.</summary>
public sealed record FootageItem(string BuildingId, string DoorId, string CaptureId, RecordingKind Kind, DateTimeOffset CapturedAt, string Why);

/// <summary>
/// The recordings chosen for one access answer (container <c>requests</c>, the request's partition, id
/// <see cref="DocumentId"/>): written once by the work step, read by each redaction, removed when the answer is assembled.
/// </summary>
public sealed record FootagePlan(string SubjectId, DateTimeOffset ExportExpiresAt, int Found, IReadOnlyList<FootageItem> Items)
{
    public const string DocumentId = "footage-plan";

    /// <summary>Refused uploads in quarantine at the person's doors and times (null in a plan stored before they were listed here).</summary>
    public IReadOnlyList<QuarantinedItem>? Quarantined { get; init; }

    /// <summary>How many door events the work step read and staged into the export (null when none were staged).</summary>
    public int? DoorEvents { get; init; }

    /// <summary>The ids of the export's blocks that hold those door events, in order (<see cref="AccessExport"/>).</summary>
    public IReadOnlyList<string>? DoorEventBlocks { get; init; }
}

/// <summary>A refused upload an access answer lists (what it claims, why it was refused, when it goes): ids and times only.</summary>
public sealed record QuarantinedItem(string? BuildingId, string? DoorId, string ClaimedKind, DateTimeOffset? ClaimedCapturedAt, string ReasonCode, DateTimeOffset Deadline);

/// <summary>What became of one planned recording: a redacted copy in the exports container, or withheld with a reason code.</summary>
public sealed record FootageResult(int Index, bool Redacted, string? Blob, string? Redaction, bool RequesterFaceKept, string? ReasonCode)
{
    public static string DocumentIdFor(int index) => string.Create(CultureInfo.InvariantCulture, $"footage-{index:D3}");
}

/// <summary>The recordings part of an access export, with what the answer's summary and links need.</summary>
public sealed record FootageSection(JsonObject Json, int Redacted, int Withheld, int Found, bool Capped, IReadOnlyList<string> Files, DateTimeOffset? ExpiresAt);

/// <summary>
/// Redacted footage in access answers (O8; PIPEDA s.9(1): other people severed before access is given). Which recordings
/// concern the requester: their Facial Entry captures verified as them (<see cref="FaceCheck"/>), and entry-camera footage
/// captured at the doors of their door events and verified captures within <see cref="RequestOptions.FootageWindow"/> of
/// each, inside the request's look-back; catalogued items only, the newest <see cref="RequestOptions.MaxFootageItems"/>.
/// Each is redacted on its own (one activity per item: a video takes seconds to minutes): in a verified capture the matched
/// face is kept and every other blurred; in footage every face is blurred, the requester's too, because no verified match
/// says which face is theirs. The copy goes to the exports container under the request's folder, scheduled for deletion
/// with the export (O8, 7 days); the original is only read. What cannot be decoded is withheld with a reason code, never
/// released unredacted. All reads are single-partition queries without ORDER BY. While the answer is being made, the
/// chosen recordings are under an <see cref="HoldReason.OpenRequest"/> hold (PIPEDA s.8(8): information that is the subject
/// of a request is kept until the request is dealt with), so retention cannot delete an original between the plan and its
/// redaction; the hold is released, and audited, when the answer is assembled (<see cref="ForgetAsync"/>).
/// </summary>
public sealed class AccessFootage(
    IRecordStore store,
    PersonRecordings recordings,
    BlobServiceClient blobs,
    BlobRedaction redaction,
    RetentionSchedule schedule,
    HoldRegistry holds,
    TimeProvider time,
    IOptions<EmailOptions> email,
    IOptions<StorageOptions> storage,
    IOptions<RequestOptions> options,
    VisitorPhotos visitorPhotos)
{
    /// <summary>The id of the hold an access request's recordings are under while its answer is made.</summary>
    public static string HoldIdFor(string requestId) => "hold-request-" + requestId;

    public const string VerifiedCapture = PersonRecordings.VerifiedCapture;
    public const string AtDoorEvent = PersonRecordings.AtDoorEvent;
    public const string AtVerifiedCapture = PersonRecordings.AtVerifiedCapture;

    /// <summary>Chooses the recordings of an access answer and stores the choice; returns how many. Idempotent: a retried
    /// work step finds the plan it wrote and keeps it, so the orchestration's item count and the plan always agree.</summary>
    public async Task<int> PlanAsync(string requestId, string subjectId, DateTimeOffset? from, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        await ReadPlanAsync(requestId, cancellationToken).ConfigureAwait(false) is { } existing
            ? existing.Items.Count
            : await StorePlanAsync(requestId, await ChooseAsync(subjectId, from, expiresAt, null, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>The plan an earlier work step stored for <paramref name="requestId"/>, or null.</summary>
    public async Task<FootagePlan?> ReadPlanAsync(string requestId, CancellationToken cancellationToken) =>
        (await store.ReadAsync<FootagePlan>(Containers.Requests, requestId, FootagePlan.DocumentId, cancellationToken).ConfigureAwait(false))?.Document;

    /// <summary>
    /// Chooses the recordings of an access answer (not stored yet: <see cref="StorePlanAsync"/>), and lists the refused
    /// uploads in quarantine at the person's doors and times. Each door event read for the search is added to
    /// <paramref name="doorEvents"/>, so the answer reads the partition once (issue 15.7); it is completed before the
    /// recordings are searched, so that its last block uploads meanwhile.
    /// </summary>
    public async Task<FootagePlan> ChooseAsync(string subjectId, DateTimeOffset? from, DateTimeOffset expiresAt, AccessExport.DoorEvents? doorEvents, CancellationToken cancellationToken)
    {
        var data = await recordings.FindAllAsync(subjectId, from, doorEvents is null ? null : doorEvents.Add, doorEvents is null ? null : doorEvents.Complete, cancellationToken).ConfigureAwait(false);
        return PlanFrom(subjectId, expiresAt, data);
    }

    /// <summary>The plan of an answer from what concerns the person: the newest <see cref="RequestOptions.MaxFootageItems"/>
    /// catalogued recordings, and the refused uploads to list.</summary>
    public FootagePlan PlanFrom(string subjectId, DateTimeOffset expiresAt, PersonData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var found = data.Recordings
            .Where(r => r.Record.Status == RecordingStatus.Catalogued)
            .Select(r => new FootageItem(r.BuildingId, r.Record.DoorId, r.Record.CaptureId, r.Record.Kind, r.Record.CapturedAt, r.Why))
            .ToList();
        var items = found
            .OrderByDescending(i => i.CapturedAt)
            .ThenBy(i => i.BuildingId, StringComparer.Ordinal)
            .ThenBy(i => i.DoorId, StringComparer.Ordinal)
            .ThenBy(i => i.CaptureId, StringComparer.Ordinal)
            .Take(options.Value.MaxFootageItems)
            .ToList();
        var quarantined = data.Quarantined
            .OrderBy(q => q.ClaimedCapturedAt)
            .Select(q => new QuarantinedItem(q.BuildingId, q.DoorId, q.ClaimedKind, q.ClaimedCapturedAt, q.ReasonCode, q.Deadline))
            .ToList();
        return new FootagePlan(subjectId, expiresAt, found.Count, items) { Quarantined = quarantined };
    }

    /// <summary>Stores the plan, its recordings under the request's hold first (a retried work step that finds the plan
    /// finds the hold placed too). Returns how many recordings the answer will include.</summary>
    public async Task<int> StorePlanAsync(string requestId, FootagePlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Items.Count > 0)
        {
            await HoldAsync(requestId, plan.Items, plan.ExportExpiresAt, cancellationToken).ConfigureAwait(false);
        }

        await store.UpsertAsync(Containers.Requests, requestId, FootagePlan.DocumentId, plan, cancellationToken).ConfigureAwait(false);
        return plan.Items.Count;
    }

    /// <summary>
    /// Places the request's <see cref="HoldReason.OpenRequest"/> hold on the chosen recordings (catalogue paths: ids only),
    /// owned by the privacy office, to be reviewed by the export's expiry (an answer not assembled by then is a fault the
    /// office hears of through the hold review). Idempotent: the hold's id is the request's. It ends by itself where the
    /// request's own hold would (O4, O6; <see cref="HoldRegistry.OpenRequestHoldsAsync"/>): at the latest due date the law
    /// allows (the due date plus the one extension, which may still be taken) plus the jurisdiction's recourse period, so
    /// an answer never assembled (its orchestration failed) does not keep the recordings, Facial Entry captures included,
    /// for ever.
    /// </summary>
    private async Task HoldAsync(string requestId, IReadOnlyList<FootageItem> items, DateTimeOffset reviewBy, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var request = (await store.ReadAsync<PrivacyRequestRecord>(Containers.Requests, requestId, PrivacyRequestRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document;
        var hold = new HoldRecord
        {
            Until = request is null ? null : PrivacyRequestService.DueAtIfExtended(request) + options.Value.RecourseIn(request.Jurisdiction),
            HoldId = HoldIdFor(requestId),
            Reason = HoldReason.OpenRequest,
            Scope = new HoldScope { Items = items.Select(i => $"{i.BuildingId}/{i.DoorId}/{i.CaptureId}").ToList() },
            Owner = email.Value.PrivacyOfficerAddress ?? throw new InvalidOperationException("OneValet:Email:PrivacyOfficerAddress is not set."),
            ReviewBy = reviewBy,
            Note = "PIPEDA s.8(8): recordings of an open access request, kept until its answer is assembled.",
            PlacedAt = now,
        };
        await holds.PlaceAsync(hold, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Redacts the plan's item <paramref name="index"/> into the exports container; returns whether a copy was made.
    /// Idempotent: the result is stored, and the copy's name is fixed by the ids, so a retry (or a second delivery) finds or
    /// overwrites the same blob. The copy's deletion is scheduled before the copy is written.
    /// </summary>
    public async Task<bool> RedactAsync(string requestId, int index, CancellationToken cancellationToken)
    {
        var done = await store.ReadAsync<FootageResult>(Containers.Requests, requestId, FootageResult.DocumentIdFor(index), cancellationToken).ConfigureAwait(false);
        if (done is not null)
        {
            return done.Document.Redacted;
        }

        var plan = (await store.ReadAsync<FootagePlan>(Containers.Requests, requestId, FootagePlan.DocumentId, cancellationToken).ConfigureAwait(false))?.Document;
        if (plan is null || index < 0 || index >= plan.Items.Count)
        {
            return false; // the answer was assembled already (the plan is removed then): nothing left to do
        }

        var item = plan.Items[index];
        var record = (await store.ReadAsync<RecordingRecord>(Containers.Recordings, item.BuildingId, RecordingRecord.IdFor(item.DoorId, item.CaptureId), cancellationToken).ConfigureAwait(false))?.Document;
        FootageResult result;
        if (record is null || record.Status != RecordingStatus.Catalogued)
        {
            result = new FootageResult(index, false, null, null, false, BlobRedaction.Gone);
        }
        else
        {
            // The requester's face is known only in a capture verified as them: the Face API's rectangle of the match.
            var requesterFace = record.Kind == RecordingKind.FacialEntry && record.FaceCheck is { Status: FaceVerificationStatus.Verified, Face: { } face } check && check.ResidentId == plan.SubjectId
                ? face
                : (FaceRectangle?)null;

            // A visitor not on file: their face is known only where their photo matched it (Requests/VisitorPhotos).
            var visitor = plan.SubjectId == NotOnFileWork.Subject
                ? await visitorPhotos.UseInAsync(requestId, record, Source(record), cancellationToken).ConfigureAwait(false)
                : null;
            result = await RedactToExportAsync(requestId, index, plan, record, visitor?.Face ?? requesterFace, visitor?.Video is { } video ? new RequesterFinder(video.Find) : null, cancellationToken).ConfigureAwait(false);
            if (visitor?.Sentence is { } note && result.Redacted)
            {
                result = result with { Redaction = result.Redaction + " " + note };
            }
        }

        await store.UpsertAsync(Containers.Requests, requestId, FootageResult.DocumentIdFor(index), result, cancellationToken).ConfigureAwait(false);
        return result.Redacted;
    }

    /// <summary>The export's <c>recordings</c> part from the plan and each item's result.</summary>
    public async Task<FootageSection> SectionAsync(string requestId, CancellationToken cancellationToken) =>
        await SectionAsync(requestId, await ReadPlanAsync(requestId, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>The export's <c>recordings</c> part from <paramref name="plan"/>, as the caller read it, and each item's result.</summary>
    public async Task<FootageSection> SectionAsync(string requestId, FootagePlan? plan, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var items = new JsonArray();
        var files = new List<string>();
        int redacted = 0, withheld = 0;
        for (var i = 0; i < (plan?.Items.Count ?? 0); i++)
        {
            var item = plan!.Items[i];
            var result = (await store.ReadAsync<FootageResult>(Containers.Requests, requestId, FootageResult.DocumentIdFor(i), cancellationToken).ConfigureAwait(false))?.Document
                ?? new FootageResult(i, false, null, null, false, "not-processed");
            var json = new JsonObject
            {
                ["captureId"] = item.CaptureId,
                ["buildingId"] = item.BuildingId,
                ["doorId"] = item.DoorId,
                ["capturedAt"] = RecordJson.Timestamp(item.CapturedAt),
                ["kind"] = JsonNamingPolicy.KebabCaseLower.ConvertName(item.Kind.ToString()),
                ["why"] = item.Why,
                ["status"] = result.Redacted ? "redacted" : "withheld",
            };
            if (result.Redacted)
            {
                json["redaction"] = result.Redaction;
                json["requesterFaceKept"] = result.RequesterFaceKept;
                json["blob"] = result.Blob;
                files.Add(result.Blob!);
                redacted++;
            }
            else
            {
                json["reasonCode"] = result.ReasonCode;
                withheld++;
            }

            items.Add(json);
        }

        var found = plan?.Found ?? 0;
        var capped = found > (plan?.Items.Count ?? 0);
        var section = new JsonObject
        {
            ["note"] = "Recordings of you: your Facial Entry captures verified as you, and entry-camera footage of the doors and times of " +
                "your door events and verified captures. Other people are severed before you get them (PIPEDA s.9(1)): in a verified " +
                "capture your face is kept and every other face blurred; in footage every face is blurred, yours too, because no " +
                "verified match tells which face in it is yours. The originals are unchanged; these are redacted copies, deleted " +
                "with this export. A recording that could not be redacted is listed as withheld, with the reason.",
            ["window"] = string.Create(CultureInfo.InvariantCulture, $"footage captured within {o.FootageWindow.TotalSeconds:0} seconds of each door event or verified capture"),
            ["found"] = found,
            ["included"] = plan?.Items.Count ?? 0,
            ["capped"] = capped,
            ["items"] = items,
        };
        if (capped)
        {
            section["cappedNote"] = string.Create(CultureInfo.InvariantCulture, $"The newest {plan!.Items.Count} of {found} recordings are included; ask the privacy office for the others.");
        }

        return new FootageSection(section, redacted, withheld, found, capped, files, plan?.ExportExpiresAt);
    }

    /// <summary>Removes the plan and the results once the answer holds them: they link the person to doors and times, and
    /// the request's partition is kept 24 months (O18).</summary>
    public async Task ForgetAsync(string requestId, CancellationToken cancellationToken) =>
        await ForgetAsync(requestId, await ReadPlanAsync(requestId, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>As <see cref="ForgetAsync(string, CancellationToken)"/>, with the plan the caller read.</summary>
    public async Task ForgetAsync(string requestId, FootagePlan? plan, CancellationToken cancellationToken)
    {
        for (var i = 0; i < (plan?.Items.Count ?? 0); i++)
        {
            await store.DeleteAsync(Containers.Requests, requestId, FootageResult.DocumentIdFor(i), cancellationToken).ConfigureAwait(false);
        }

        await store.DeleteAsync(Containers.Requests, requestId, FootagePlan.DocumentId, cancellationToken).ConfigureAwait(false);

        // The answer holds its copies: the originals go back under their own rules. What fell due meanwhile is deleted by
        // the next sweep (the entries stay due).
        await holds.ReleaseAsync(HoldIdFor(requestId), time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }

    private BlobClient Source(RecordingRecord record) => blobs.GetBlobContainerClient(storage.Value.RecordingsContainer).GetBlobClient(record.BlobName);

    private async Task<FootageResult> RedactToExportAsync(string requestId, int index, FootagePlan plan, RecordingRecord record, FaceRectangle? requesterFace, RequesterFinder? findRequester, CancellationToken cancellationToken)
    {
        var source = Source(record);
        var staging = Path.Combine(Path.GetTempPath(), "onevalet-export-" + Guid.NewGuid().ToString("N"));
        await using var copy = new FileStream(staging, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        var outcome = await redaction.RedactAsync(source, record.ContentType, requesterFace, findRequester, copy, options.Value.FootageRedactionTimeout, cancellationToken).ConfigureAwait(false);
        if (!outcome.Redacted)
        {
            return new FootageResult(index, false, null, null, false, outcome.ReasonCode);
        }

        var extension = record.ContentType == "video/mp4" ? "mp4" : "jpg";
        var blobName = $"{requestId}/recordings/{record.BuildingId}/{record.DoorId}/{record.CaptureId}.{extension}";
        await schedule.AddAsync(new ScheduleEntry
        {
            Kind = ItemKind.Export,
            ItemPartition = requestId,
            ItemId = FootageResult.DocumentIdFor(index),
            BlobName = blobName,
            SubjectId = plan.SubjectId,
            BuildingId = "exports",
            EventAt = record.CapturedAt,
            Category = "export",
            Rule = new RetentionRule("export-7d", "O8", options.Value.ExportRetention, RetentionAction.Delete),
            Deadline = plan.ExportExpiresAt,
        }, cancellationToken).ConfigureAwait(false);

        var container = blobs.GetBlobContainerClient(storage.Value.ExportsContainer);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        copy.Position = 0;
        await container.GetBlobClient(blobName).UploadAsync(
            copy,
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = record.ContentType } },
            cancellationToken).ConfigureAwait(false);
        var result = outcome.Result!;
        return new FootageResult(index, true, blobName, result.Summary, result.RequesterFaceKnown && result.FramesWithRequesterKept > 0, null);
    }
}
