using Microsoft.Extensions.Options;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Retention;
using Xunit;

namespace OneValet.Tests.Retention;

/// <summary>Which rule each recording gets, and which configurations are refused at start (O2, O4, O5).</summary>
public sealed class RetentionPolicyTests
{
    private static readonly DateTimeOffset Captured = new(2026, 2, 28, 23, 30, 0, TimeSpan.Zero);

    [Fact]
    public void Surveillance_footage_follows_the_default_footage_rule()
    {
        var rule = Policy(new RetentionOptions()).ForRecording(RecordingKind.Surveillance, "b1");
        Assert.Equal("O2", rule.Obligation);
        Assert.Equal(TimeSpan.FromDays(30), rule.Period);
        Assert.Equal("footage-default-30d", rule.RuleId);
        Assert.Equal(new DateTimeOffset(2026, 3, 30, 23, 30, 0, TimeSpan.Zero), rule.DeadlineFrom(Captured));
    }

    [Fact]
    public void A_building_may_set_its_own_footage_rule()
    {
        var options = new RetentionOptions();
        options.Buildings["b7"] = new BuildingRetentionOptions { SurveillanceFootage = TimeSpan.FromDays(14) };
        var policy = Policy(options);
        Assert.Equal(TimeSpan.FromDays(14), policy.ForRecording(RecordingKind.Surveillance, "b7").Period);
        Assert.Equal("footage-building-14d", policy.ForRecording(RecordingKind.Surveillance, "b7").RuleId);
        Assert.Equal(TimeSpan.FromDays(30), policy.ForRecording(RecordingKind.Surveillance, "b8").Period);
    }

    [Fact]
    public void A_facial_entry_capture_is_tdpa_authentication_data_for_90_days_whatever_the_building_says()
    {
        var options = new RetentionOptions();
        options.Buildings["b7"] = new BuildingRetentionOptions { SurveillanceFootage = TimeSpan.FromDays(14) };
        var rule = Policy(options).ForRecording(RecordingKind.FacialEntry, "b7");
        Assert.Equal("O4", rule.Obligation);
        Assert.Equal(TimeSpan.FromDays(90), rule.Period);
        Assert.Equal(new DateTimeOffset(2026, 5, 29, 23, 30, 0, TimeSpan.Zero), rule.DeadlineFrom(Captured));
    }

    [Theory]
    [InlineData(91, 30)]
    [InlineData(0, 30)]
    [InlineData(90, 366)]
    [InlineData(90, -1)]
    public void Rules_beyond_the_law_or_the_policy_are_refused_at_start(int authenticationDays, int footageDays)
    {
        var options = new RetentionOptions
        {
            AuthenticationData = TimeSpan.FromDays(authenticationDays),
            SurveillanceFootage = TimeSpan.FromDays(footageDays),
        };
        Assert.True(new RetentionOptionsValidator().Validate(null, options).Failed);
    }

    [Fact]
    public void A_building_override_with_a_bad_id_or_period_is_refused()
    {
        var options = new RetentionOptions();
        options.Buildings["Bad Id"] = new BuildingRetentionOptions { SurveillanceFootage = TimeSpan.FromDays(400) };
        var result = new RetentionOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Equal(2, result.Failures!.Count());
    }

    [Fact]
    public void A_building_may_anonymize_its_footage_at_the_deadline_but_facial_entry_captures_are_always_deleted()
    {
        var options = new RetentionOptions();
        options.Buildings["b7"] = new BuildingRetentionOptions { FootageAction = RetentionAction.Anonymize };
        options.Buildings["b8"] = new BuildingRetentionOptions { FootageAction = RetentionAction.Anonymize, SurveillanceFootage = TimeSpan.FromDays(14) };
        var policy = Policy(options);
        Assert.Equal(new RetentionRule("footage-default-30d-anonymize", "O2", TimeSpan.FromDays(30), RetentionAction.Anonymize), policy.ForRecording(RecordingKind.Surveillance, "b7"));
        Assert.Equal(new RetentionRule("footage-building-14d-anonymize", "O2", TimeSpan.FromDays(14), RetentionAction.Anonymize), policy.ForRecording(RecordingKind.Surveillance, "b8"));
        Assert.Equal(RetentionAction.Delete, policy.ForRecording(RecordingKind.Surveillance, "b9").Action);
        Assert.Equal(new RetentionRule("tdpa-authentication-90d", "O4", TimeSpan.FromDays(90), RetentionAction.Delete), policy.ForRecording(RecordingKind.FacialEntry, "b7"));
        Assert.Equal(new RetentionRule("anonymized-footage-365d", "O7", TimeSpan.FromDays(365), RetentionAction.Delete), policy.ForAnonymizedFootage());
    }

    [Theory]
    [InlineData(366, 5, 10)]
    [InlineData(0, 5, 10)]
    [InlineData(365, 0, 10)]
    [InlineData(365, 101, 10)]
    [InlineData(365, 5, 0)]
    [InlineData(365, 5, 61)]
    public void Anonymization_settings_out_of_range_are_refused_at_start(int anonymizedDays, int perBatch, int timeoutMinutes)
    {
        var options = new RetentionOptions
        {
            AnonymizedFootage = TimeSpan.FromDays(anonymizedDays),
            AnonymizationsPerBatch = perBatch,
            AnonymizationTimeout = TimeSpan.FromMinutes(timeoutMinutes),
        };
        Assert.True(new RetentionOptionsValidator().Validate(null, options).Failed);
    }

    [Fact]
    public void The_defaults_are_valid() => Assert.True(new RetentionOptionsValidator().Validate(null, new RetentionOptions()).Succeeded);

    private static RetentionPolicy Policy(RetentionOptions options) => new(Options.Create(options));
}
