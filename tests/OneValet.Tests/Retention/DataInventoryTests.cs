using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OneValet.Pipeline;
using OneValet.Pipeline.Configuration;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using Xunit;

namespace OneValet.Tests.Retention;

/// <summary>
/// O1, O7: one table declares every kind of stored data, its category, purpose and rule. The lists come from the code that
/// stores things (<see cref="Containers.All"/>, the blob containers of <see cref="StorageOptions"/>), never from the table
/// itself, so a new container without a rule fails here. Start-up refuses a configured period past what the law or the
/// policy allows (O4, O5, O2, O7, O8, O14, O18).
/// </summary>
public sealed class DataInventoryTests
{
    public static TheoryData<string> RecordContainers() => [.. Containers.All];

    /// <summary>Every blob container the pipeline writes: the default name of each *Container setting of the storage options.</summary>
    public static TheoryData<string> BlobContainers() => [.. BlobContainerNames()];

    private static string[] BlobContainerNames() =>
    [
        .. typeof(StorageOptions).GetProperties()
            .Where(p => p.PropertyType == typeof(string) && p.Name.EndsWith("Container", StringComparison.Ordinal))
            .Select(p => (string)p.GetValue(new StorageOptions())!),
    ];

    [Theory]
    [MemberData(nameof(RecordContainers))]
    public void Every_record_container_declares_category_purpose_rule_and_why(string container) =>
        AssertDeclared(DataInventory.Find(StoreKind.Records, container));

    [Theory]
    [MemberData(nameof(BlobContainers))]
    public void Every_blob_container_declares_category_purpose_rule_and_why(string container) =>
        AssertDeclared(DataInventory.Find(StoreKind.Blobs, container));

    [Fact]
    public void The_table_declares_nothing_the_code_does_not_store()
    {
        var records = Containers.All.ToHashSet(StringComparer.Ordinal);
        var blobs = BlobContainerNames().ToHashSet(StringComparer.Ordinal);
        Assert.All(DataInventory.Kinds, k => Assert.Contains(k.Container, k.Store == StoreKind.Records ? records : blobs));
        Assert.Equal(DataInventory.Kinds.Count, DataInventory.Kinds.Select(k => (k.Store, k.Container)).Distinct().Count());
    }

    [Fact]
    public void A_configurable_period_reads_the_setting_it_names()
    {
        var options = new RetentionOptions { ResidentIdentifiersAfterMoveOut = TimeSpan.FromDays(45), DisclosureRecords = TimeSpan.FromDays(400) };
        Assert.Equal(TimeSpan.FromDays(45), DataInventory.Find(StoreKind.Records, Containers.Residents)!.Configured!(options));
        Assert.Equal(TimeSpan.FromDays(400), DataInventory.Find(StoreKind.Records, Containers.Disclosures)!.Configured!(options));
        Assert.Equal(RetentionOptions.TdpaMaximum, DataInventory.Find(StoreKind.Records, Containers.DoorEvents)!.Configured!(options));
    }

    [Theory]
    [InlineData("AuthenticationData", "91.00:00:00", "90 days")] // O4: the TDPA's 90 days from collection
    [InlineData("ReferenceDataAfterExit", "90.00:00:01", "90 days")] // O5
    [InlineData("SurveillanceFootage", "366.00:00:00", "365 days")] // O2, O7: the policy's footage maximum
    [InlineData("Buildings:tower-1:SurveillanceFootage", "400.00:00:00", "365 days")]
    [InlineData("ResidentIdentifiersAfterMoveOut", "366.00:00:00", "365 days")] // O7
    [InlineData("DisclosureRecords", "731.00:00:00", "730 days")] // O18's 24 months
    [InlineData("DisclosureRecords", "300.00:00:00", "at least 365 days")] // O8: a 12-month look-back needs them
    [InlineData("DeliveryRecords", "800.00:00:00", "730 days")] // O14's 24 months
    [InlineData("AuditEntries", "700.00:00:00", "at least 730 days")] // O14, O18: the trail proves the records it answers for
    [InlineData("AuditEntries", "1100.00:00:00", "1095 days")]
    public void Start_up_refuses_a_period_past_its_legal_limit_with_a_message_naming_the_setting(string key, string value, string limit)
    {
        using var services = Pipeline(new Dictionary<string, string?> { ["OneValet:Retention:" + key] = value });
        var refusal = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(refusal.Failures, f => f.Contains("OneValet:Retention:" + key, StringComparison.Ordinal) && f.Contains(limit, StringComparison.Ordinal));
    }

    [Fact]
    public void Start_up_takes_the_defaults_and_periods_within_the_limits()
    {
        using var services = Pipeline(new Dictionary<string, string?>
        {
            ["OneValet:Retention:ResidentIdentifiersAfterMoveOut"] = "30.00:00:00",
            ["OneValet:Retention:DisclosureRecords"] = "365.00:00:00",
            ["OneValet:Retention:AuditEntries"] = "1095.00:00:00",
        });
        services.GetRequiredService<IStartupValidator>().Validate();
        Assert.Equal(TimeSpan.FromDays(30), services.GetRequiredService<IOptions<RetentionOptions>>().Value.ResidentIdentifiersAfterMoveOut);
    }

    private static ServiceProvider Pipeline(Dictionary<string, string?> settings)
    {
        settings["OneValet:Storage:ConnectionString"] = "UseDevelopmentStorage=true";
        settings["OneValet:Email:SmtpHost"] = "127.0.0.1";
        settings["OneValet:Email:FromAddress"] = "privacy@onevalet.test";
        settings["OneValet:Email:PrivacyOfficerAddress"] = "privacy-office@onevalet.test";
        settings["OneValet:Requests:SecretKey"] = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)(i + 1)).ToArray());
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddPipeline();
        return services.BuildServiceProvider();
    }

    private static void AssertDeclared(RecordKind? kind)
    {
        Assert.NotNull(kind);
        Assert.True(Enum.IsDefined(kind.Purpose));
        foreach (var text in new[] { kind.Category, kind.Rule, kind.Obligation, kind.Period, kind.Why, kind.EnforcedBy })
        {
            Assert.False(string.IsNullOrWhiteSpace(text));
        }

        Assert.Matches("^(O[0-9]+|D1)", kind.Obligation);
    }
}
