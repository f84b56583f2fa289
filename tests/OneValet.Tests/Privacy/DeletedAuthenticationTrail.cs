using System.Text.Json;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Faces;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using Xunit;

namespace OneValet.Tests.Privacy;

/// <summary>What <see cref="DeletedAuthenticationTrail.AssertNoPersonAsync"/> looked at: deleted door events and Facial
/// Entry capture versions, and the check entries of those captures that named someone while the capture existed.</summary>
internal sealed record DeletedAuthenticationFindings(int DoorEvents, int Captures, int ChecksRewritten, int ChecksUnderLiveConsent);

/// <summary>
/// O4 (NYC TDPA), read as an auditor and as someone who wants to know who entered when: once a door event or a Facial Entry
/// capture is deleted, nothing kept about it says whom it was about. Every item the catalogue lists (the O1 entries, which
/// never named a person) is looked up where its traces stay for years: its schedule entry once done (found in the bucket the
/// catalogue names), its deletion ledger row (O7, keyed by the building), every audit entry with its reference (started,
/// completed, held) and, for a capture, its check entry (O3). None may hold a resident id, a subject, a partition by person,
/// a consent entry's id or time; the check keeps its verdict instead. Items still stored are not judged (their traces may
/// still name the person, as the law allows while the data exists).
/// </summary>
internal static class DeletedAuthenticationTrail
{
    public static async Task<DeletedAuthenticationFindings> AssertNoPersonAsync(IRecordStore store, IRecordStore ledger, DateTimeOffset from, DateTimeOffset to, IReadOnlyCollection<string> residents)
    {
        var trail = await new AuditTrail(store).AllAsync(from, to, new AuditFilter(), default);
        var byRef = trail.ToLookup(v => v.Entry.ItemRef, StringComparer.Ordinal);
        var consentIds = trail.Where(v => v.Entry.Action is Pipeline.Residents.ConsentAudit.Given or Pipeline.Residents.ConsentAudit.Withdrawn).Select(v => v.Id).ToHashSet(StringComparer.Ordinal);
        int doorEvents = 0, captures = 0, rewritten = 0, live = 0;

        void Clean(string what, object document)
        {
            var json = JsonSerializer.Serialize(document, RecordJson.Options);
            Assert.False(residents.Any(r => json.Contains(r, StringComparison.Ordinal)) || consentIds.Any(c => json.Contains(c, StringComparison.Ordinal)), what + " names a person: " + json);
            if (document is AuditRecord a)
            {
                Assert.True(a is { SubjectId: null, ConsentEntryId: null, ConsentAt: null }, what + " names a person: " + json);
            }
        }

        foreach (var item in trail.Where(v => v.Entry.Action == Catalogue.Action).SelectMany(v => v.Entry.Catalogued ?? []).DistinctBy(i => i.Reference))
        {
            var capture = item is { Kind: ItemKind.RecordingVersion, Category: DataCategories.FacialEntryAuthentication };
            if ((item.Kind != ItemKind.DoorEvent && !capture) || item.Bucket is null)
            {
                continue;
            }

            var entryId = item.Reference.Replace('/', '~');
            var done = (await store.ReadAsync<ScheduleEntry>(Containers.Schedule, item.Bucket, entryId))?.Document;
            if (done is not { Status: EntryStatus.Done })
            {
                continue;
            }

            // The done entry, its ledger row and every audit entry of the item: ids, building, times; no person.
            Assert.Equal((null, item.BuildingId), (done.SubjectId, done.ItemPartition));
            Clean(item.Reference + " schedule entry", done);
            var row = await ledger.ReadAsync<LedgerEntry>(Containers.Ledger, item.BuildingId, entryId);
            Assert.True(row is not null, item.Reference + " has no ledger row keyed by its building");
            Clean(item.Reference + " ledger row", row!.Document);
            var entries = byRef[item.Reference].ToList();
            Assert.Contains(entries, v => v.Entry is { Action: "deleted", Outcome: "completed" } && v.Entry.HoldsInForce is not null);
            foreach (var view in entries)
            {
                Clean(item.Reference + " audit entry " + view.Entry.Action, view.Entry);
            }

            if (!capture)
            {
                doorEvents++;
                continue;
            }

            captures++;
            var check = (await store.ReadAsync<AuditRecord>(Containers.Audit, AuditLog.PartitionFor(done.EventAt), AuditLog.IdFor(FacialEntryChecks.AuditAction, item.BuildingId, item.ItemId, done.Sha256!)))?.Document;
            if (check is null)
            {
                continue;
            }

            Clean(item.Reference + " check entry", check);
            if (check.ConsentVerdict is { } verdict)
            {
                rewritten++;
                live += verdict.State == Pipeline.Evidence.ItemState.OnTime && verdict.Note.Contains("consent", StringComparison.Ordinal) ? 1 : 0;
            }
            else
            {
                // Never named anyone: not sent to the Face API.
                Assert.Contains(check.ReasonCode, Pipeline.Evidence.FacialEntryConsentRule.NotProcessedCodes);
            }
        }

        return new DeletedAuthenticationFindings(doorEvents, captures, rewritten, live);
    }
}
