using Microsoft.Data.Sqlite;
using OneValet.Pipeline.Storage;
using Xunit;

namespace OneValet.Tests.Storage;

/// <summary>The contract against <see cref="SqliteRecordStore"/> on a fresh temporary database file per test.</summary>
public sealed class SqliteRecordStoreTests : RecordStoreContract, IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "onevalet-tests", Guid.NewGuid().ToString("N"));
    private readonly SqliteRecordStore store;

    public SqliteRecordStoreTests()
    {
        store = new SqliteRecordStore(DatabasePath);
    }

    protected override IRecordStore Store => store;

    private string DatabasePath => Path.Combine(directory, "records.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the temp folder is cleaned by the OS eventually.
        }
    }

    [Fact]
    public async Task ANewStoreOnTheSameFileSeesCommittedData()
    {
        StoredRecord<SampleDocument> written = await store.CreateAsync(Containers.Audit, Partition, "kept", Sample("durable", count: 9));
        await store.CreateAsync(Containers.Audit, Partition, "removed", Sample("gone"));
        await store.DeleteAsync(Containers.Audit, Partition, "removed");

        // Close every pooled connection, so the second store reads the file, not a cached handle.
        SqliteConnection.ClearAllPools();
        var reopened = new SqliteRecordStore(DatabasePath);

        StoredRecord<SampleDocument>? read = await reopened.ReadAsync<SampleDocument>(Containers.Audit, Partition, "kept");
        Assert.NotNull(read);
        Assert.Equal(written.Document, read.Document);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Null(await reopened.ReadAsync<SampleDocument>(Containers.Audit, Partition, "removed"));
        await reopened.ReplaceAsync(Containers.Audit, Partition, "kept", Sample("changed"), read.ETag);
    }

    [Fact]
    public async Task ARowWrittenByAnotherHandWithTheStoresOwnPropertiesReadsAsStoredWithoutThem()
    {
        // Every write of this store refuses them, so a body holding "id" or "_ts" was written by something else (a restore, a
        // hand): the read as stored (the access export's) falls back to the path that removes them.
        await store.CreateAsync(Containers.Audit, Partition, "foreign", Sample("placeholder"));
        await using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE records SET body = $body WHERE container = $container AND pk = $pk AND id = 'foreign'";
            command.Parameters.AddWithValue("$body", """{"id":"foreign","name":"kept","_ts":1,"pk":"x","count":2}""");
            command.Parameters.AddWithValue("$container", Containers.Audit);
            command.Parameters.AddWithValue("$pk", Partition);
            await command.ExecuteNonQueryAsync();
        }

        SqliteConnection.ClearAllPools();
        var read = (await store.ReadAsync<System.Text.Json.JsonElement>(Containers.Audit, Partition, "foreign"))!.Document;
        var queried = Assert.Single((await store.QueryAsync<System.Text.Json.JsonElement>(Containers.Audit, Partition, RecordQuery.All, 10, null)).Items).Document;
        foreach (var element in new[] { read, queried })
        {
            Assert.Equal(["name", "count"], element.EnumerateObject().Select(p => p.Name));
            Assert.Equal("kept", element.GetProperty("name").GetString());
        }
    }

    [Fact]
    public async Task TheDatabaseIsInWalMode()
    {
        await store.CreateAsync(Containers.Holds, Partition, "x", Sample("x"));

        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a token")]
    [InlineData("c29tZXRoaW5nLWVsc2U")]
    public async Task AForeignContinuationIsRejected(string continuation)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(
            () => store.QueryAsync<SampleDocument>(Containers.Recordings, Partition, RecordQuery.All, 10, continuation));
    }

    [Fact]
    public void TheConstructorCreatesTheFolder()
    {
        Assert.True(File.Exists(DatabasePath));
    }
}
