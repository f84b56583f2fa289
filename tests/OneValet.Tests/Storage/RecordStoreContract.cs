using System.Text.Json.Nodes;
using OneValet.Pipeline.Storage;
using Xunit;

namespace OneValet.Tests.Storage;

public enum SampleKind
{
    FacialEntry,
    Recording,
}

public sealed record SampleCamera(string Site, int Level);

public sealed record SampleDocument(string Name, int Count, string CapturedAt, SampleCamera Camera, SampleKind Kind, bool Flagged, double Score = 0);

/// <summary>
/// The behaviour every <see cref="IRecordStore"/> must have. Each concrete subclass runs all of it against one
/// implementation. Every test works in partitions of its own (fresh partition keys), so tests never see each other's data.
/// </summary>
public abstract partial class RecordStoreContract
{
    private const string Container = Containers.Recordings;

    protected RecordStoreContract()
    {
        Partition = NewPartitionKey();
    }

    protected abstract IRecordStore Store { get; }

    protected string Partition { get; }

    protected static string NewPartitionKey() => "building-" + Guid.NewGuid().ToString("N");

    protected static SampleDocument Sample(string name, int count = 1, string capturedAt = "2025-01-01T00:00:00Z", string site = "north", int level = 0,
        SampleKind kind = SampleKind.Recording, bool flagged = false) =>
        new(name, count, capturedAt, new SampleCamera(site, level), kind, flagged);

    [Fact]
    public async Task CreateThenReadReturnsTheDocumentWithTheSameETag()
    {
        SampleDocument document = Sample("front door", count: 3, kind: SampleKind.FacialEntry, flagged: true) with { Score = 0.25 };

        StoredRecord<SampleDocument> created = await Store.CreateAsync(Container, Partition, "rec-1", document);
        StoredRecord<SampleDocument>? read = await Store.ReadAsync<SampleDocument>(Container, Partition, "rec-1");

        Assert.NotNull(read);
        Assert.Equal("rec-1", read.Id);
        Assert.Equal(Partition, read.PartitionKey);
        Assert.Equal(document, read.Document);
        Assert.False(string.IsNullOrEmpty(created.ETag));
        Assert.Equal(created.ETag, read.ETag);
        Assert.Equal(document, created.Document);
    }

    [Fact]
    public async Task ADocumentReadAsStoredCarriesTheSameValuesAsReadAsATreeAndNoneOfTheStoresOwnProperties()
    {
        // The access export copies a door event's stored text into the answer as it is (issue 15.7): what it copies must be
        // the document, with none of the store's key or system properties, and the same in a query as in a point read.
        SampleDocument document = Sample("caf\u00e9 \"door\" <lobby> \u263a", count: 7, kind: SampleKind.FacialEntry, flagged: true) with { Score = 0.5 };
        await Store.CreateAsync(Container, Partition, "as-stored", document);

        var element = (await Store.ReadAsync<System.Text.Json.JsonElement>(Container, Partition, "as-stored"))!.Document;
        var tree = (await Store.ReadAsync<JsonObject>(Container, Partition, "as-stored"))!.Document;
        var queried = Assert.Single((await Store.QueryAsync<System.Text.Json.JsonElement>(Container, Partition, RecordQuery.All, 10, null)).Items).Document;

        Assert.True(JsonNode.DeepEquals(tree, JsonNode.Parse(element.GetRawText())));
        Assert.True(JsonNode.DeepEquals(tree, JsonNode.Parse(queried.GetRawText())));
        foreach (var name in RecordJson.ReservedProperties)
        {
            Assert.False(element.TryGetProperty(name, out _), name);
            Assert.False(queried.TryGetProperty(name, out _), name);
        }

        Assert.Equal(document, System.Text.Json.JsonSerializer.Deserialize<SampleDocument>(element.GetRawText(), RecordJson.Options));
    }

    [Fact]
    public async Task ReadOfAMissingDocumentReturnsNull()
    {
        Assert.Null(await Store.ReadAsync<SampleDocument>(Container, Partition, "no-such-record"));
    }

