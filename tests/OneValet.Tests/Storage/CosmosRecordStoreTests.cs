using System.Text.Json;
using Microsoft.Azure.Cosmos;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Storage;

/// <summary>The contract against <see cref="CosmosRecordStore"/> on the local Cosmos-protocol server the fixture starts.</summary>
[Collection(CosmosServerDefinition.Name)]
public sealed class CosmosRecordStoreTests(CosmosServerFixture server) : RecordStoreContract
{
    private readonly CosmosRecordStore store = new(server.Client, CosmosServerFixture.DatabaseName);

    protected override IRecordStore Store => store;

    [Fact]
    public async Task StoredDocumentsCarryIdAndPkForThePartitionKeyPath()
    {
        await store.CreateAsync(Containers.Recordings, Partition, "raw", Sample("raw", count: 4, kind: SampleKind.FacialEntry));

        Container container = server.Client.GetContainer(CosmosServerFixture.DatabaseName, Containers.Recordings);
        using ResponseMessage response = await container.ReadItemStreamAsync("raw", new PartitionKey(Partition));
        Assert.True(response.IsSuccessStatusCode, response.StatusCode.ToString());
        using JsonDocument raw = await JsonDocument.ParseAsync(response.Content);
        Assert.Equal("raw", raw.RootElement.GetProperty("id").GetString());
        Assert.Equal(Partition, raw.RootElement.GetProperty("pk").GetString());
        Assert.Equal("facialEntry", raw.RootElement.GetProperty("kind").GetString());
        Assert.Equal(4, raw.RootElement.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task EnsureCreatedIsIdempotent()
    {
        await CosmosRecordStore.EnsureCreatedAsync(server.Client, CosmosServerFixture.DatabaseName);

        foreach (string name in Containers.All)
        {
            ContainerResponse container = await server.Client.GetContainer(CosmosServerFixture.DatabaseName, name).ReadContainerAsync();
            Assert.Equal(Containers.PartitionKeyPath, container.Resource.PartitionKeyPath);
        }
    }
}
