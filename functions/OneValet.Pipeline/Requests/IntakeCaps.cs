using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Requests;

/// <summary>One intake counter (partition <c>intake-caps</c> of the requests container, id = its keyed hash).</summary>
public sealed record IntakeCounter(DateTimeOffset WindowStart, int Count);

/// <summary>What one request counts against: the person as named, and every address the request mails.</summary>
public sealed record IntakeCap(string Kind, string Value, int Limit);

/// <summary>
/// The caps of privacy-request intake (issue 13): requests per person as the request names them and per address the
/// request mails, per <see cref="RequestOptions.IntakeCapWindow"/>; past a cap, 429 with Retry-After. The counters are in
/// the record store, so they hold across instances and restarts; their ids are keyed hashes (<see cref="RequestSecrets.CapKey"/>),
/// never an address. What is counted is taken from the request as written, never from whether it matched someone on file,
/// so a 429 tells nothing about a match. The hourly sweep deletes counters whose window ended (<see cref="PurgeAsync"/>).
/// </summary>
public sealed class IntakeCaps(IRecordStore store, RequestSecrets secrets, IOptions<RequestOptions> options, TimeProvider time)
{
    public const string Partition = "intake-caps";

    /// <summary>The caps of one request: the subject as named, the address given for them, the agent's address.</summary>
    public IReadOnlyList<IntakeCap> For(PrivacyRequestInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var o = options.Value;
        var caps = new List<IntakeCap>();
        var subject = input.Subject;
        caps.Add(subject switch
        {
            { ResidentId: { } id } => new IntakeCap("subject", "id:" + id, o.RequestsPerSubject),
            { Email: { } email } => new IntakeCap("subject", "email:" + RequestSecrets.NormalizeEmail(email) + "\n" + subject.BuildingId, o.RequestsPerSubject),
            _ => new IntakeCap("subject", "not-on-file:" + RequestSecrets.NormalizeEmail(input.NotOnFile!.Email) + "\n" + input.NotOnFile.BuildingId, o.RequestsPerSubject),
        });
        var addresses = new[] { subject?.Email, input.NotOnFile?.Email, input.Agent?.Email }.OfType<string>().Select(RequestSecrets.NormalizeEmail).Distinct(StringComparer.Ordinal);
        caps.AddRange(addresses.Select(a => new IntakeCap("address", a, o.RequestsPerAddress)));
        return caps;
    }

    /// <summary>Counts one request against each cap; null when it may go on, else how long until the fullest window ends
    /// (nothing is counted then).</summary>
    public async Task<TimeSpan?> TryTakeAsync(IReadOnlyList<IntakeCap> caps, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caps);
        var window = options.Value.IntakeCapWindow;
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var now = time.GetUtcNow();
            var counters = new List<(string Id, StoredRecord<IntakeCounter>? Stored, IntakeCounter Next)>();
            TimeSpan? wait = null;
            foreach (var cap in caps)
            {
                var id = secrets.CapKey(cap.Kind, cap.Value);
                var stored = await store.ReadAsync<IntakeCounter>(Containers.Requests, Partition, id, cancellationToken).ConfigureAwait(false);
                var current = stored?.Document is { } c && now < c.WindowStart + window ? c : new IntakeCounter(now, 0);
                if (current.Count >= cap.Limit)
                {
                    var left = current.WindowStart + window - now;
                    wait = wait is { } w && w > left ? w : left;
                }

                counters.Add((id, stored, current with { Count = current.Count + 1 }));
            }

            if (wait is not null)
            {
                return wait;
            }

            try
            {
                foreach (var (id, stored, next) in counters)
                {
                    if (stored is null)
                    {
                        await store.CreateAsync(Containers.Requests, Partition, id, next, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await store.ReplaceAsync(Containers.Requests, Partition, id, next, stored.ETag, cancellationToken).ConfigureAwait(false);
                    }
                }

                return null;
            }
            catch (Exception e) when (e is RecordPreconditionFailedException or RecordConflictException or RecordNotFoundException)
            {
                // A concurrent request counted first: read again (a counter already written this round counts once more,
                // which errs on the side of the cap).
            }
        }

        return window; // under a storm of concurrent requests on one counter: refuse rather than let it through uncounted
    }

    /// <summary>Deletes the counters whose window ended (run with the hourly sweep); returns how many.</summary>
    public async Task<int> PurgeAsync(CancellationToken cancellationToken)
    {
        var before = time.GetUtcNow() - options.Value.IntakeCapWindow;
        var deleted = 0;
        RecordPage<IntakeCounter> page;
        do
        {
            page = await store.QueryAsync<IntakeCounter>(Containers.Requests, Partition,
                RecordQuery.Where(new FieldCondition("windowStart", FieldOperator.LessThan, JsonValue.Create(RecordJson.Timestamp(before)))), 500, null, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                deleted += await store.DeleteAsync(Containers.Requests, Partition, item.Id, cancellationToken).ConfigureAwait(false) ? 1 : 0;
            }
        }
        while (page.Items.Count > 0 && page.Continuation is not null);
        return deleted;
    }
}
