using Microsoft.Extensions.Options;

namespace OneValet.Pipeline.Retention;

/// <summary>What happens to an item when its rule falls due (O7).</summary>
public enum RetentionAction
{
    Delete,
    Anonymize,
}

/// <summary>
/// A retention rule as stored on every item (O1): which rule, under which obligation, how long, and what then.
/// The deadline is computed once, when the item is written, and stored beside the rule.
/// </summary>
public sealed record RetentionRule(string RuleId, string Obligation, TimeSpan Period, RetentionAction Action)
{
    /// <summary>The deadline of an item whose clock started at <paramref name="start"/>: the period in elapsed time.</summary>
    public DateTimeOffset DeadlineFrom(DateTimeOffset start) => start + Period;

    /// <summary>
    /// The deadline where the building keeps local time: a period of whole days can be read as elapsed time (N x 24 h) or
    /// as N calendar days on the building's wall clock, which differ by an hour when a DST change falls in between. The
    /// deadline is the earlier of the two, so it is met under either reading. Leap days count as days either way.
    /// </summary>
    public DateTimeOffset DeadlineFrom(DateTimeOffset start, TimeZoneInfo? buildingZone)
    {
        var elapsed = DeadlineFrom(start);
        if (buildingZone is null || Period.Ticks % TimeSpan.TicksPerDay != 0)
        {
            return elapsed;
        }

        var local = TimeZoneInfo.ConvertTime(start, buildingZone).DateTime.AddDays(Period.TotalDays);
        // A wall-clock time skipped by spring-forward does not exist: take the instant just after the gap.
        while (buildingZone.IsInvalidTime(local))
        {
            local = local.AddMinutes(1);
        }

        var offsets = buildingZone.IsAmbiguousTime(local) ? buildingZone.GetAmbiguousTimeOffsets(local) : [buildingZone.GetUtcOffset(local)];
        var calendar = offsets.Select(o => new DateTimeOffset(local, o)).Min();
        return calendar < elapsed ? calendar : elapsed;
    }
}

/// <summary>Per-building settings where the policy allows them (footage only: TDPA periods are the law's).</summary>
public sealed class BuildingRetentionOptions
{
    /// <summary>How long surveillance footage of this building is kept (O2).</summary>
    public TimeSpan? SurveillanceFootage { get; set; }

    /// <summary>
    /// What happens to this building's footage at its deadline (O2: "deleted or anonymized"): <see cref="RetentionAction.Delete"/>
    /// (the default), or <see cref="RetentionAction.Anonymize"/>: every face blurred, the original gone, the blurred form
    /// kept for <see cref="RetentionOptions.AnonymizedFootage"/>. Facial Entry captures are always deleted (O4).
    /// </summary>
    public RetentionAction? FootageAction { get; set; }

    /// <summary>The building's IANA time zone (e.g. America/New_York): deadlines are met on its wall clock too.</summary>
    public string? TimeZone { get; set; }
}

/// <summary>The retention rules, as configuration (section <c>OneValet:Retention</c>), validated at start.</summary>
public sealed class RetentionOptions
{
    public const string Section = "OneValet:Retention";

    /// <summary>The longest period the TDPA allows for authentication and reference data (O4, O5).</summary>
    public static readonly TimeSpan TdpaMaximum = TimeSpan.FromDays(90);

    /// <summary>Default for surveillance footage (O2), overridable per building.</summary>
    public TimeSpan SurveillanceFootage { get; set; } = TimeSpan.FromDays(30);

    /// <summary>O4: authentication data, from collection. At most 90 days.</summary>
    public TimeSpan AuthenticationData { get; set; } = TdpaMaximum;

    /// <summary>O5: reference data, from move-out or consent withdrawal. At most 90 days.</summary>
    public TimeSpan ReferenceDataAfterExit { get; set; } = TdpaMaximum;

    /// <summary>O2, O7: how long footage anonymized at its deadline (every face blurred) is kept, from capture, before it is
    /// deleted too. Blurred footage still shows clothing, gait and what people did, so it is kept only a bounded time; at
    /// most a year, like any footage rule.</summary>
    public TimeSpan AnonymizedFootage { get; set; } = TimeSpan.FromDays(365);

