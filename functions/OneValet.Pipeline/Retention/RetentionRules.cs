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
    public DateTimeOffset DeadlineFrom(DateTimeOffset start) => start + Period;
}

/// <summary>Per-building settings where the policy allows them (footage only: TDPA periods are the law's).</summary>
public sealed class BuildingRetentionOptions
{
    /// <summary>How long surveillance footage of this building is kept (O2).</summary>
    public TimeSpan? SurveillanceFootage { get; set; }
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

    /// <summary>Per-building overrides, keyed by building id.</summary>
    public Dictionary<string, BuildingRetentionOptions> Buildings { get; set; } = new(StringComparer.Ordinal);
}

internal sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    /// <summary>No footage rule may exceed a year: the policy keeps data "only while needed" (O7).</summary>
    internal static readonly TimeSpan FootageMaximum = TimeSpan.FromDays(365);

    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        var failures = new List<string>();
        CheckPeriod(failures, "SurveillanceFootage", options.SurveillanceFootage, FootageMaximum);
        CheckPeriod(failures, "AuthenticationData", options.AuthenticationData, RetentionOptions.TdpaMaximum);
        CheckPeriod(failures, "ReferenceDataAfterExit", options.ReferenceDataAfterExit, RetentionOptions.TdpaMaximum);
        foreach (var (buildingId, building) in options.Buildings)
        {
            if (!Ingestion.UploadName.IsValidId(buildingId))
            {
                failures.Add($"OneValet:Retention:Buildings has an invalid building id '{buildingId}'.");
            }

            if (building.SurveillanceFootage is { } footage)
            {
                CheckPeriod(failures, $"Buildings:{buildingId}:SurveillanceFootage", footage, FootageMaximum);
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckPeriod(List<string> failures, string key, TimeSpan value, TimeSpan maximum)
    {
        if (value <= TimeSpan.Zero || value > maximum)
        {
            failures.Add($"OneValet:Retention:{key} must be positive and at most {maximum.TotalDays:0} days (is {value}).");
        }
    }
}

/// <summary>Chooses the rule for each item. The only place that maps categories to rules.</summary>
public sealed class RetentionPolicy(IOptions<RetentionOptions> options)
{
    private readonly RetentionOptions _options = options.Value;

    /// <summary>O2: the building's footage rule. O4: a Facial Entry capture is TDPA authentication data.</summary>
    public RetentionRule ForRecording(Ingestion.RecordingKind kind, string buildingId) => kind switch
    {
        Ingestion.RecordingKind.FacialEntry => new RetentionRule(
            $"tdpa-authentication-{Days(_options.AuthenticationData)}", "O4", _options.AuthenticationData, RetentionAction.Delete),
        _ when _options.Buildings.TryGetValue(buildingId, out var building) && building.SurveillanceFootage is { } footage =>
            new RetentionRule($"footage-building-{Days(footage)}", "O2", footage, RetentionAction.Delete),
        _ => new RetentionRule(
            $"footage-default-{Days(_options.SurveillanceFootage)}", "O2", _options.SurveillanceFootage, RetentionAction.Delete),
    };

    private static string Days(TimeSpan period) => period.TotalDays >= 1 && period.TotalDays == Math.Floor(period.TotalDays)
        ? $"{period.TotalDays:0}d"
        : $"{period.TotalSeconds:0}s";
}