    [Fact]
    public async Task CreateOfAnExistingIdThrowsConflictAndKeepsTheFirst()
    {
        await Store.CreateAsync(Container, Partition, "dup", Sample("first"));

        await Assert.ThrowsAsync<RecordConflictException>(() => Store.CreateAsync(Container, Partition, "dup", Sample("second")));

        Assert.Equal("first", (await Store.ReadAsync<SampleDocument>(Container, Partition, "dup"))!.Document.Name);
    }

    [Fact]
    public async Task UpsertCreatesThenReplacesWithANewETagEachTime()
    {
        StoredRecord<SampleDocument> first = await Store.UpsertAsync(Container, Partition, "up", Sample("one"));
        StoredRecord<SampleDocument> second = await Store.UpsertAsync(Container, Partition, "up", Sample("two"));

        StoredRecord<SampleDocument>? read = await Store.ReadAsync<SampleDocument>(Container, Partition, "up");
        Assert.NotNull(read);
        Assert.Equal("two", read.Document.Name);
        Assert.NotEqual(first.ETag, second.ETag);
        Assert.Equal(second.ETag, read.ETag);
    }

    [Fact]
    public async Task ReplaceWithTheCurrentETagSucceeds()
    {
        StoredRecord<SampleDocument> created = await Store.CreateAsync(Container, Partition, "r", Sample("before"));

        StoredRecord<SampleDocument> replaced = await Store.ReplaceAsync(Container, Partition, "r", Sample("after"), created.ETag);

        Assert.NotEqual(created.ETag, replaced.ETag);
        StoredRecord<SampleDocument>? read = await Store.ReadAsync<SampleDocument>(Container, Partition, "r");
        Assert.Equal("after", read!.Document.Name);
        Assert.Equal(replaced.ETag, read.ETag);
    }

    [Fact]
    public async Task ReplaceWithAStaleETagThrowsPreconditionFailedAndChangesNothing()
    {
        StoredRecord<SampleDocument> created = await Store.CreateAsync(Container, Partition, "r", Sample("v1"));
        await Store.ReplaceAsync(Container, Partition, "r", Sample("v2"), created.ETag);

        await Assert.ThrowsAsync<RecordPreconditionFailedException>(
            () => Store.ReplaceAsync(Container, Partition, "r", Sample("v3"), created.ETag));

        Assert.Equal("v2", (await Store.ReadAsync<SampleDocument>(Container, Partition, "r"))!.Document.Name);
    }

    [Fact]
    public async Task ReplaceOfADeletedDocumentThrowsNotFound()
    {
        StoredRecord<SampleDocument> created = await Store.CreateAsync(Container, Partition, "gone", Sample("x"));
        Assert.True(await Store.DeleteAsync(Container, Partition, "gone"));

        await Assert.ThrowsAsync<RecordNotFoundException>(
            () => Store.ReplaceAsync(Container, Partition, "gone", Sample("y"), created.ETag));

        Assert.Null(await Store.ReadAsync<SampleDocument>(Container, Partition, "gone"));
    }

    [Fact]
    public async Task DeleteReturnsTrueOnceThenFalse()
    {
        await Store.CreateAsync(Container, Partition, "d", Sample("x"));

        Assert.True(await Store.DeleteAsync(Container, Partition, "d"));
        Assert.False(await Store.DeleteAsync(Container, Partition, "d"));
        Assert.Null(await Store.ReadAsync<SampleDocument>(Container, Partition, "d"));
    }

    [Fact]
    public async Task DeleteOfANeverCreatedDocumentReturnsFalse()
    {
        Assert.False(await Store.DeleteAsync(Container, Partition, "never"));
    }

    [Fact]
    public async Task QueryStringEquality()
    {
        await SeedAsync(
            ("a", Sample("alpha", site: "north")),
            ("b", Sample("beta", site: "south")),
            ("c", Sample("gamma", site: "north")));

        IReadOnlyList<string> ids = await QueryIdsAsync(RecordQuery.Where(new FieldCondition("name", FieldOperator.Equal, JsonValue.Create("beta"))));

        Assert.Equal(["b"], ids);
    }