    /// <summary>O7, O9: how long a resident's identifiers (name, email, phone) are kept after move-out, then minimized by the
    /// sweep. The policy keeps data "only as long as necessary"; at most a year. Longer only under a lease-contract or
    /// legal-obligation hold on the person (O9's exceptions), never by configuration.</summary>
    public TimeSpan ResidentIdentifiersAfterMoveOut { get; set; } = TimeSpan.FromDays(90);

    /// <summary>O8, O12: how long a disclosure's record is kept. An access answer covers the preceding 12 months (the
    /// minimum); no longer than the request records it answers (O18: 24 months, the maximum).</summary>
    public TimeSpan DisclosureRecords { get; set; } = TimeSpan.FromDays(730);

    /// <summary>O13, O14, O16: how long a notice's delivery record is kept (proof it went out); at most 24 months
    /// (O14's breach records, PIPEDA s.10.3).</summary>
    public TimeSpan DeliveryRecords { get; set; } = TimeSpan.FromDays(730);

    /// <summary>How long a day of the audit trail (ids only) is kept: at least as long as the records it proves (O14, O18:
    /// 24 months), at most 36 months.</summary>
    public TimeSpan AuditEntries { get; set; } = TimeSpan.FromDays(730);

    /// <summary>Anonymizations per enforcement batch: each decodes, blurs and re-encodes a video, which takes seconds to
    /// minutes, so a batch does a few and leaves the rest pending for the next batch (bounded activity time).</summary>
    public int AnonymizationsPerBatch { get; set; } = 5;

