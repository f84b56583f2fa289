using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Storage;

namespace OneValet.Tests.Infrastructure;

/// <summary>Reads the audit log the way an auditor would: by day partition, every page.</summary>
internal static class Audits
{
    /// <summary>Every audit entry of the day before, the day of and the day after <paramref name="around"/>.</summary>
    public static async Task<List<AuditRecord>> AroundAsync(IRecordStore store, DateTimeOffset around)
    {
        var result = new List<AuditRecord>();
        foreach (var day in new[] { around.AddDays(-1), around, around.AddDays(1) })
        {
            string? continuation = null;
            do
            {
                var page = await store.QueryAsync<AuditRecord>(Containers.Audit, AuditLog.PartitionFor(day), RecordQuery.All, 500, continuation);
                result.AddRange(page.Items.Select(i => i.Document));
                continuation = page.Continuation;
            }
            while (continuation is not null);
        }

        return result;
    }
}
