using System.Globalization;
using OneValet.Pipeline.Retention;

namespace OneValet.Pipeline.Requests;

/// <summary>
/// What a deletion request's items came to (O9): how many of each kind were deleted, and which holds kept which (O6), so
/// the answer says what was deleted, and what was kept, why and until when.
/// </summary>
internal sealed class DeletionTally
{
    private readonly List<(string What, int Count)> _deleted = [];
    private readonly Dictionary<string, (HoldRecord Hold, List<string> What)> _held = new(StringComparer.Ordinal);

    public void Add(string what, Enforcement enforcement)
    {
        ArgumentNullException.ThrowIfNull(enforcement);
        if (enforcement.Deleted)
        {
            var at = _deleted.FindIndex(d => d.What == what);
            if (at < 0)
            {
                _deleted.Add((what, 1));
            }
            else
            {
                _deleted[at] = (what, _deleted[at].Count + 1);
            }

            return;
        }

        foreach (var hold in enforcement.HeldBy)
        {
            if (!_held.TryGetValue(hold.HoldId, out var held))
            {
                held = (hold, []);
                _held[hold.HoldId] = held;
            }

            held.What.Add(what);
        }
    }

    /// <summary>"kind: n" per kind deleted, in the order first met.</summary>
    public List<string> Deleted() => [.. _deleted.Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.What}: {d.Count}"))];

    /// <summary>One line per hold that kept something: what, the reason the law allows, and until when.</summary>
    public IEnumerable<KeptData> Kept() => _held.Values.OrderBy(h => h.Hold.HoldId, StringComparer.Ordinal).Select(h => new KeptData(
        string.Join("; ", h.What.GroupBy(w => w, StringComparer.Ordinal).Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key}: {g.Count()}"))),
        ReasonOf(h.Hold),
        h.Hold.Until));

    public static string ReasonOf(HoldRecord hold)
    {
        ArgumentNullException.ThrowIfNull(hold);
        var why = hold.Reason switch
        {
            HoldReason.SecurityIncident => "security: a security incident is being investigated",
            HoldReason.FraudOrIllegalActivity => "fraud or illegal activity: needed to prevent or prosecute it",
            HoldReason.Debugging => "repairing errors that impair the service",
            HoldReason.LeaseContract => "performing your lease: property management's contract still needs them",
            HoldReason.LegalObligation => "a legal obligation to keep them",
            _ => "an open request about you: kept until it is answered and recourse is exhausted (PIPEDA s.8(8))",
        };
        return string.Create(CultureInfo.InvariantCulture, $"{why} ({(hold.Reason is HoldReason.LeaseContract or HoldReason.LegalObligation ? "O9" : "O6")}); deleted once the hold is released, without a new request; the hold is reviewed by {hold.ReviewBy:yyyy-MM-dd}");
    }
}
