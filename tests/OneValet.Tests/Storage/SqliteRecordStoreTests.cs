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
