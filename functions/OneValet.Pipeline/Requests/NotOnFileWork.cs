using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Requests;

/// <summary>
/// The work of a request about a person nobody's record describes (O8–O10): a visitor an entry camera recorded, a former
/// resident whose identifiers are gone, a partner's employee. The privacy office verified them itself; what concerns them
/// is found by what they gave (building, door, time window), never by a record. An access answer holds the recordings of
/// that place and time with every face blurred, theirs too (nothing on file tells which face is theirs; PIPEDA s.9(1)),
/// unless they gave a photo and the Face API matched their face with it (<see cref="VisitorPhotos"/>): that face is kept;
/// a deletion keeps footage under the building's rule as it does for residents (O2, O9 exception); the categories shared
/// are none (the ledger records disclosures by resident and building). Nothing found is answered "nothing held", in
/// writing: the completion notice carries the answer's summary to the address they gave.
/// </summary>
public sealed class NotOnFileWork(
    PersonRecordings recordings,
    AccessFootage footage,
    AccessExport export,
    PrivacyRequestService service,
    IOptions<RequestOptions> options,
    TimeProvider time)
{
    /// <summary>The subject of an answer's plan and export entries when nobody on file is: not an id anyone can have, so no
    /// verified capture's match and no subject hold ever refers to it.</summary>
    public const string Subject = "~not-on-file";

    public async Task<WorkResult> AccessAsync(PrivacyRequestRecord record, NotOnFileInput person, CancellationToken cancellationToken)
    {
        if (await footage.ReadPlanAsync(record.RequestId, cancellationToken).ConfigureAwait(false) is { } stored)
        {
            return new WorkResult(RequestStatus.InProgress, null, false, record.EffectiveDueAt.UtcDateTime, stored.Items.Count);
        }

        var data = await recordings.FindInWindowAsync(person.BuildingId, person.DoorId, person.From!.Value, person.To!.Value, cancellationToken).ConfigureAwait(false);
        var plan = footage.PlanFrom(Subject, time.GetUtcNow() + options.Value.ExportRetention, data);
        var items = await footage.StorePlanAsync(record.RequestId, plan, cancellationToken).ConfigureAwait(false);
        return new WorkResult(RequestStatus.InProgress, null, false, record.EffectiveDueAt.UtcDateTime, items);
    }

    public async Task<WorkResult> CompleteAccessAsync(PrivacyRequestRecord record, NotOnFileInput person, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var plan = await footage.ReadPlanAsync(record.RequestId, cancellationToken).ConfigureAwait(false);
        var section = await footage.SectionAsync(record.RequestId, cancellationToken).ConfigureAwait(false);
        var quarantined = plan?.Quarantined ?? [];
        var place = Place(person);
        RequestOutcome outcome;
        if (section.Found == 0 && quarantined.Count == 0)
        {
            // Nothing to give: no file is written; the answer is the sentence, sent in writing.
            outcome = new RequestOutcome { Summary = $"Nothing held: we hold no record that describes you, and no recordings or refused uploads of {place}. {FootageRule}" };
        }
        else
        {
            // With a photo (Requests/VisitorPhotos), the face the face service matched with it stays; every other face goes.
            var kept = section.Json["items"]!.AsArray().Count(i => i?["requesterFaceKept"]?.GetValue<bool>() == true);
            var yours = record.VisitorPhoto is null
                ? "Every face in them is blurred, yours too: nothing on file tells which face is yours"
                : string.Create(CultureInfo.InvariantCulture, $"You gave us a photo of your face: where the face service matched a face with it, that face was kept ({kept} recordings) and every other face blurred; elsewhere every face is blurred, yours too (each recording's redaction says why)");
            section.Json["note"] = "Recordings made where and when you told us you were. " + yours + ". Other people are severed before you get " +
                "them (PIPEDA s.9(1)). The originals are unchanged; these are redacted copies, deleted with this export. A recording " +
                "that could not be redacted is listed as withheld, with the reason.";
            section.Json["window"] = place;
            var head = new JsonObject
            {
                ["requestId"] = record.RequestId,
                ["generatedAt"] = RecordJson.Timestamp(now),
                ["onFile"] = "We hold no record that describes you (no resident record, no account): this answer is built from the place and time you gave.",
                ["whatYouGave"] = new JsonObject
                {
                    ["relationship"] = person.Relationship,
                    ["buildingId"] = person.BuildingId,
                    ["doorId"] = person.DoorId,
                    ["from"] = RecordJson.Timestamp(person.From!.Value),
                    ["to"] = RecordJson.Timestamp(person.To!.Value),
                },
            };
            var tail = new JsonObject
            {
                ["recordings"] = section.Json,
                ["quarantinedUploads"] = RequestWork.QuarantinedSection(quarantined),
            };
            var expires = section.ExpiresAt ?? now + options.Value.ExportRetention;
            await export.CommitAsync(record.RequestId, Subject, head, tail, null, now, expires, static (_, _) => Task.CompletedTask, cancellationToken).ConfigureAwait(false);
            var withheld = section.Withheld > 0 ? string.Create(CultureInfo.InvariantCulture, $", {section.Withheld} withheld because they could not be redacted") : string.Empty;
            var capped = section.Capped ? string.Create(CultureInfo.InvariantCulture, $" (the newest {section.Redacted + section.Withheld} of {section.Found})") : string.Empty;
            outcome = new RequestOutcome
            {
                Summary = string.Create(CultureInfo.InvariantCulture, $"We hold no record that describes you. Of {place}: {section.Redacted} recordings{capped} with {Faces(record, section)}{withheld}; {quarantined.Count} refused uploads listed (their content is not released). The privacy office sends you the files."),
                ExportBlob = AccessExport.BlobNameFor(record.RequestId),
                ExportExpiresAt = expires,
                ExportFiles = section.Files,
            };
        }

        await FinishAsync(record.RequestId, outcome).ConfigureAwait(false);
        await footage.ForgetAsync(record.RequestId, cancellationToken).ConfigureAwait(false);
        return new WorkResult(RequestStatus.Completed, null, false, record.EffectiveDueAt.UtcDateTime);
    }

    /// <summary>
    /// O9: nothing of a person not on file can be deleted by a record; footage of the place and time they gave is kept under
    /// the building's rule (entry cameras record everyone at a door: the building's security, as for residents), and the
    /// answer says until when. Refused uploads likewise.
    /// </summary>
    public async Task<WorkResult> DeletionAsync(PrivacyRequestRecord record, NotOnFileInput person, CancellationToken cancellationToken)
    {
        var kept = new List<KeptData>();
        if (person.From is { } from && person.To is { } to)
        {
            var data = await recordings.FindInWindowAsync(person.BuildingId, person.DoorId, from, to, cancellationToken).ConfigureAwait(false);
            if (data.Recordings.Count > 0)
            {
                kept.Add(new KeptData(
                    string.Create(CultureInfo.InvariantCulture, $"{data.Recordings.Count} recordings of {Place(person)}"),
                    "the building's security (O9 exception); entry cameras record everyone at a door, and the footage is deleted under the building's footage rule (O2)",
                    data.Recordings.Max(r => r.Record.Deadline)));
            }

            if (data.Quarantined.Count > 0)
            {
                kept.Add(new KeptData(
                    string.Create(CultureInfo.InvariantCulture, $"{data.Quarantined.Count} refused uploads in quarantine of {Place(person)}"),
                    "repairing the fault that made them refused (O9 exception); deleted under the rule of what they claim to be (O2)",
                    data.Quarantined.Max(q => q.Deadline)));
            }
        }

        var summary = kept.Count > 0
            ? "We hold no record that describes you, so nothing of a record could be deleted; the recordings of the place and time you gave are kept for the building's security until their deadlines, listed here."
            : person.From is null
                ? $"Nothing held: we hold no record that describes you, and without a place and time we cannot find recordings of you. {FootageRule}"
                : $"Nothing held: we hold no record that describes you, and no recordings or refused uploads of {Place(person)}. {FootageRule}";
        await FinishAsync(record.RequestId, new RequestOutcome { Summary = summary, Kept = kept }).ConfigureAwait(false);
        return new WorkResult(RequestStatus.Completed, null, false, record.EffectiveDueAt.UtcDateTime);
    }

    public async Task<WorkResult> CategoriesSharedAsync(PrivacyRequestRecord record)
    {
        await FinishAsync(record.RequestId, new RequestOutcome
        {
            Summary = "Nothing held: we hold no record that describes you, so we have shared none of your personal information (the sharing ledger records every disclosure by resident and building, and none can name you).",
            MarketingStatement = RequestWork.MarketingStatement,
        }).ConfigureAwait(false);
        return new WorkResult(RequestStatus.Completed, null, false, record.EffectiveDueAt.UtcDateTime);
    }

    /// <summary>What the answer's summary says of the faces: all blurred, or, with a photo, in how many the visitor's was kept.</summary>
    private static string Faces(PrivacyRequestRecord record, FootageSection section)
    {
        if (record.VisitorPhoto is null)
        {
            return "every face blurred, yours too";
        }

        var kept = section.Json["items"]!.AsArray().Count(i => i?["requesterFaceKept"]?.GetValue<bool>() == true);
        return string.Create(CultureInfo.InvariantCulture, $"every other face blurred; your face, matched with your photo, kept in {kept} of them and blurred in the rest");
    }

    private const string FootageRule = "Entry-camera footage is deleted under each building's rule (O2), so older visits may have left nothing.";

    private static string Place(NotOnFileInput person) =>
        $"building {person.BuildingId}" + (person.DoorId is null ? string.Empty : $", door {person.DoorId}")
        + (person.From is { } from && person.To is { } to ? $", from {RecordJson.Timestamp(from)} to {RecordJson.Timestamp(to)}" : string.Empty);

    private Task FinishAsync(string requestId, RequestOutcome outcome) => service.AnswerAsync(requestId, outcome);
}
