using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Azure.Core;
using Azure.Core.Pipeline;
using OneValet.Pipeline.Storage;

namespace OneValet.Benchmarks;

/// <summary>
/// Round trips of one measured operation (the export benchmark's <c>--profile</c>): every record-store call and every blob
/// call, counted and timed by kind, so a ratio can be explained by what was called. The store is the real one, wrapped.
/// </summary>
internal sealed class RoundTrips
{
    private readonly ConcurrentDictionary<string, (int Count, double Ms, long Bytes)> _calls = new(StringComparer.Ordinal);

    public void Add(string what, double ms, long bytes = 0) =>
        _calls.AddOrUpdate(what, (1, ms, bytes), (_, c) => (c.Count + 1, c.Ms + ms, c.Bytes + bytes));

    public void Clear() => _calls.Clear();

    public void Print(string title)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {title}: {_calls.Values.Sum(c => c.Count)} round trips"));
        foreach (var (what, c) in _calls.OrderByDescending(c => c.Value.Ms))
        {
            var bytes = c.Bytes > 0 ? string.Create(CultureInfo.InvariantCulture, $", {c.Bytes / 1024.0:F0} KiB") : string.Empty;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"      {c.Count,4} x {what}: {c.Ms:F1} ms{bytes}"));
        }
    }

    /// <summary>Counts and times each blob request (method, and the <c>comp</c> of the query: block, blocklist, ...).</summary>
    public sealed class BlobPolicy(RoundTrips trips) : HttpPipelinePolicy
    {
        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            var watch = Stopwatch.StartNew();
            ProcessNext(message, pipeline);
            Record(message, watch);
        }

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            var watch = Stopwatch.StartNew();
            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
            Record(message, watch);
        }

        private void Record(HttpMessage message, Stopwatch watch)
        {
            var query = message.Request.Uri.Query;
            var comp = query.Split('&', '?').FirstOrDefault(p => p.StartsWith("comp=", StringComparison.Ordinal)) ?? "comp=-";
            var bytes = message.Request.Content is { } content && content.TryComputeLength(out var length) ? length : 0;
            trips.Add($"blob {message.Request.Method} {comp}", watch.Elapsed.TotalMilliseconds, bytes);
        }
    }

    /// <summary>The record store, each call counted and timed by operation and container.</summary>
    public sealed class Store(IRecordStore inner, RoundTrips trips) : IRecordStore
    {
        public Task<StoredRecord<T>?> ReadAsync<T>(string container, string partitionKey, string id, CancellationToken cancellationToken = default) =>
            TimeAsync("read " + container, () => inner.ReadAsync<T>(container, partitionKey, id, cancellationToken));

        public Task<StoredRecord<T>> CreateAsync<T>(string container, string partitionKey, string id, T document, CancellationToken cancellationToken = default) =>
            TimeAsync("create " + container, () => inner.CreateAsync(container, partitionKey, id, document, cancellationToken));

        public Task<StoredRecord<T>> UpsertAsync<T>(string container, string partitionKey, string id, T document, CancellationToken cancellationToken = default) =>
            TimeAsync("upsert " + container, () => inner.UpsertAsync(container, partitionKey, id, document, cancellationToken));

        public Task<StoredRecord<T>> ReplaceAsync<T>(string container, string partitionKey, string id, T document, string ifMatchETag, CancellationToken cancellationToken = default) =>
            TimeAsync("replace " + container, () => inner.ReplaceAsync(container, partitionKey, id, document, ifMatchETag, cancellationToken));

        public Task<bool> DeleteAsync(string container, string partitionKey, string id, CancellationToken cancellationToken = default) =>
            TimeAsync("delete " + container, () => inner.DeleteAsync(container, partitionKey, id, cancellationToken));

        public Task<RecordPage<T>> QueryAsync<T>(string container, string partitionKey, RecordQuery query, int pageSize, string? continuation, CancellationToken cancellationToken = default) =>
            TimeAsync("query " + container, () => inner.QueryAsync<T>(container, partitionKey, query, pageSize, continuation, cancellationToken));

        private async Task<TResult> TimeAsync<TResult>(string what, Func<Task<TResult>> call)
        {
            var watch = Stopwatch.StartNew();
            var result = await call().ConfigureAwait(false);
            trips.Add(what, watch.Elapsed.TotalMilliseconds);
            return result;
        }
    }
}