    [Fact]
    public async Task QueryRangesOnIsoTimestamps()
    {
        await SeedAsync(
            ("t1", Sample("1", capturedAt: "2025-03-01T08:00:00Z")),
            ("t2", Sample("2", capturedAt: "2025-03-01T09:30:00Z")),
            ("t3", Sample("3", capturedAt: "2025-03-01T10:00:00Z")),
            ("t4", Sample("4", capturedAt: "2025-03-02T00:00:00Z")));

        Assert.Equal(["t2", "t3"], await QueryIdsAsync(RecordQuery.Where(
            new FieldCondition("capturedAt", FieldOperator.GreaterThanOrEqual, JsonValue.Create("2025-03-01T09:00:00Z")),
            new FieldCondition("capturedAt", FieldOperator.LessThan, JsonValue.Create("2025-03-02T00:00:00Z")))));
        Assert.Equal(["t1", "t2"], await QueryIdsAsync(RecordQuery.Where(
            new FieldCondition("capturedAt", FieldOperator.LessThan, JsonValue.Create("2025-03-01T10:00:00Z")))));
        Assert.Equal(["t3", "t4"], await QueryIdsAsync(RecordQuery.Where(
            new FieldCondition("capturedAt", FieldOperator.GreaterThan, JsonValue.Create("2025-03-01T09:30:00Z")))));
    }

    [Fact]
    public async Task QueryRangesOnNumbers()
    {
        await SeedAsync(
            ("n1", Sample("1", count: -5) with { Score = 0.5 }),
            ("n2", Sample("2", count: 0) with { Score = 1.5 }),
            ("n3", Sample("3", count: 7) with { Score = 2.5 }),
            ("n4", Sample("4", count: 12) with { Score = 3.5 }));

        Assert.Equal(["n2", "n3"], await QueryIdsAsync(RecordQuery.Where(
            new FieldCondition("count", FieldOperator.GreaterThan, JsonValue.Create(-5)),
            new FieldCondition("count", FieldOperator.LessThanOrEqual, JsonValue.Create(7)))));
        Assert.Equal(["n3"], await QueryIdsAsync(RecordQuery.Where(new FieldCondition("count", FieldOperator.Equal, JsonValue.Create(7)))));
        Assert.Equal(["n3", "n4"], await QueryIdsAsync(RecordQuery.Where(new FieldCondition("score", FieldOperator.GreaterThan, JsonValue.Create(2)))));
        Assert.Equal(["n1", "n2"], await QueryIdsAsync(RecordQuery.Where(new FieldCondition("score", FieldOperator.LessThan, JsonValue.Create(2.0)))));
    }

    [Fact]
    public async Task QueryByNestedField()
    {
        await SeedAsync(
            ("a", Sample("a", site: "north", level: 1)),
            ("b", Sample("b", site: "south", level: 2)),
            ("c", Sample("c", site: "north", level: 3)));

        Assert.Equal(["a", "c"], await QueryIdsAsync(RecordQuery.Where(new FieldCondition("camera.site", FieldOperator.Equal, JsonValue.Create("north")))));
        Assert.Equal(["b", "c"], await QueryIdsAsync(RecordQuery.Where(new FieldCondition("camera.level", FieldOperator.GreaterThanOrEqual, JsonValue.Create(2)))));
    }

    [Fact]
    public async Task QueryEnumsAreCamelCaseStringsAndBooleansCompare()
    {
        await SeedAsync(
            ("f", Sample("f", kind: SampleKind.FacialEntry, flagged: true)),
            ("r", Sample("r", kind: SampleKind.Recording, flagged: false)));

        Assert.Equal(["f"], await QueryIdsAsync(RecordQuery.Where(new FieldCondition("kind", FieldOperator.Equal, JsonValue.Create("facialEntry")))));
        Assert.Equal(["r"], await QueryIdsAsync(RecordQuery.Where(new FieldCondition("flagged", FieldOperator.Equal, JsonValue.Create(false)))));
        Assert.Equal(["f"], await QueryIdsAsync(RecordQuery.Where(new FieldCondition("flagged", FieldOperator.Equal, JsonValue.Create(true)))));
    }

