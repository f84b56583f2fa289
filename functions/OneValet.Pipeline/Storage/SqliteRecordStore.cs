using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace OneValet.Pipeline.Storage;

/// <summary>
/// The local host's durable record store: one SQLite database file, one table <c>records</c> keyed by
/// (container, pk, id), the document as JSON text, conditions evaluated with <c>json_extract</c>.
/// </summary>
/// <remarks>
/// <para>Durability: the journal is WAL and every connection runs with <c>synchronous=FULL</c>. In WAL mode a commit
/// is appended to the WAL with write() before the call returns, so a process killed with SIGKILL after a commit
/// loses nothing even with NORMAL (the bytes are in the OS page cache). FULL additionally fsyncs the WAL on every
/// commit, so a committed write also survives an OS crash or power loss; the audit and deletion records this store
/// keeps are worth that price, and the local host's write rate is low.</para>
/// <para>Concurrency: a connection per operation, taken from Microsoft.Data.Sqlite's pool, so the store is safe for
/// concurrent callers in one process. SQLite serializes writers; a writer waits up to <see cref="BusyTimeout"/> for the
/// lock (busy_timeout). Conditional writes run in an IMMEDIATE transaction, so check and write are atomic.</para>
/// <para>Paging: keyset paging by id inside the partition. The continuation is an opaque base64url token holding the
/// last id returned, so pages stay correct while documents are added or removed between pages.</para>
/// </remarks>
public sealed class SqliteRecordStore : IRecordStore
{
    /// <summary>How long a statement waits for another writer's lock before failing with "database is locked".</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(10);

    private const int SchemaVersion = 1;
    private const string ContinuationPrefix = "sqlite:1:";

    // synchronous and busy_timeout are per connection. A pooled connection keeps them, but setting them on every open
    // is cheap and does not depend on whether the pool handed out a fresh connection.
    private static readonly string ConnectionPragmas =
        $"PRAGMA synchronous = FULL; PRAGMA busy_timeout = {(long)BusyTimeout.TotalMilliseconds};";

    private readonly string connectionString;

    /// <summary>Opens (creating if needed) the database file at <paramref name="databasePath"/> and its schema.</summary>
    public SqliteRecordStore(string databasePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        string fullPath = Path.GetFullPath(databasePath);
        string? directory = Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString();
        DatabasePath = fullPath;
        Initialize();
    }

    /// <summary>The full path of the database file.</summary>
    public string DatabasePath { get; }

    public async Task<StoredRecord<T>?> ReadAsync<T>(string container, string partitionKey, string id, CancellationToken cancellationToken = default)
    {
        RecordJson.ValidateKey(container, partitionKey, id);
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT etag, body FROM records WHERE container = $container AND pk = $pk AND id = $id";
        AddKey(command, container, partitionKey, id);
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new StoredRecord<T>(id, partitionKey, reader.GetString(0), Deserialize<T>(reader.GetString(1)));
    }

    public async Task<StoredRecord<T>> CreateAsync<T>(string container, string partitionKey, string id, T document, CancellationToken cancellationToken = default)
    {
        RecordJson.ValidateWrite(container, partitionKey, id);
        string body = RecordJson.ToJsonObject(document).ToJsonString(RecordJson.Options);
        string etag = NewETag();
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO records (container, pk, id, etag, body) VALUES ($container, $pk, $id, $etag, $body)
            ON CONFLICT (container, pk, id) DO NOTHING
            """;
        AddKey(command, container, partitionKey, id);
        command.Parameters.AddWithValue("$etag", etag);
        command.Parameters.AddWithValue("$body", body);
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            throw new RecordConflictException(container, id);
        }

        return new StoredRecord<T>(id, partitionKey, etag, document);
    }

    public async Task<StoredRecord<T>> UpsertAsync<T>(string container, string partitionKey, string id, T document, CancellationToken cancellationToken = default)
    {
        RecordJson.ValidateWrite(container, partitionKey, id);
        string body = RecordJson.ToJsonObject(document).ToJsonString(RecordJson.Options);
        string etag = NewETag();
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO records (container, pk, id, etag, body) VALUES ($container, $pk, $id, $etag, $body)
            ON CONFLICT (container, pk, id) DO UPDATE SET etag = excluded.etag, body = excluded.body
            """;
        AddKey(command, container, partitionKey, id);
        command.Parameters.AddWithValue("$etag", etag);
        command.Parameters.AddWithValue("$body", body);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return new StoredRecord<T>(id, partitionKey, etag, document);
    }

