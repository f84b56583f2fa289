using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Faces;
using OneValet.Pipeline.Residents;
using Xunit;

namespace OneValet.Tests.Faces;

/// <summary>Facial Entry verification through the registered services (AddFaces), as a host wires them.</summary>
public sealed class FaceVerifierTests
{
    private static readonly ResidentRecord Consenting = new()
    {
        ResidentId = "r-1",
        BuildingId = "tower-1",
        UnitId = "12a",
        MovedInAt = DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
        Email = "resident@example.com",
        Jurisdiction = "new-york",
        FacialEntry = new FacialEntryConsent { GivenAt = DateTimeOffset.Parse("2026-01-02T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), PolicyVersion = "2022-06-29" },
    };

    [Fact]
    public async Task Without_an_endpoint_verification_says_not_configured_and_enrollment_stores_nothing()
    {
        using var services = Services(new Dictionary<string, string?>());
        var verifier = services.GetRequiredService<FaceVerifier>();

        var result = await verifier.VerifyAsync(Consenting, enrollment: null, BinaryData.FromBytes(FaceSamples.Jpeg(FaceSamples.FaceTile())), CancellationToken.None);

        Assert.Equal(FaceVerificationStatus.NotConfigured, result.Status);
        Assert.Null(result.Confidence);
        Assert.False(services.GetRequiredService<FaceApi>().IsConfigured);
        Assert.Null(await verifier.EnrollAsync(Consenting, BinaryData.FromBytes([1]), CancellationToken.None));
    }

    [Fact]
    public async Task Without_consent_nothing_is_processed_even_before_configuration_is_looked_at()
    {
        using var services = Services(new Dictionary<string, string?>());
        var withdrawn = Consenting with { FacialEntry = Consenting.FacialEntry! with { WithdrawnAt = DateTimeOffset.UnixEpoch } };

        var result = await services.GetRequiredService<FaceVerifier>().VerifyAsync(withdrawn, null, BinaryData.FromBytes([1]), CancellationToken.None);

        Assert.Equal(FaceVerificationStatus.NoConsent, result.Status);
    }

    [Fact]
    public void An_endpoint_without_a_large_person_group_is_refused_at_start_up()
    {
        using var services = Services(new Dictionary<string, string?> { ["OneValet:Faces:Endpoint"] = "https://contoso.cognitiveservices.azure.com/" });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<FaceOptions>>().Value);
        Assert.Contains("LargePersonGroupId", error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var collection = new ServiceCollection();
        collection.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        collection.AddLogging();
        collection.AddFaces();
        return collection.BuildServiceProvider();
    }
}
