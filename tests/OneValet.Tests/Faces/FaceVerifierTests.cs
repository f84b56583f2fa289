using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Faces;
using Xunit;

namespace OneValet.Tests.Faces;

/// <summary>The Face API side of Facial Entry through the registered services (AddFaces), as a host wires them; the Face
/// API itself is <see cref="FakeFaceService"/>.</summary>
public sealed class FaceVerifierTests
{
    [Fact]
    public async Task Without_an_endpoint_nothing_is_configured_and_any_face_api_call_is_refused_naming_the_setting()
    {
        using var services = Services(new Dictionary<string, string?>());
        var verifier = services.GetRequiredService<FaceVerifier>();

        Assert.False(verifier.IsConfigured);
        Assert.False(services.GetRequiredService<FaceApi>().IsConfigured);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => verifier.IdentifyAsync(BinaryData.FromBytes(FaceSamples.Jpeg(FaceSamples.FaceTile())), CancellationToken.None));
        Assert.Contains("OneValet:Faces:Endpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_endpoint_without_a_large_person_group_is_refused_at_start_up()
    {
        using var services = Services(new Dictionary<string, string?> { ["OneValet:Faces:Endpoint"] = "https://contoso.cognitiveservices.azure.com/" });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<FaceOptions>>().Value);
        Assert.Contains("LargePersonGroupId", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1.5")]
    [InlineData("-0.2")]
    public void A_confidence_threshold_outside_0_to_1_is_refused_at_start_up(string threshold)
    {
        using var services = Services(new Dictionary<string, string?> { ["OneValet:Faces:ConfidenceThreshold"] = threshold });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<FaceOptions>>().Value);
        Assert.Contains("ConfidenceThreshold", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Identification_returns_each_face_s_candidates_with_its_rectangle_and_a_deleted_person_is_forgotten()
    {
        var face = new FakeFaceService();
        byte[] alice = [0xFF, 0xD8, 0xFF, 1], bob = [0xFF, 0xD8, 0xFF, 2], both = [0xFF, 0xD8, 0xFF, 3];
        face.Shows(alice, "alice");
        face.Shows(bob, "bob");
        face.Shows(both, "alice", "bob");
        using var services = Services(
            new Dictionary<string, string?> { ["OneValet:Faces:Endpoint"] = FakeFaceService.Endpoint, ["OneValet:Faces:LargePersonGroupId"] = FakeFaceService.GroupId },
            s => s.AddSingleton(face.CreateApi()));
        var verifier = services.GetRequiredService<FaceVerifier>();
        var alicePerson = await verifier.CreatePersonAsync("r-alice", default);
        await verifier.AddReferenceFaceAsync(alicePerson, BinaryData.FromBytes(alice), default);
        var bobPerson = await verifier.CreatePersonAsync("r-bob", default);
        await verifier.AddReferenceFaceAsync(bobPerson, BinaryData.FromBytes(bob), default);

        var found = await verifier.IdentifyAsync(BinaryData.FromBytes(both), default);

        Assert.Equal(2, found.Faces);
        Assert.Equal(new FaceRectangle(40, 30, 100, 100), found.Candidates.Single(c => c.PersonId == alicePerson).Face);
        Assert.Equal(new FaceRectangle(160, 30, 90, 90), found.Candidates.Single(c => c.PersonId == bobPerson).Face);

        Assert.True(await verifier.DeletePersonAsync(bobPerson, default));
        Assert.False(await verifier.DeletePersonAsync(bobPerson, default)); // idempotent
        Assert.Equal([alicePerson], (await verifier.IdentifyAsync(BinaryData.FromBytes(both), default)).Candidates.Select(c => c.PersonId));
        Assert.Equal(0, (await verifier.IdentifyAsync(BinaryData.FromBytes([0xFF, 0xD8, 0xFF, 9]), default)).Faces);
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings, Action<IServiceCollection>? configure = null)
    {
        var collection = new ServiceCollection();
        collection.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        collection.AddLogging();
        collection.AddFaces();
        configure?.Invoke(collection);
        return collection.BuildServiceProvider();
    }
}