    /// <summary>Writes many documents of one container in one transaction (seeding a benchmark, loading an export):
    /// the same validation and JSON as <see cref="UpsertAsync{T}"/>, one commit instead of one per document.</summary>
    public async Task<int> ImportAsync<T>(string container, IEnumerable<(string PartitionKey, string Id, T Document)> documents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        Retention.DataInventory.EnsureDeclared(container);
        RecordJson.ValidateContainer(container);
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO records (container, pk, id, etag, body) VALUES ($container, $pk, $id, $etag, $body)
            ON CONFLICT (container, pk, id) DO UPDATE SET etag = excluded.etag, body = excluded.body
            """;
        var pContainer = command.Parameters.Add("$container", SqliteType.Text);
        var pPk = command.Parameters.Add("$pk", SqliteType.Text);
        var pId = command.Parameters.Add("$id", SqliteType.Text);
        var pEtag = command.Parameters.Add("$etag", SqliteType.Text);
        var pBody = command.Parameters.Add("$body", SqliteType.Text);
        pContainer.Value = container;
        var count = 0;
        foreach (var (partitionKey, id, document) in documents)
        {
            RecordJson.ValidatePartitionKey(partitionKey);
            RecordJson.ValidateId(id);
            pPk.Value = partitionKey;
            pId.Value = id;
            pEtag.Value = NewETag();
            pBody.Value = RecordJson.ToJsonObject(document).ToJsonString(RecordJson.Options);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            count++;
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return count;
    }

    public async Task<StoredRecord<T>> ReplaceAsync<T>(string container, string partitionKey, string id, T document, string ifMatchETag, CancellationToken cancellationToken = default)
    {
        RecordJson.ValidateWrite(container, partitionKey, id);
        ArgumentException.ThrowIfNullOrEmpty(ifMatchETag);
        string body = RecordJson.ToJsonObject(document).ToJsonString(RecordJson.Options);
        string etag = NewETag();
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);

        // IMMEDIATE: the write lock is taken up front, so the ETag check and the update see the same row.
        await using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        await using (SqliteCommand select = connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = "SELECT etag FROM records WHERE container = $container AND pk = $pk AND id = $id";
            AddKey(select, container, partitionKey, id);
            object? current = await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            if (current is not string currentETag)
            {
                throw new RecordNotFoundException(container, id);
            }

            if (!string.Equals(currentETag, ifMatchETag, StringComparison.Ordinal))
            {
                throw new RecordPreconditionFailedException(container, id);
            }
        }

        await using (SqliteCommand update = connection.CreateCommand())
        {
            update.Transaction = transaction;
            update.CommandText = "UPDATE records SET etag = $etag, body = $body WHERE container = $container AND pk = $pk AND id = $id";
            AddKey(update, container, partitionKey, id);
            update.Parameters.AddWithValue("$etag", etag);
            update.Parameters.AddWithValue("$body", body);
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new StoredRecord<T>(id, partitionKey, etag, document);
    }

    public async Task<bool> DeleteAsync(string container, string partitionKey, string id, CancellationToken cancellationToken = default)
    {
        RecordJson.ValidateKey(container, partitionKey, id);
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "DELETE FROM records WHERE container = $container AND pk = $pk AND id = $id";
        AddKey(command, container, partitionKey, id);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    public async Task<RecordPage<T>> QueryAsync<T>(string container, string partitionKey, RecordQuery query, int pageSize, string? continuation, CancellationToken cancellationToken = default)
    {
        RecordJson.ValidateContainer(container);
        RecordJson.ValidatePartitionKey(partitionKey);
        ArgumentNullException.ThrowIfNull(query);
        RecordJson.ValidatePageSize(pageSize);
        string? afterId = continuation is null ? null : DecodeContinuation(continuation);

        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        var sql = new StringBuilder("SELECT id, etag, body FROM records WHERE container = $container AND pk = $pk");
        command.Parameters.AddWithValue("$container", container);
        command.Parameters.AddWithValue("$pk", partitionKey);
        if (afterId is not null)
        {
            sql.Append(" AND id > $after");
            command.Parameters.AddWithValue("$after", afterId);
        }

        for (int i = 0; i < query.Conditions.Count; i++)
        {
            AppendCondition(sql, command, query.Conditions[i], i);
        }

        // One row more than the page tells whether there is a next page, so the last page has no continuation.
        sql.Append(" ORDER BY id LIMIT $limit");
        command.Parameters.AddWithValue("$limit", (long)pageSize + 1);
        command.CommandText = sql.ToString();

        var items = new List<StoredRecord<T>>(Math.Min(pageSize, 1000));
        bool more = false;
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (items.Count == pageSize)
            {
                more = true;
                break;
            }

            items.Add(new StoredRecord<T>(reader.GetString(0), partitionKey, reader.GetString(1), Deserialize<T>(reader.GetString(2))));
        }

        return new RecordPage<T>(items, more ? EncodeContinuation(items[^1].Id) : null);
    }

    /// <summary>
    /// Appends "AND &lt;condition&gt;". The JSON path is built from the validated segments (letters, digits, '_')
    /// and passed as a parameter, like the value. The type check makes SQLite agree with Cosmos DB, where a
    /// comparison between different JSON types is undefined and so never matches (SQLite would order them instead).
    /// </summary>
    private static void AppendCondition(StringBuilder sql, SqliteCommand command, FieldCondition condition, int index)
    {
        JsonValueKind kind = RecordJson.ValidateCondition(condition);
        string[] segments = RecordJson.ParseFieldPath(condition.Field);
        string pathName = "$path" + index.ToString(CultureInfo.InvariantCulture);
        string valueName = "$value" + index.ToString(CultureInfo.InvariantCulture);
        command.Parameters.AddWithValue(pathName, "$." + string.Join('.', segments.Select(s => "\"" + s + "\"")));

        JsonElement value = JsonSerializer.SerializeToElement(condition.Value, RecordJson.Options);
        string types;
        object parameter;
        switch (kind)
        {
            case JsonValueKind.String:
                types = "'text'";
                parameter = value.GetString()!;
                break;
            case JsonValueKind.Number:
                types = "'integer', 'real'";
                parameter = value.TryGetInt64(out long integer) ? integer : value.GetDouble();
                break;
            default:
                // json_extract gives 0 for false and 1 for true, so false < true as in Cosmos DB.
                types = "'true', 'false'";
                parameter = kind == JsonValueKind.True ? 1L : 0L;
                break;
        }

        command.Parameters.AddWithValue(valueName, parameter);
        string op = condition.Operator switch
        {
            FieldOperator.Equal => "=",
            FieldOperator.LessThan => "<",
            FieldOperator.LessThanOrEqual => "<=",
            FieldOperator.GreaterThan => ">",
            FieldOperator.GreaterThanOrEqual => ">=",
            _ => throw new ArgumentOutOfRangeException(nameof(condition)),
        };
        sql.Append(CultureInfo.InvariantCulture,
            $" AND json_type(body, {pathName}) IN ({types}) AND json_extract(body, {pathName}) {op} {valueName}");
    }

    private static T Deserialize<T>(string body)
    {
        // A document read as it is stored (the access export copies each door event's text into the file, issue 15.7):
        // parsed once, where the general path builds a node tree, removes the store's properties and writes and parses it
        // again (measured on 10,000 door events under load, through the store: 60 to 105 ms of CPU against 40 to 45). A body holds none of the store's own
        // properties (every write refuses them); one that does takes the general path, which removes them.
        if (typeof(T) == typeof(JsonElement))
        {
            var element = JsonElement.Parse(body);
            if (element.ValueKind == JsonValueKind.Object && !RecordJson.HasReservedProperty(element))
            {
                return (T)(object)element;
            }
        }

        return RecordJson.FromJsonObject<T>(JsonNode.Parse(body) as JsonObject
            ?? throw new InvalidDataException("A stored document is not a JSON object."));
    }

    private static void AddKey(SqliteCommand command, string container, string partitionKey, string id)
    {
        command.Parameters.AddWithValue("$container", container);
        command.Parameters.AddWithValue("$pk", partitionKey);
        command.Parameters.AddWithValue("$id", id);
    }

    private static string NewETag() => "\"" + Guid.NewGuid().ToString("N") + "\"";

    private static string EncodeContinuation(string lastId) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(ContinuationPrefix + lastId));

    private static string DecodeContinuation(string continuation)
    {
        try
        {
            string text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(continuation));
            if (text.StartsWith(ContinuationPrefix, StringComparison.Ordinal) && text.Length > ContinuationPrefix.Length)
            {
                return text[ContinuationPrefix.Length..];
            }
        }
        catch (FormatException)
        {
        }

        throw new ArgumentException("The continuation is not one this store returned.", nameof(continuation));
    }

    private void Initialize()
    {
        using SqliteConnection connection = Open();
        using SqliteCommand command = connection.CreateCommand();

        // WAL is a property of the file: set once, it stays for every later connection.
        command.CommandText = "PRAGMA journal_mode = WAL";
        string? mode = command.ExecuteScalar() as string;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"The SQLite database could not switch to WAL mode (it is in '{mode}').");
        }

        command.CommandText = "PRAGMA user_version";
        long version = (long)command.ExecuteScalar()!;
        if (version > SchemaVersion)
        {
            throw new InvalidOperationException(
                $"The SQLite database has schema version {version}; this build knows up to {SchemaVersion}.");
        }

        command.CommandText = $"""
            CREATE TABLE IF NOT EXISTS records (
                container TEXT NOT NULL,
                pk TEXT NOT NULL,
                id TEXT NOT NULL,
                etag TEXT NOT NULL,
                body TEXT NOT NULL,
                PRIMARY KEY (container, pk, id)
            ) WITHOUT ROWID;
            PRAGMA user_version = {SchemaVersion};
            """;
        command.ExecuteNonQuery();
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = ConnectionPragmas;
            command.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using SqliteCommand command = connection.CreateCommand();
            command.CommandText = ConnectionPragmas;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
