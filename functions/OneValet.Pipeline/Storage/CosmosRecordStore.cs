using System.Collections.Frozen;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Azure.Cosmos;

namespace OneValet.Pipeline.Storage;

/// <summary>
/// The Azure record store on Cosmos DB (NoSQL API). Every container has the partition key path <c>/pk</c>; the store
/// writes <c>id</c> and <c>pk</c> into each document and strips them and the system properties on read.
/// </summary>
/// <remarks>
/// Documents go through the stream APIs and System.Text.Json with <see cref="RecordJson.Options"/>, so the SDK's
/// Newtonsoft serializer never touches them (query parameters are passed pre-serialized too). Every operation is a
/// single-partition one: point operations by (pk, id), queries with <see cref="QueryRequestOptions.PartitionKey"/> set.
/// </remarks>
public sealed class CosmosRecordStore(CosmosClient client, string databaseName) : IRecordStore
{
    private const string DocumentsProperty = "Documents";

    private readonly FrozenDictionary<string, Container> containers = CreateContainers(client, databaseName);

    /// <summary>Creates the database and every container of <see cref="Containers.All"/> (partition key
    /// <see cref="Containers.PartitionKeyPath"/>) when missing. For the tests and the local emulator; in Azure the
    /// Bicep templates create them.</summary>
    public static async Task EnsureCreatedAsync(CosmosClient client, string databaseName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(databaseName);
        DatabaseResponse database = await client.CreateDatabaseIfNotExistsAsync(databaseName, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        foreach (string name in Containers.All)
        {
            await database.Database.CreateContainerIfNotExistsAsync(
                new ContainerProperties(name, Containers.PartitionKeyPath), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<StoredRecord<T>?> ReadAsync<T>(string container, string partitionKey, string id, CancellationToken cancellationToken = default)
    {
        RecordJson.ValidateKey(container, partitionKey, id);
        Container target = containers[container];
        using (ResponseMessage response = await target.ReadItemStreamAsync(id, new PartitionKey(partitionKey), cancellationToken: cancellationToken)
            .ConfigureAwait(false))
        {
            if (response.IsSuccessStatusCode)
            {
                JsonObject json = await ParseObjectAsync(response.Content, cancellationToken).ConfigureAwait(false);
                return ToRecord<T>(json, id, partitionKey, response.Headers.ETag);
            }

            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                ThrowIfContainerMissing(response, container);
                return null;
            }

            if (response.StatusCode != HttpStatusCode.InternalServerError)
            {
                throw Failure(response, container, id);
            }
        }

        // A 500 on a point read is not taken as "not found": the answer is asked again as a single-partition query by
        // id, which finds the document or positively confirms that there is none. In Azure a 500 is a rare server
        // fault, and the query (or its own failure) is then the honest answer. The local @vercel/cosmosdb-server
        // answers every read of a missing document with 500 (read-document.js dereferences the missing item and
        // throws a TypeError), while its query endpoint is correct; so this path is how reads of missing documents
        // work there, with no emulator-only switch in production code.
        var query = new QueryDefinition("SELECT * FROM c WHERE c.pk = @pk AND c.id = @id")
            .WithParameterStream("@pk", JsonStream(partitionKey))
            .WithParameterStream("@id", JsonStream(id));
        using FeedIterator iterator = target.GetItemQueryStreamIterator(query, requestOptions: new QueryRequestOptions
        {
            PartitionKey = new PartitionKey(partitionKey),
            MaxItemCount = 1,
        });
        while (iterator.HasMoreResults)
        {
            using ResponseMessage page = await iterator.ReadNextAsync(cancellationToken).ConfigureAwait(false);
            if (!page.IsSuccessStatusCode)
            {
                throw Failure(page, container, id);
            }

            IReadOnlyList<StoredRecord<T>> found = await ReadDocumentsAsync<T>(page.Content, partitionKey, cancellationToken).ConfigureAwait(false);
            if (found.Count > 0)
            {
                return found[0];
            }
        }

        return null;
    }

    public Task<StoredRecord<T>> CreateAsync<T>(string container, string partitionKey, string id, T document, CancellationToken cancellationToken = default)
    {
        RecordJson.ValidateWrite(container, partitionKey, id);
        MemoryStream body = Serialize(document, partitionKey, id);
        return WriteAsync(container, partitionKey, id, document, body,
            target => target.CreateItemStreamAsync(body, new PartitionKey(partitionKey), cancellationToken: cancellationToken));
    }

    public Task<StoredRecord<T>> UpsertAsync<T>(string container, string partitionKey, string id, T document, CancellationToken cancellationToken = default)
    {
        RecordJson.ValidateWrite(container, partitionKey, id);
        MemoryStream body = Serialize(document, partitionKey, id);
        return WriteAsync(container, partitionKey, id, document, body,
            target => target.UpsertItemStreamAsync(body, new PartitionKey(partitionKey), cancellationToken: cancellationToken));
    }

    public Task<StoredRecord<T>> ReplaceAsync<T>(string container, string partitionKey, string id, T document, string ifMatchETag, CancellationToken cancellationToken = default)
    {
        RecordJson.ValidateWrite(container, partitionKey, id);
        ArgumentException.ThrowIfNullOrEmpty(ifMatchETag);
        MemoryStream body = Serialize(document, partitionKey, id);
        return WriteAsync(container, partitionKey, id, document, body,
            target => target.ReplaceItemStreamAsync(body, id, new PartitionKey(partitionKey),
                new ItemRequestOptions { IfMatchEtag = ifMatchETag }, cancellationToken));
    }

    public async Task<bool> DeleteAsync(string container, string partitionKey, string id, CancellationToken cancellationToken = default)
    {
        RecordJson.ValidateKey(container, partitionKey, id);
        using ResponseMessage response = await containers[container]
            .DeleteItemStreamAsync(id, new PartitionKey(partitionKey), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return true;
        }

        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            ThrowIfContainerMissing(response, container);
            return false;
        }

        throw Failure(response, container, id);
    }

    public async Task<RecordPage<T>> QueryAsync<T>(string container, string partitionKey, RecordQuery query, int pageSize, string? continuation, CancellationToken cancellationToken = default)
    {
        RecordJson.ValidateContainer(container);
        RecordJson.ValidatePartitionKey(partitionKey);
        ArgumentNullException.ThrowIfNull(query);
        RecordJson.ValidatePageSize(pageSize);
        if (continuation is { Length: 0 })
        {
            throw new ArgumentException("The continuation is not one this store returned.", nameof(continuation));
        }

        QueryDefinition definition = BuildQuery(partitionKey, query);
        using FeedIterator iterator = containers[container].GetItemQueryStreamIterator(definition, continuation, new QueryRequestOptions
        {
            PartitionKey = new PartitionKey(partitionKey),
            MaxItemCount = pageSize,
        });
        using ResponseMessage page = await iterator.ReadNextAsync(cancellationToken).ConfigureAwait(false);
        if (!page.IsSuccessStatusCode)
        {
            if (page.StatusCode == HttpStatusCode.BadRequest && continuation is not null)
            {
                throw new ArgumentException("The continuation is not one this store returned.", nameof(continuation));
            }

            throw Failure(page, container, id: null);
        }

        IReadOnlyList<StoredRecord<T>> items = await ReadDocumentsAsync<T>(page.Content, partitionKey, cancellationToken).ConfigureAwait(false);
        return new RecordPage<T>(items, page.ContinuationToken);
    }

    /// <summary>
    /// "SELECT * FROM c WHERE c.pk = @pk AND ...". The partition key is repeated in the filter although the request is
    /// already scoped to it: harmless in Azure, and required by the local server, which ignores the request's partition
    /// and rejects a query without it. Field paths are validated segments written in bracket form (c["a"]["b"]), so a
    /// name that is a SQL keyword (e.g. "value") still works; every value is a parameter.
    /// </summary>
    internal static QueryDefinition BuildQuery(string partitionKey, RecordQuery query)
    {
        var sql = new StringBuilder("SELECT * FROM c WHERE c.pk = @pk");
        var parameters = new List<(string Name, MemoryStream Value)> { ("@pk", JsonStream(partitionKey)) };
        for (int i = 0; i < query.Conditions.Count; i++)
        {
            FieldCondition condition = query.Conditions[i];
            RecordJson.ValidateCondition(condition);
            string[] segments = RecordJson.ParseFieldPath(condition.Field);
            string name = "@v" + i.ToString(CultureInfo.InvariantCulture);
            string op = condition.Operator switch
            {
                FieldOperator.Equal => "=",
                FieldOperator.LessThan => "<",
                FieldOperator.LessThanOrEqual => "<=",
                FieldOperator.GreaterThan => ">",
                FieldOperator.GreaterThanOrEqual => ">=",
                _ => throw new ArgumentOutOfRangeException(nameof(query)),
            };
            sql.Append(" AND c");
            foreach (string segment in segments)
            {
                sql.Append("[\"").Append(segment).Append("\"]");
            }

            sql.Append(' ').Append(op).Append(' ').Append(name);
            parameters.Add((name, new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(condition.Value, RecordJson.Options))));
        }

        var definition = new QueryDefinition(sql.ToString());
        foreach ((string name, MemoryStream value) in parameters)
        {
            definition.WithParameterStream(name, value);
        }

        return definition;
    }

    private static FrozenDictionary<string, Container> CreateContainers(CosmosClient client, string databaseName)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(databaseName);
        Database database = client.GetDatabase(databaseName);
        return Containers.All.ToFrozenDictionary(name => name, database.GetContainer, StringComparer.Ordinal);
    }