    [Fact]
    public async Task QueryComparesOnlyValuesOfTheSameJsonType()
    {
        await SeedAsync(("s", Sample("7", count: 7)));

        // "name" holds the string "7", "count" the number 7: a number never matches a string, nor the reverse.
        Assert.Empty(await QueryIdsAsync(RecordQuery.Where(new FieldCondition("name", FieldOperator.Equal, JsonValue.Create(7)))));
        Assert.Empty(await QueryIdsAsync(RecordQuery.Where(new FieldCondition("name", FieldOperator.GreaterThan, JsonValue.Create(0)))));
        Assert.Empty(await QueryIdsAsync(RecordQuery.Where(new FieldCondition("count", FieldOperator.Equal, JsonValue.Create("7")))));
        Assert.Empty(await QueryIdsAsync(RecordQuery.Where(new FieldCondition("noSuchField", FieldOperator.LessThan, JsonValue.Create("z")))));
        Assert.Equal(["s"], await QueryIdsAsync(RecordQuery.Where(new FieldCondition("name", FieldOperator.Equal, JsonValue.Create("7")))));
    }

    [Fact]
    public async Task QueryWithNoConditionsReturnsTheWholePartition()
    {
        Assert.Empty(await QueryIdsAsync(RecordQuery.All));

        await SeedAsync(("x", Sample("x")), ("y", Sample("y")));

        Assert.Equal(["x", "y"], await QueryIdsAsync(RecordQuery.All));
    }

    [Fact]
    public async Task QueryReturnsDocumentsWithTheirETags()
    {
        StoredRecord<SampleDocument> created = await Store.CreateAsync(Container, Partition, "e", Sample("e", count: 2));

        RecordPage<SampleDocument> page = await Store.QueryAsync<SampleDocument>(Container, Partition, RecordQuery.All, 10, null);

        StoredRecord<SampleDocument> item = Assert.Single(page.Items);
        Assert.Equal(created.ETag, item.ETag);
        Assert.Equal(Partition, item.PartitionKey);
        Assert.Equal(created.Document, item.Document);
        Assert.Null(page.Continuation);

        // The ETag a query returns is good for a conditional replace.
        await Store.ReplaceAsync(Container, Partition, "e", Sample("e2"), item.ETag);
    }

    [Fact]
    public async Task QueryPagesThroughEveryDocumentExactlyOnce()
    {
        for (int i = 0; i < 25; i++)
        {
            await Store.CreateAsync(Container, Partition, $"doc-{i:D2}", Sample($"n{i}", count: i));
        }

        var seen = new List<string>();
        var pageSizes = new List<int>();
        string? continuation = null;
        do
        {
            RecordPage<SampleDocument> page = await Store.QueryAsync<SampleDocument>(Container, Partition, RecordQuery.All, 10, continuation);
            pageSizes.Add(page.Items.Count);
            seen.AddRange(page.Items.Select(r => r.Id));
            continuation = page.Continuation;
        }
        while (continuation is not null && pageSizes.Count < 10);

        Assert.Equal([10, 10, 5], pageSizes);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"doc-{i:D2}"), seen.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task QueryPagesThroughFilteredResults()
    {
        for (int i = 0; i < 20; i++)
        {
            await Store.CreateAsync(Container, Partition, $"doc-{i:D2}", Sample($"n{i}", count: i, flagged: i % 2 == 0));
        }

        RecordQuery query = RecordQuery.Where(new FieldCondition("flagged", FieldOperator.Equal, JsonValue.Create(true)));
        var seen = new List<string>();
        string? continuation = null;
        int pages = 0;
        do
        {
            RecordPage<SampleDocument> page = await Store.QueryAsync<SampleDocument>(Container, Partition, query, 4, continuation);
            Assert.InRange(page.Items.Count, 0, 4);
            Assert.All(page.Items, r => Assert.True(r.Document.Flagged));
            seen.AddRange(page.Items.Select(r => r.Id));
            continuation = page.Continuation;
            pages++;
        }
        while (continuation is not null && pages < 10);

        Assert.Null(continuation);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"doc-{2 * i:D2}"), seen.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PartitionsAreIsolated()
    {
        string other = NewPartitionKey();
        await Store.CreateAsync(Container, Partition, "same-id", Sample("mine", site: "shared"));
        await Store.CreateAsync(Container, other, "same-id", Sample("theirs", site: "shared"));
        await Store.CreateAsync(Container, other, "only-there", Sample("theirs-too", site: "shared"));

        Assert.Equal("mine", (await Store.ReadAsync<SampleDocument>(Container, Partition, "same-id"))!.Document.Name);
        Assert.Equal("theirs", (await Store.ReadAsync<SampleDocument>(Container, other, "same-id"))!.Document.Name);
        Assert.Null(await Store.ReadAsync<SampleDocument>(Container, Partition, "only-there"));

        RecordQuery shared = RecordQuery.Where(new FieldCondition("camera.site", FieldOperator.Equal, JsonValue.Create("shared")));
        Assert.Equal(["same-id"], await QueryIdsAsync(shared));
        Assert.Equal(["same-id"], await QueryIdsAsync(RecordQuery.All));
        RecordPage<SampleDocument> theirs = await Store.QueryAsync<SampleDocument>(Container, other, shared, 10, null);
        Assert.Equal(["only-there", "same-id"], theirs.Items.Select(r => r.Id).Order(StringComparer.Ordinal));
        Assert.All(theirs.Items, r => Assert.Equal(other, r.PartitionKey));

        Assert.True(await Store.DeleteAsync(Container, Partition, "same-id"));
        Assert.NotNull(await Store.ReadAsync<SampleDocument>(Container, other, "same-id"));
    }

