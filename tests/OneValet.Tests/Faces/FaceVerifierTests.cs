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
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => verifier.IdentifyAsync("b-1", BinaryData.FromBytes(FaceSamples.Jpeg(FaceSamples.FaceTile())), CancellationToken.None));
        Assert.Contains("OneValet:Faces:Endpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_endpoint_without_a_large_person_group_is_refused_at_start_up()
    {
        using var services = Services(new Dictionary<string, string?> { ["OneValet:Faces:Endpoint"] = "https://contoso.cognitiveservices.azure.com/" });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<FaceOptions>>().Value);
        Assert.Contains("LargePersonGroupPrefix", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Residents")]
    [InlineData("residents test")]
    [InlineData("a-prefix-that-is-32-characters-x")]
    public void A_group_prefix_the_face_api_would_refuse_or_that_leaves_no_room_for_the_building_is_refused_at_start_up(string prefix)
    {
        using var services = Services(new Dictionary<string, string?> { ["OneValet:Faces:Endpoint"] = FakeFaceService.Endpoint, ["OneValet:Faces:LargePersonGroupPrefix"] = prefix });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<FaceOptions>>().Value);
        Assert.Contains("LargePersonGroupPrefix", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_building_has_its_own_pseudonymous_group_id_within_the_face_api_s_rules()
    {
        // O3, O4: one group per building. The id is the prefix and a hash of the building id: the building id itself never
        // reaches the Face API, and the longest prefix with the longest building id still fits the Face API's 64 characters.
        var options = new FaceOptions { LargePersonGroupPrefix = new string('p', 31) };
        var buildings = new[] { "b-1", "b-2", "b-10", new string('z', 64), "1", "b-1-" };
        var ids = buildings.Select(options.LargePersonGroupIdFor).ToList();

        Assert.Equal(buildings.Length, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id => Assert.Matches("^[a-z0-9-_]{1,64}$", id));
        Assert.All(ids, id => Assert.Equal(64, id.Length));
        Assert.All(ids, id => Assert.Matches("^p{31}-[0-9a-f]{32}$", id));
        Assert.Equal(options.LargePersonGroupIdFor("b-1"), new FaceOptions { LargePersonGroupPrefix = new string('p', 31) }.LargePersonGroupIdFor("b-1"));
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
    public async Task Identification_returns_each_face_s_candidates_of_the_building_s_group_only_and_a_deleted_person_is_forgotten()
    {
        var face = new FakeFaceService();
        byte[] alice = [0xFF, 0xD8, 0xFF, 1], bob = [0xFF, 0xD8, 0xFF, 2], both = [0xFF, 0xD8, 0xFF, 3];
        face.Shows(alice, "alice");
        face.Shows(bob, "bob");
        face.Shows(both, "alice", "bob");
        using var services = Services(
            new Dictionary<string, string?> { ["OneValet:Faces:Endpoint"] = FakeFaceService.Endpoint, ["OneValet:Faces:LargePersonGroupPrefix"] = FakeFaceService.GroupPrefix },
            s => s.AddSingleton(face.CreateApi()));
        var verifier = services.GetRequiredService<FaceVerifier>();
        var alicePerson = await verifier.CreatePersonAsync("b-1", "r-alice", default);
        await verifier.AddReferenceFaceAsync("b-1", alicePerson, BinaryData.FromBytes(alice), default);
        var bobPerson = await verifier.CreatePersonAsync("b-1", "r-bob", default);
        await verifier.AddReferenceFaceAsync("b-1", bobPerson, BinaryData.FromBytes(bob), default);

        // Carol lives in b-2 and has Alice's face (a twin, or the same person enrolled twice): b-1's door never sees her.
        var carolPerson = await verifier.CreatePersonAsync("b-2", "r-carol", default);
        await verifier.AddReferenceFaceAsync("b-2", carolPerson, BinaryData.FromBytes(alice), default);
        var options = services.GetRequiredService<IOptions<FaceOptions>>().Value;
        Assert.Equal([carolPerson], face.PersonsIn(options.LargePersonGroupIdFor("b-2")));
        Assert.Equal(2, face.GroupIds.Count);

        var found = await verifier.IdentifyAsync("b-1", BinaryData.FromBytes(both), default);

        Assert.Equal(2, found.Faces);
        Assert.Equal(new FaceRectangle(40, 30, 100, 100), found.Candidates.Single(c => c.PersonId == alicePerson).Face);
        Assert.Equal(new FaceRectangle(160, 30, 90, 90), found.Candidates.Single(c => c.PersonId == bobPerson).Face);
        Assert.DoesNotContain(found.Candidates, c => c.PersonId == carolPerson);
        Assert.Equal([carolPerson], (await verifier.IdentifyAsync("b-2", BinaryData.FromBytes(alice), default)).Candidates.Select(c => c.PersonId));

        // A building where nobody ever enrolled has no group: faces, but no candidates, and no error.
        var nowhere = await verifier.IdentifyAsync("b-3", BinaryData.FromBytes(alice), default);
        Assert.Equal((1, 0), (nowhere.Faces, nowhere.Candidates.Count));

        Assert.True(await verifier.DeletePersonAsync("b-1", bobPerson, default));
        Assert.False(await verifier.DeletePersonAsync("b-1", bobPerson, default)); // idempotent
        Assert.False(await verifier.DeletePersonAsync("b-3", bobPerson, default)); // no such group: nothing to delete
        Assert.Equal([alicePerson], (await verifier.IdentifyAsync("b-1", BinaryData.FromBytes(both), default)).Candidates.Select(c => c.PersonId));
        Assert.Equal(0, (await verifier.IdentifyAsync("b-1", BinaryData.FromBytes([0xFF, 0xD8, 0xFF, 9]), default)).Faces);
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
