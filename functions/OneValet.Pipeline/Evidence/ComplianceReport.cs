namespace OneValet.Pipeline.Evidence;

/// <summary>Where one item stands against its deadline.</summary>
public enum ItemState
{
    /// <summary>Done by its deadline, with its audit entry.</summary>
    OnTime,

    /// <summary>Done after its deadline, with its audit entry.</summary>
    Late,

    /// <summary>Deadline passed and not done.</summary>
    Missed,

    /// <summary>The records say it was done (or the trail has only a start) but the audit entry that proves it is missing.</summary>
    ProofMissing,

    /// <summary>Kept past its deadline by a hold (O6), with the audit entry that says so.</summary>
    Held,

    /// <summary>Due later than now: not yet judged.</summary>
    Open,
}

/// <summary>How a line is judged as a whole.</summary>
public enum LineStatus
{
    Met,
    Late,
    Missed,
    ProofMissing,
    NothingDue,
    NoEvidenceKept,
}

/// <summary>One item of a line: what was due when, when it was done, done minus due (seconds; negative = margin) and the
/// audit entries (ids, as <c>GET /api/audit</c> lists them) that prove it; for a step that promises a notice, the delivery
/// record that proves the notice went out ("deliveries/{campaign}/{notification}").</summary>
public sealed record ReportItem(string ItemRef, DateTimeOffset DueAt, DateTimeOffset? DoneAt, double? LagSeconds, ItemState State, IReadOnlyList<string> AuditIds, string? Note = null, IReadOnlyList<string>? Deliveries = null);

/// <summary>Nearest-rank percentiles of done minus due, in seconds (for a request clock, the margin is its negation).</summary>
public sealed record LagStats(double P50, double P95, double Max, double Min);

/// <summary>One line of the report: an obligation (O1–O18) or a clock of D1, measured over the period.</summary>
public sealed record ReportLine
{
    /// <summary>e.g. "O4:deletion", "D1:acknowledge:california".</summary>
    public required string Id { get; init; }

    /// <summary>The obligation or deadline id of REFERENCE.md (O1–O18, D1).</summary>
    public required string Obligation { get; init; }

    public required string Title { get; init; }

    /// <summary>"lag" (deletions: done minus deadline) or "margin" (request clocks: deadline minus done).</summary>
    public required string Measure { get; init; }

    public required LineStatus Status { get; init; }

    public int Due { get; init; }

    public int Done { get; init; }

    public int OnTime { get; init; }

    public int Late { get; init; }

    public int Missed { get; init; }

    public int ProofMissing { get; init; }

    public int Held { get; init; }

    public int Open { get; init; }

    public LagStats? Lag { get; init; }

    /// <summary>For <see cref="LineStatus.NoEvidenceKept"/>: why the records cannot show it yet.</summary>
    public string? Why { get; init; }

    public IReadOnlyList<ReportItem> Items { get; init; } = [];
}

/// <summary>The compliance report of [From, To), judged at <see cref="GeneratedAt"/>.</summary>
public sealed record ComplianceReport(DateTimeOffset From, DateTimeOffset To, DateTimeOffset GeneratedAt, IReadOnlyList<ReportLine> Lines, IReadOnlyList<string> Sources);