    /// <summary>The longest one anonymization may take; past it the footage is deleted instead (the original is never kept
    /// past its deadline for want of CPU).</summary>
    public TimeSpan AnonymizationTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Per-building overrides, keyed by building id.</summary>
    public Dictionary<string, BuildingRetentionOptions> Buildings { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Width of a due bucket: deadlines are grouped into buckets of this width, one timer orchestration each, which
    /// wakes at the bucket's end (never before a deadline). An item is deleted at most this long after its deadline by the
    /// timer path (twice this for an item written less than a bucket before its deadline), plus the task hub's polling and
    /// the work: 15 seconds keeps every deletion within the 60-second goal (issue 14) at 5,760 timers a day at most.</summary>
    public TimeSpan BucketWidth { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How far ahead bucket timers are started. Longer than <see cref="PlanInterval"/>, so every bucket's timer
    /// is running before it falls due, and short, so no timer needs a chain of 3-day timers in its history.</summary>
    public TimeSpan PlanningHorizon { get; set; } = TimeSpan.FromHours(2);

    /// <summary>How often bucket timers are planned (the Functions app's planner trigger runs every 5 minutes).</summary>
    public TimeSpan PlanInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the sweep runs (the Functions app's timer trigger is hourly; the local host uses this).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a finished orchestration's history is kept before it is purged.</summary>
    public TimeSpan OrchestrationHistory { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Items enforced per activity call (bounded work per history event).</summary>
    public int BatchSize { get; set; } = 200;
}

internal sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    /// <summary>No footage rule may exceed a year: the policy keeps data "only while needed" (O7).</summary>
    internal static readonly TimeSpan FootageMaximum = TimeSpan.FromDays(365);

    /// <summary>O7: identifiers after move-out, at most a year ("only as long as necessary").</summary>
    internal static readonly TimeSpan IdentifiersMaximum = TimeSpan.FromDays(365);

    /// <summary>O14, O18: records of requests and breaches are kept 24 months; records that serve them no longer.</summary>
    internal static readonly TimeSpan RecordsMaximum = TimeSpan.FromDays(730);

    /// <summary>O8: an access answer covers the preceding 12 months of disclosures.</summary>
    internal static readonly TimeSpan DisclosuresMinimum = TimeSpan.FromDays(365);

    /// <summary>The audit trail: 24 months at least (above), 36 at most.</summary>
    internal static readonly TimeSpan AuditMaximum = TimeSpan.FromDays(1095);

    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        var failures = new List<string>();
        CheckPeriod(failures, "SurveillanceFootage", options.SurveillanceFootage, FootageMaximum);
        CheckPeriod(failures, "AuthenticationData", options.AuthenticationData, RetentionOptions.TdpaMaximum);
        CheckPeriod(failures, "ReferenceDataAfterExit", options.ReferenceDataAfterExit, RetentionOptions.TdpaMaximum);
        CheckPeriod(failures, "AnonymizedFootage", options.AnonymizedFootage, FootageMaximum);
        CheckPeriod(failures, "ResidentIdentifiersAfterMoveOut", options.ResidentIdentifiersAfterMoveOut, IdentifiersMaximum);
        CheckPeriod(failures, "DisclosureRecords", options.DisclosureRecords, RecordsMaximum, DisclosuresMinimum);
        CheckPeriod(failures, "DeliveryRecords", options.DeliveryRecords, RecordsMaximum);
        CheckPeriod(failures, "AuditEntries", options.AuditEntries, AuditMaximum, RecordsMaximum);
        if (options.AnonymizationsPerBatch is < 1 or > 100)
        {
            failures.Add("OneValet:Retention:AnonymizationsPerBatch must be from 1 to 100.");
        }

        if (options.AnonymizationTimeout <= TimeSpan.Zero || options.AnonymizationTimeout > TimeSpan.FromHours(1))
        {
            failures.Add("OneValet:Retention:AnonymizationTimeout must be positive and at most 1 hour.");
        }
        if (options.BucketWidth <= TimeSpan.Zero || options.BucketWidth > TimeSpan.FromHours(1))
        {
            failures.Add("OneValet:Retention:BucketWidth must be positive and at most 1 hour.");
        }

        if (options.SweepInterval <= TimeSpan.Zero || options.SweepInterval > TimeSpan.FromHours(1))
        {
            failures.Add("OneValet:Retention:SweepInterval must be positive and at most 1 hour (a lost timer may cost at most that).");
        }

        if (options.PlanInterval <= TimeSpan.Zero || options.PlanningHorizon <= options.PlanInterval)
        {
            failures.Add("OneValet:Retention:PlanningHorizon must be longer than PlanInterval (positive), so every bucket's timer starts before it is due.");
        }

        if (options.BatchSize is < 1 or > 1000)
        {
            failures.Add("OneValet:Retention:BatchSize must be from 1 to 1000.");
        }

        foreach (var (buildingId, building) in options.Buildings)
        {
            if (!Ingestion.UploadName.IsValidId(buildingId))
            {
                failures.Add($"OneValet:Retention:Buildings has an invalid building id '{buildingId}'.");
            }

            if (building.TimeZone is { } zone && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
            {
                failures.Add($"OneValet:Retention:Buildings:{buildingId}:TimeZone '{zone}' is not a known time zone.");
            }

            if (building.SurveillanceFootage is { } footage)
            {
                CheckPeriod(failures, $"Buildings:{buildingId}:SurveillanceFootage", footage, FootageMaximum);
            }

            if (building.FootageAction is { } action && !Enum.IsDefined(action))
            {
                failures.Add($"OneValet:Retention:Buildings:{buildingId}:FootageAction is Delete or Anonymize.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckPeriod(List<string> failures, string key, TimeSpan value, TimeSpan maximum, TimeSpan? minimum = null)
    {
        if (value <= TimeSpan.Zero || value > maximum)
        {
            failures.Add($"OneValet:Retention:{key} must be positive and at most {maximum.TotalDays:0} days (is {value}).");
        }
        else if (minimum is { } least && value < least)
        {
            failures.Add($"OneValet:Retention:{key} must be at least {least.TotalDays:0} days (is {value}).");
        }
    }
}

/// <summary>Chooses the rule for each item. The only place that maps categories to rules.</summary>
public sealed class RetentionPolicy(IOptions<RetentionOptions> options)
{
    private readonly RetentionOptions _options = options.Value;

    /// <summary>O4: a door authentication event (face, fob, PIN or mobile credential at a keyless entry door).</summary>
    public RetentionRule ForAuthenticationEvent() =>
        new($"tdpa-authentication-{Days(_options.AuthenticationData)}", "O4", _options.AuthenticationData, RetentionAction.Delete);

    /// <summary>O5: reference data (a Facial Entry enrollment), from move-out or consent withdrawal.</summary>
    public RetentionRule ForReferenceData() =>
        new($"tdpa-reference-{Days(_options.ReferenceDataAfterExit)}", "O5", _options.ReferenceDataAfterExit, RetentionAction.Delete);

    /// <summary>
    /// O2: the building's footage rule (period and action). O4: a Facial Entry capture is TDPA authentication data, always
    /// deleted: a blurred face-check image serves no purpose.
    /// </summary>
    public RetentionRule ForRecording(Ingestion.RecordingKind kind, string buildingId)
    {
        if (kind == Ingestion.RecordingKind.FacialEntry)
        {
            return ForAuthenticationEvent();
        }

        _options.Buildings.TryGetValue(buildingId, out var building);
        var (scope, period) = building?.SurveillanceFootage is { } footage ? ("building", footage) : ("default", _options.SurveillanceFootage);
        return building?.FootageAction == RetentionAction.Anonymize
            ? new RetentionRule($"footage-{scope}-{Days(period)}-anonymize", "O2", period, RetentionAction.Anonymize)
            : new RetentionRule($"footage-{scope}-{Days(period)}", "O2", period, RetentionAction.Delete);
    }

    /// <summary>
    /// A quarantined upload keeps the rule of what it claims to be (O2, O4), never longer: a Facial Entry capture the TDPA
    /// period, footage the building's rule; an upload that claims neither kind, the shorter of the two. Always deleted.
    /// </summary>
    public RetentionRule ForQuarantined(Ingestion.RecordingKind? claimedKind, string? buildingId)
    {
        var footage = ForRecording(Ingestion.RecordingKind.Surveillance, buildingId ?? string.Empty);
        var authentication = ForAuthenticationEvent();
        var rule = claimedKind switch
        {
            Ingestion.RecordingKind.FacialEntry => authentication,
            Ingestion.RecordingKind.Surveillance => footage,
            _ => footage.Period <= authentication.Period ? footage : authentication,
        };
        return new RetentionRule("quarantined-" + rule.RuleId.Replace("-anonymize", string.Empty, StringComparison.Ordinal), rule.Obligation, rule.Period, RetentionAction.Delete);
    }

    /// <summary>O7, O9: a resident's identifiers after move-out, minimized (the pseudonymous record stays).</summary>
    public RetentionRule ForResidentIdentifiers() =>
        new($"resident-identifiers-after-move-out-{Days(_options.ResidentIdentifiersAfterMoveOut)}", "O7", _options.ResidentIdentifiersAfterMoveOut, RetentionAction.Anonymize);

    /// <summary>O8, O12: a disclosure's record in the sharing ledger.</summary>
    public RetentionRule ForDisclosure() =>
        new($"disclosure-record-{Days(_options.DisclosureRecords)}", "O12", _options.DisclosureRecords, RetentionAction.Delete);

    /// <summary>O13, O14, O16: a notice's delivery record.</summary>
    public RetentionRule ForDelivery() =>
        new($"delivery-record-{Days(_options.DeliveryRecords)}", "O14", _options.DeliveryRecords, RetentionAction.Delete);

    /// <summary>A day of the audit trail, from the day's end.</summary>
    public RetentionRule ForAuditDay() =>
        new($"audit-day-{Days(_options.AuditEntries)}", "O18", _options.AuditEntries, RetentionAction.Delete);

    /// <summary>O2, O7: the blurred form of anonymized footage, deleted <see cref="RetentionOptions.AnonymizedFootage"/> after capture.</summary>
    public RetentionRule ForAnonymizedFootage() =>
        new($"anonymized-footage-{Days(_options.AnonymizedFootage)}", "O7", _options.AnonymizedFootage, RetentionAction.Delete);

    /// <summary>The deadline of an item of that building whose clock started at <paramref name="start"/>.</summary>
    public DateTimeOffset Deadline(RetentionRule rule, DateTimeOffset start, string buildingId)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var zone = _options.Buildings.TryGetValue(buildingId, out var building) && building.TimeZone is { } id && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var found)
            ? found
            : null;
        return rule.DeadlineFrom(start, zone);
    }

    private static string Days(TimeSpan period) => period.TotalDays >= 1 && period.TotalDays == Math.Floor(period.TotalDays)
        ? $"{period.TotalDays:0}d"
        : $"{period.TotalSeconds:0}s";
}