    private async Task<StoredRecord<T>> WriteAsync<T>(
        string container, string partitionKey, string id, T document, MemoryStream body, Func<Container, Task<ResponseMessage>> send)
    {
        using (body)
        {
            using ResponseMessage response = await send(containers[container]).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    ThrowIfContainerMissing(response, container);
                }

                throw Failure(response, container, id);
            }

            return new StoredRecord<T>(id, partitionKey, response.Headers.ETag, document);
        }
    }

    private static MemoryStream Serialize<T>(T document, string partitionKey, string id)
    {
        JsonObject json = RecordJson.ToJsonObject(document);
        json["id"] = id;
        json["pk"] = partitionKey;
        return new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(json, RecordJson.Options), writable: false);
    }

    private static MemoryStream JsonStream(string value) =>
        new(JsonSerializer.SerializeToUtf8Bytes(value, RecordJson.Options), writable: false);

    private static async Task<JsonObject> ParseObjectAsync(Stream content, CancellationToken cancellationToken)
    {
        using JsonDocument parsed = await JsonDocument.ParseAsync(content, cancellationToken: cancellationToken).ConfigureAwait(false);
        return JsonObject.Create(parsed.RootElement.Clone())
            ?? throw new InvalidDataException("Cosmos DB answered with something that is not a JSON object.");
    }

    private static async Task<IReadOnlyList<StoredRecord<T>>> ReadDocumentsAsync<T>(Stream content, string partitionKey, CancellationToken cancellationToken)
    {
        using JsonDocument parsed = await JsonDocument.ParseAsync(content, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!parsed.RootElement.TryGetProperty(DocumentsProperty, out JsonElement documents) || documents.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException("Cosmos DB answered a query without a Documents array.");
        }

        var items = new List<StoredRecord<T>>(documents.GetArrayLength());
        foreach (JsonElement element in documents.EnumerateArray())
        {
            JsonObject json = JsonObject.Create(element.Clone())
                ?? throw new InvalidDataException("Cosmos DB answered a query with a document that is not a JSON object.");
            string id = json["id"]?.GetValue<string>() ?? throw new InvalidDataException("A queried document has no id.");
            string etag = json["_etag"]?.GetValue<string>() ?? throw new InvalidDataException("A queried document has no _etag.");
            items.Add(ToRecord<T>(json, id, partitionKey, etag));
        }

        return items;
    }

    private static StoredRecord<T> ToRecord<T>(JsonObject json, string id, string partitionKey, string etag) =>
        new(id, partitionKey, etag, RecordJson.FromJsonObject<T>(json));

    /// <summary>Cosmos DB tells a missing container (404, substatus 1003) from a missing document (404, substatus 0).
    /// A missing container is a deployment fault, never "no such document".</summary>
    private static void ThrowIfContainerMissing(ResponseMessage response, string container)
    {
        if (SubStatusCode(response) == 1003)
        {
            throw new InvalidOperationException($"The Cosmos DB container '{container}' does not exist.");
        }
    }

    private static int SubStatusCode(ResponseMessage response) =>
        int.TryParse(response.Headers["x-ms-substatus"], NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : 0;

    /// <summary>The exception for a failed response: the contract's exceptions for 409, 412 and 404 on a document,
    /// otherwise a <see cref="CosmosException"/> with the status (and no response body, which could hold document content).</summary>
    private static Exception Failure(ResponseMessage response, string container, string? id) => response.StatusCode switch
    {
        HttpStatusCode.Conflict when id is not null => new RecordConflictException(container, id),
        HttpStatusCode.PreconditionFailed when id is not null => new RecordPreconditionFailedException(container, id),
        HttpStatusCode.NotFound when id is not null => new RecordNotFoundException(container, id),
        _ => new CosmosException(
            $"Cosmos DB answered {(int)response.StatusCode} in '{container}'" + (id is null ? "." : $" for '{id}'."),
            response.StatusCode,
            SubStatusCode(response),
            response.Headers.ActivityId,
            response.Headers.RequestCharge),
    };
}