    [Fact]
    public async Task ContainersAreIsolated()
    {
        await Store.CreateAsync(Containers.Recordings, Partition, "x", Sample("recording"));
        await Store.CreateAsync(Containers.Audit, Partition, "x", Sample("audit"));

        Assert.Equal("recording", (await Store.ReadAsync<SampleDocument>(Containers.Recordings, Partition, "x"))!.Document.Name);
        Assert.Equal("audit", (await Store.ReadAsync<SampleDocument>(Containers.Audit, Partition, "x"))!.Document.Name);
        Assert.Null(await Store.ReadAsync<SampleDocument>(Containers.Holds, Partition, "x"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a..b")]
    [InlineData(".a")]
    [InlineData("a.")]
    [InlineData("a b")]
    [InlineData("a-b")]
    [InlineData("a[0]")]
    [InlineData("name') OR 1=1 --")]
    [InlineData("name\"]")]
    [InlineData("capturedAt\n")]
    [InlineData("caméra")]
    [InlineData("id")]
    [InlineData("pk")]
    [InlineData("_ts")]
    public async Task QueryRejectsAnInvalidFieldPath(string field)
    {
        await Store.CreateAsync(Container, Partition, "x", Sample("x"));

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.QueryAsync<SampleDocument>(
            Container, Partition, RecordQuery.Where(new FieldCondition(field, FieldOperator.Equal, JsonValue.Create("x"))), 10, null));
    }

    [Fact]
    public async Task QueryRejectsAPageSizeBelowOne()
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.QueryAsync<SampleDocument>(Container, Partition, RecordQuery.All, 0, null));
    }

    [Fact]
    public async Task UnicodeContentRoundTripsAndMatchesInQueries()
    {
        const string name = "Zoë «Ωμέγα» 東京 مرحبا 👩‍👩‍👧 \"quoted\" back\\slash tab\t line\nbreak \u0001 \u00e9\u0301";
        string partition = "bâtiment-ß-" + Guid.NewGuid().ToString("N");
        SampleDocument document = Sample(name, site: "Škoda-😀");

        await Store.CreateAsync(Container, partition, "ключ-①", document);

        StoredRecord<SampleDocument>? read = await Store.ReadAsync<SampleDocument>(Container, partition, "ключ-①");
        Assert.NotNull(read);
        Assert.Equal(document, read.Document);
        Assert.Equal("ключ-①", read.Id);
        Assert.Equal(partition, read.PartitionKey);

        RecordPage<SampleDocument> page = await Store.QueryAsync<SampleDocument>(Container, partition,
            RecordQuery.Where(new FieldCondition("name", FieldOperator.Equal, JsonValue.Create(name)),
                new FieldCondition("camera.site", FieldOperator.Equal, JsonValue.Create("Škoda-😀"))), 10, null);
        Assert.Equal(document, Assert.Single(page.Items).Document);
    }

