using OneValet.Pipeline.Disclosures;
using Xunit;

namespace OneValet.Tests.Disclosures;

/// <summary>O12 and the TDPA's limits on keyless-entry data, as pure rules.</summary>
public sealed class DisclosureRulesTests
{
    private static DisclosureInput Input(DisclosurePurpose purpose, RecipientCategory recipient, string category = "identifiers", string? authorization = null) =>
        new("r-1", null, [category], recipient, "Acme", purpose, "contract", null, authorization);

    [Theory]
    [InlineData(DisclosurePurpose.Marketing)]
    [InlineData(DisclosurePurpose.Advertising)]
    [InlineData(DisclosurePurpose.Sale)]
    public void Marketing_advertising_and_sale_are_refused_whoever_the_recipient(DisclosurePurpose purpose)
    {
        foreach (var recipient in Enum.GetValues<RecipientCategory>())
        {
            Assert.NotNull(DisclosuresApi.Check(Input(purpose, recipient), out var invalid));
            Assert.Null(invalid);
        }
    }

    [Fact]
    public void Ordinary_sharing_with_a_listed_recipient_is_allowed()
    {
        Assert.Null(DisclosuresApi.Check(Input(DisclosurePurpose.PropertyManagement, RecipientCategory.PropertyManagement), out var invalid));
        Assert.Null(invalid);
    }

    [Theory]
    [InlineData(RecipientCategory.Authorities, DisclosurePurpose.LawEnforcement, "subpoena 2026-77", true)]
    [InlineData(RecipientCategory.Authorities, DisclosurePurpose.LawEnforcement, null, false)]
    [InlineData(RecipientCategory.PropertyManagement, DisclosurePurpose.PropertyManagement, "operator authorization 12", true)]
    [InlineData(RecipientCategory.PropertyManagement, DisclosurePurpose.PropertyManagement, null, false)]
    [InlineData(RecipientCategory.BuildingVisitors, DisclosurePurpose.GuestAccess, "tenant r-1 authorized", true)]
    [InlineData(RecipientCategory.VendorsChosenByPerson, DisclosurePurpose.EnergyEfficiency, null, true)]
    [InlineData(RecipientCategory.BusinessPartners, DisclosurePurpose.ServiceProvision, "anything", false)]
    [InlineData(RecipientCategory.Affiliates, DisclosurePurpose.Security, "anything", false)]
    public void Keyless_entry_data_goes_only_where_the_tdpa_allows(RecipientCategory recipient, DisclosurePurpose purpose, string? authorization, bool allowed)
    {
        var refusal = DisclosuresApi.Check(Input(purpose, recipient, "authentication-data", authorization), out var invalid);
        Assert.Null(invalid);
        Assert.Equal(allowed, refusal is null);
    }

    [Fact]
    public void Malformed_disclosures_are_invalid_not_refused()
    {
        Assert.Null(DisclosuresApi.Check(Input(DisclosurePurpose.Security, RecipientCategory.Authorities, "faces"), out var unknownCategory));
        Assert.NotNull(unknownCategory);
        Assert.Null(DisclosuresApi.Check(new DisclosureInput("r-1", "b-1", ["identifiers"], RecipientCategory.Landlord, "x", DisclosurePurpose.Security, "y", null, null), out var bothScopes));
        Assert.NotNull(bothScopes);
    }
}
