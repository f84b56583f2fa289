using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using Xunit;

namespace OneValet.Tests.Storage;

/// <summary>
/// O1, O7: every store refuses a write to a container that declares no category, purpose and retention rule
/// (<see cref="DataInventory"/>), and accepts one to every container the pipeline uses. The list of containers comes from
/// <see cref="Containers.All"/>, so a container added there without a declared rule fails here, in both stores.
/// </summary>
public abstract partial class RecordStoreContract
{
    public static TheoryData<string> EveryContainer() => [.. Containers.All];

    [Theory]
    [MemberData(nameof(EveryContainer))]
    public async Task Every_container_the_pipeline_uses_declares_its_rule_and_takes_a_write(string container)
    {
        var kind = DataInventory.Find(StoreKind.Records, container);
        Assert.NotNull(kind);
        var partition = NewPartitionKey();
        await Store.CreateAsync(container, partition, "inventory-1", Sample("created"));
        await Store.UpsertAsync(container, partition, "inventory-2", Sample("upserted"));
        var read = await Store.ReadAsync<SampleDocument>(container, partition, "inventory-1");
        Assert.NotNull(read);
        await Store.ReplaceAsync(container, partition, "inventory-1", Sample("replaced"), read.ETag);
        Assert.Equal("replaced", (await Store.ReadAsync<SampleDocument>(container, partition, "inventory-1"))!.Document.Name);
        Assert.True(await Store.DeleteAsync(container, partition, "inventory-1"));
        Assert.True(await Store.DeleteAsync(container, partition, "inventory-2"));
    }

    [Theory]
    [InlineData("scratch")]
    [InlineData("Recordings")]
    [InlineData("recordings ")]
    [InlineData("exports")] // a blob container's name: declared for blobs, not as a record container
    public async Task A_write_to_a_container_with_no_declared_rule_is_refused_naming_the_container_and_nothing_else(string container)
    {
        var personal = Sample("jane.doe@example.com");
        var refusals = new List<UndeclaredRecordKindException>
        {
            await Assert.ThrowsAsync<UndeclaredRecordKindException>(() => Store.CreateAsync(container, Partition, "undeclared", personal)),
            await Assert.ThrowsAsync<UndeclaredRecordKindException>(() => Store.UpsertAsync(container, Partition, "undeclared", personal)),
            await Assert.ThrowsAsync<UndeclaredRecordKindException>(() => Store.ReplaceAsync(container, Partition, "undeclared", personal, "\"etag\"")),
        };
        foreach (var refusal in refusals)
        {
            Assert.Contains($"'{container}'", refusal.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("jane.doe", refusal.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Partition, refusal.Message, StringComparison.Ordinal);
        }
    }
}