    [Fact]
    public async Task JsonObjectsRoundTripAsDocuments()
    {
        var document = new JsonObject { ["value"] = 42, ["select"] = "keyword names", ["nested"] = new JsonObject { ["order"] = true } };

        await Store.CreateAsync(Container, Partition, "json", document);

        StoredRecord<JsonObject>? read = await Store.ReadAsync<JsonObject>(Container, Partition, "json");
        Assert.NotNull(read);
        Assert.True(JsonNode.DeepEquals(document, read.Document), read.Document.ToJsonString());
        Assert.Equal(["json"], await QueryIdsAsync(RecordQuery.Where(
            new FieldCondition("value", FieldOperator.GreaterThan, JsonValue.Create(41)),
            new FieldCondition("nested.order", FieldOperator.Equal, JsonValue.Create(true)))));
    }

    [Theory]
    [InlineData("id")]
    [InlineData("pk")]
    [InlineData("_etag")]
    [InlineData("_ts")]
    public async Task DocumentsCarryingAReservedPropertyAreRejected(string property)
    {
        var document = new JsonObject { [property] = "mine", ["name"] = "x" };

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.CreateAsync(Container, Partition, "reserved", document));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.UpsertAsync(Container, Partition, "reserved", document));
        Assert.Null(await Store.ReadAsync<JsonObject>(Container, Partition, "reserved"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("a?b")]
    [InlineData("a#b")]
    public async Task InvalidIdsAreRejected(string id)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.CreateAsync(Container, Partition, id, Sample("x")));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.ReadAsync<SampleDocument>(Container, Partition, id));
    }

    [Fact]
    public async Task UnknownContainersAreRejected()
    {
        // A write is refused before anything else: the container declares no rule (O1, RecordStoreContract.DataInventory).
        await Assert.ThrowsAsync<OneValet.Pipeline.Retention.UndeclaredRecordKindException>(() => Store.CreateAsync("recordingz", Partition, "x", Sample("x")));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.ReadAsync<SampleDocument>("recordingz", Partition, "x"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.QueryAsync<SampleDocument>("recordingz", Partition, RecordQuery.All, 10, null));
    }

    [Fact]
    public async Task ConcurrentWritersAllLandAndOnlyOneConditionalReplaceWins()
    {
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Store.CreateAsync(Container, Partition, $"c{i:D2}", Sample($"n{i}", count: i))));
        Assert.Equal(40, (await QueryIdsAsync(RecordQuery.All)).Count);

        StoredRecord<SampleDocument> current = (await Store.ReadAsync<SampleDocument>(Container, Partition, "c00"))!;
        Task<StoredRecord<SampleDocument>>[] attempts = Enumerable.Range(0, 8)
            .Select(i => Store.ReplaceAsync(Container, Partition, "c00", Sample($"winner-{i}"), current.ETag))
            .ToArray();
        try
        {
            await Task.WhenAll(attempts);
        }
        catch (RecordPreconditionFailedException)
        {
            // Expected for all but one; each task is checked below.
        }

        Assert.Equal(1, attempts.Count(t => t.IsCompletedSuccessfully));
        Assert.All(attempts.Where(t => !t.IsCompletedSuccessfully), t => Assert.IsType<RecordPreconditionFailedException>(t.Exception!.InnerException));
        StoredRecord<SampleDocument> winner = await attempts.Single(t => t.IsCompletedSuccessfully);
        Assert.Equal(winner.Document.Name, (await Store.ReadAsync<SampleDocument>(Container, Partition, "c00"))!.Document.Name);
    }

    protected async Task SeedAsync(params (string Id, SampleDocument Document)[] documents)
    {
        foreach ((string id, SampleDocument document) in documents)
        {
            await Store.CreateAsync(Container, Partition, id, document);
        }
    }

    /// <summary>Every id the query finds in this test's partition, across all pages, sorted (queries have no order).</summary>
    protected async Task<IReadOnlyList<string>> QueryIdsAsync(RecordQuery query)
    {
        var ids = new List<string>();
        string? continuation = null;
        int pages = 0;
        do
        {
            RecordPage<JsonObject> page = await Store.QueryAsync<JsonObject>(Container, Partition, query, 100, continuation);
            ids.AddRange(page.Items.Select(r => r.Id));
            continuation = page.Continuation;
        }
        while (continuation is not null && ++pages < 100);

        return ids.Order(StringComparer.Ordinal).ToList();
    }
}
