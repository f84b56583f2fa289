using System.Globalization;
using System.Text.Json.Nodes;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Auditing;

/// <summary>Equality filters on audit entries (all optional, AND-ed): evaluated by the store inside each day's partition.</summary>
public sealed record AuditFilter(string? Obligation = null, string? Action = null, string? ItemRef = null, string? Outcome = null)
{
    public static AuditFilter None { get; } = new();

    public RecordQuery ToQuery()
    {
        var conditions = new List<FieldCondition>();
        Add(conditions, "obligation", Obligation);
        Add(conditions, "action", Action);
        Add(conditions, "itemRef", ItemRef);
        Add(conditions, "outcome", Outcome);
        return new RecordQuery(conditions);
    }

    private static void Add(List<FieldCondition> conditions, string field, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            conditions.Add(new FieldCondition(field, FieldOperator.Equal, JsonValue.Create(value)));
        }
    }
}

/// <summary>One audit entry as the trail shows it: its id (what a report cites), its day partition and the entry itself.</summary>
public sealed record AuditEntryView(string Id, string Day, AuditRecord Entry);

/// <summary>One page of the trail; <see cref="Continuation"/> is null on the last page. <see cref="PartitionsRead"/> is the
/// page's cost in single-partition queries.</summary>
public sealed record AuditTrailPage(IReadOnlyList<AuditEntryView> Items, string? Continuation, int PartitionsRead);

/// <summary>
/// Reads the audit trail over a range of UTC days, one day partition at a time (the container is partitioned by day, so
/// no query ever crosses partitions). A page is the store's page of one day; days with no match are skipped, reading at
/// most <see cref="MaxPartitionsPerPage"/> partitions per page, so a page costs 1 to 31 single-partition queries.
/// The continuation is "day|store continuation": opaque to callers, checked on the way back in.
/// </summary>
public sealed class AuditTrail(IRecordStore store)
{
    public const int MaxPartitionsPerPage = 31;

    /// <summary>The days of [from, to): from's day up to the day of the last instant before to.</summary>
    public static IEnumerable<DateOnly> Days(DateTimeOffset from, DateTimeOffset to)
    {
        var first = DateOnly.FromDateTime(from.UtcDateTime);
        var last = DateOnly.FromDateTime(to.UtcDateTime.AddTicks(-1));
        for (var day = first; day <= last; day = day.AddDays(1))
        {
            yield return day;
        }
    }

    public static string PartitionOf(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>One page of the entries of the days [fromDay, toDay] (inclusive) that meet the filter. Throws
    /// <see cref="FormatException"/> for a continuation this trail did not hand out, or one outside the range.</summary>
    public async Task<AuditTrailPage> PageAsync(DateOnly fromDay, DateOnly toDay, AuditFilter filter, int pageSize, string? continuation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var (day, inner) = continuation is null ? (fromDay, null) : Parse(continuation);
        if (day < fromDay || day > toDay)
        {
            throw new FormatException("The continuation is outside the range.");
        }

        var query = filter.ToQuery();
        var read = 0;
        while (day <= toDay && read < MaxPartitionsPerPage)
        {
            var page = await store.QueryAsync<AuditRecord>(Containers.Audit, PartitionOf(day), query, pageSize, inner, cancellationToken).ConfigureAwait(false);
            read++;
            var next = page.Continuation is not null ? $"{PartitionOf(day)}|{page.Continuation}" : day < toDay ? PartitionOf(day.AddDays(1)) + "|" : null;
            if (page.Items.Count > 0 || next is null)
            {
                return new AuditTrailPage([.. page.Items.Select(i => new AuditEntryView(i.Id, PartitionOf(day), i.Document))], next, read);
            }

            (day, inner) = Parse(next);
        }

        return new AuditTrailPage([], day <= toDay ? PartitionOf(day) + "|" : null, read);
    }

    /// <summary>Every entry of [from, to)'s days meeting the filter (reports; tests).</summary>
    public async Task<List<AuditEntryView>> AllAsync(DateTimeOffset from, DateTimeOffset to, AuditFilter filter, CancellationToken cancellationToken)
    {
        var result = new List<AuditEntryView>();
        var days = Days(from, to).ToList();
        if (days.Count == 0)
        {
            return result;
        }

        string? continuation = null;
        do
        {
            var page = await PageAsync(days[0], days[^1], filter, 1000, continuation, cancellationToken).ConfigureAwait(false);
            result.AddRange(page.Items);
            continuation = page.Continuation;
        }
        while (continuation is not null);
        return result;
    }

    private static (DateOnly Day, string? Inner) Parse(string continuation)
    {
        var bar = continuation.IndexOf('|', StringComparison.Ordinal);
        if (bar != 10 || !DateOnly.TryParseExact(continuation[..bar], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            throw new FormatException("Not a continuation of the audit trail.");
        }

        var inner = continuation[(bar + 1)..];
        return (day, inner.Length == 0 ? null : inner);
    }
}
