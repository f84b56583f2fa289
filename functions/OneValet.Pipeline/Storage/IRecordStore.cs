using System.Text.Json.Nodes;

namespace OneValet.Pipeline.Storage;

/// <summary>
/// The record store: JSON documents in named containers, each addressed by (partition key, id).
/// Two implementations: <see cref="CosmosRecordStore"/> (Azure) and <see cref="SqliteRecordStore"/>
/// (the local host's durable embedded store). One contract test suite runs against both.
/// Every hot access is a single-partition operation: point reads by id, and queries inside one
/// partition with AND-ed field conditions, no ordering (the scale rule in Azure, and all that the
/// local Cosmos-protocol server can answer).
/// </summary>
public interface IRecordStore
{
    /// <summary>Reads one document, or null when there is none.</summary>
    Task<StoredRecord<T>?> ReadAsync<T>(string container, string partitionKey, string id, CancellationToken cancellationToken = default);

    /// <summary>Creates a document; throws <see cref="RecordConflictException"/> if the id exists in that partition.</summary>
    Task<StoredRecord<T>> CreateAsync<T>(string container, string partitionKey, string id, T document, CancellationToken cancellationToken = default);

    /// <summary>Creates or replaces a document unconditionally.</summary>
    Task<StoredRecord<T>> UpsertAsync<T>(string container, string partitionKey, string id, T document, CancellationToken cancellationToken = default);

    /// <summary>Replaces a document only if its ETag still matches; throws <see cref="RecordPreconditionFailedException"/>
    /// when it changed, <see cref="RecordNotFoundException"/> when it is gone.</summary>
    Task<StoredRecord<T>> ReplaceAsync<T>(string container, string partitionKey, string id, T document, string ifMatchETag, CancellationToken cancellationToken = default);

    /// <summary>Deletes a document; returns false when there was none.</summary>
    Task<bool> DeleteAsync(string container, string partitionKey, string id, CancellationToken cancellationToken = default);

    /// <summary>One page of the documents of one partition that meet every condition, in no defined order.
    /// Pass the returned continuation to get the next page; null means the last page.</summary>
    Task<RecordPage<T>> QueryAsync<T>(string container, string partitionKey, RecordQuery query, int pageSize, string? continuation, CancellationToken cancellationToken = default);
}

/// <summary>A document as stored, with its id, partition key and concurrency tag.</summary>
public sealed record StoredRecord<T>(string Id, string PartitionKey, string ETag, T Document);

/// <summary>One page of a query.</summary>
public sealed record RecordPage<T>(IReadOnlyList<StoredRecord<T>> Items, string? Continuation);

/// <summary>How a field is compared in a <see cref="RecordQuery"/>.</summary>
public enum FieldOperator
{
    Equal,
    LessThan,
    LessThanOrEqual,
    GreaterThan,
    GreaterThanOrEqual,
}

/// <summary>A condition on a top-level or dotted field path of the stored JSON (camelCase names), e.g. "capturedAt".
/// Values are strings, numbers or booleans; ISO-8601 UTC timestamps compare correctly as strings.</summary>
public sealed record FieldCondition(string Field, FieldOperator Operator, JsonValue Value);

/// <summary>AND-ed conditions; an empty query returns the whole partition.</summary>
public sealed record RecordQuery(IReadOnlyList<FieldCondition> Conditions)
{
    public static RecordQuery All { get; } = new([]);

    public static RecordQuery Where(params FieldCondition[] conditions) => new(conditions);
}

/// <summary>The document already exists.</summary>
public sealed class RecordConflictException(string container, string id)
    : Exception($"A record with id '{id}' already exists in '{container}'.");

/// <summary>The document changed since it was read.</summary>
public sealed class RecordPreconditionFailedException(string container, string id)
    : Exception($"The record '{id}' in '{container}' changed since it was read.");

/// <summary>The document does not exist.</summary>
public sealed class RecordNotFoundException(string container, string id)
    : Exception($"The record '{id}' in '{container}' does not exist.");
