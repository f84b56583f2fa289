using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Storage;
using Xunit;

namespace OneValet.Tests.Storage;

/// <summary>
/// Issue 13, item 4: privacy-request intake finds a person by a keyed hash of the normalized email, in one partition, on
/// both stores. The index follows registration, a change of address, a move to another building, a move-out (still
/// findable: a former tenant keeps the right to access and deletion) and anonymization (gone); an entry left behind by a
/// crash never matches someone whose address changed; and nothing stored reveals an address.
/// </summary>
public abstract partial class RecordStoreContract
{
    [Fact]
    public async Task The_email_index_finds_a_resident_by_keyed_hash_and_follows_every_change()
    {
        var secrets = NewSecrets();
        var index = new ResidentEmailIndex(Store, secrets);
        var id = "r-" + Guid.NewGuid().ToString("N")[..12];
        var (b1, b2) = ("b-" + Guid.NewGuid().ToString("N")[..8], "b-" + Guid.NewGuid().ToString("N")[..8]);

        // Registered with a decomposed "ë" (e + U+0308) and a Unicode domain.
        var registered = await WriteAsync(index, null, Resident(id, b1, "Zoe\u0308.Example@B\u00fccher.example"));
        Assert.Equal(id, await index.FindAsync("  zo\u00eb.EXAMPLE@xn--bcher-kva.example ", b1, default)); // trim, case, NFC, IDNA
        Assert.Null(await index.FindAsync("zo\u00eb.example@b\u00fccher.example", b2, default)); // the right person in the wrong building
        Assert.Null(await index.FindAsync("\uff5a\u006f\u00eb.example@b\u00fccher.example", b1, default)); // full-width "z": NFKC is not applied
        Assert.Null(await new ResidentEmailIndex(Store, NewSecrets()).FindAsync("zo\u00eb.example@b\u00fccher.example", b1, default)); // another secret

        // A new address: the old one no longer finds the resident, the new one does.
        var readdressed = await WriteAsync(index, registered, registered with { Email = "zoe.new@example.test" });
        Assert.Null(await index.FindAsync("zo\u00eb.example@b\u00fccher.example", b1, default));
        Assert.Equal(id, await index.FindAsync("ZOE.NEW@example.test", b1, default));
        Assert.Empty(await EntriesAsync(secrets, "zoe\u0308.example@b\u00fccher.example"));

        // A move to another building, then a move-out: found in the new building only, and still after moving out.
        var moved = await WriteAsync(index, readdressed, readdressed with { BuildingId = b2 });
        Assert.Null(await index.FindAsync("zoe.new@example.test", b1, default));
        Assert.Equal(id, await index.FindAsync("zoe.new@example.test", b2, default));
        var movedOut = await WriteAsync(index, moved, moved with { MovedOutAt = DateTimeOffset.UtcNow });
        Assert.Equal(id, await index.FindAsync("zoe.new@example.test", b2, default));

        // What the index holds: ids and the building, under a partition that is a keyed hash; no address in any form.
        var entries = await EntriesAsync(secrets, "zoe.new@example.test");
        var entry = Assert.Single(entries);
        Assert.Equal(new ResidentEmailEntry(id, b2), entry.Document);
        Assert.Matches("^[0-9a-f]{64}$", entry.PartitionKey);
        Assert.DoesNotContain("@", System.Text.Json.JsonSerializer.Serialize(entries), StringComparison.Ordinal);

        // Anonymized by a deletion request: gone from the index.
        await WriteAsync(index, movedOut, movedOut with { Email = ResidentEmailIndex.AnonymizedEmail, Name = null });
        Assert.Null(await index.FindAsync("zoe.new@example.test", b2, default));
        Assert.Empty(await EntriesAsync(secrets, "zoe.new@example.test"));
        Assert.Null(await index.FindAsync(ResidentEmailIndex.AnonymizedEmail, b2, default));
    }

    [Fact]
    public async Task An_email_index_entry_left_by_a_crash_does_not_match_a_resident_whose_address_changed()
    {
        var secrets = NewSecrets();
        var index = new ResidentEmailIndex(Store, secrets);
        var id = "r-" + Guid.NewGuid().ToString("N")[..12];
        var building = "b-" + Guid.NewGuid().ToString("N")[..8];
        await WriteAsync(index, null, Resident(id, building, "current@example.test"));

        // The new entry of an address change was written, then the process died before the record changed.
        await Store.UpsertAsync(Containers.ResidentEmails, secrets.EmailKey("next@example.test"), id, new ResidentEmailEntry(id, building));

        Assert.Null(await index.FindAsync("next@example.test", building, default));
        Assert.Equal(id, await index.FindAsync("current@example.test", building, default));
    }

    private static RequestSecrets NewSecrets() =>
        new(Options.Create(new RequestOptions { SecretKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) }));

    private static ResidentRecord Resident(string id, string building, string email) => new()
    {
        ResidentId = id,
        BuildingId = building,
        UnitId = "u-1",
        MovedInAt = DateTimeOffset.UtcNow.AddYears(-1),
        Email = email,
        Name = "Zoë Example",
        Jurisdiction = "other",
    };

    /// <summary>Writes a resident the way <see cref="ResidentsApi"/> does: new entry, record, then the old entry removed.</summary>
    private async Task<ResidentRecord> WriteAsync(ResidentEmailIndex index, ResidentRecord? before, ResidentRecord after)
    {
        await index.SyncAsync(null, after, default);
        await Store.UpsertAsync(Containers.Residents, after.ResidentId, ResidentRecord.DocumentId, after);
        await index.SyncAsync(before, after, default);
        return after;
    }

    private async Task<IReadOnlyList<StoredRecord<ResidentEmailEntry>>> EntriesAsync(RequestSecrets secrets, string email) =>
        (await Store.QueryAsync<ResidentEmailEntry>(Containers.ResidentEmails, secrets.EmailKey(email), RecordQuery.All, 100, null)).Items;
}
