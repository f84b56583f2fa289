using System.Web;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using OneValet.Pipeline.Requests;
using Xunit;

namespace OneValet.Tests.Requests;

/// <summary>
/// #16.2: what an export link grants in Azure (a user-delegation SAS; the emulator's shared-key form is exercised end to
/// end in PrivacyRequestsEndToEndTests): read only, one blob, HTTPS only, minutes, however the lifetime is configured.
/// </summary>
public sealed class ExportLinksTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_user_delegation_link_reads_one_blob_over_https_until_it_expires()
    {
        var blob = new BlobClient(new Uri("https://stdataexample.blob.core.windows.net/exports/req-1/export.json"));
        var key = BlobsModelFactory.UserDelegationKey(
            "00000000-0000-0000-0000-0000000000aa", "00000000-0000-0000-0000-0000000000bb",
            Now.AddMinutes(-5), Now.AddMinutes(15), "b", "2025-01-05", Convert.ToBase64String(new byte[32]));
        var expires = ExportLinks.ExpiresAt(Now, TimeSpan.FromMinutes(15));

        var link = ExportLinks.Sign(blob, expires, key, "stdataexample");

        Assert.Equal("/exports/req-1/export.json", link.AbsolutePath);
        var query = HttpUtility.ParseQueryString(link.Query);
        Assert.Equal("r", query["sp"]); // read, nothing else: no write, delete, list, add, create, tag
        Assert.Equal("b", query["sr"]); // this blob, not the container
        Assert.Equal("https", query["spr"]);
        Assert.Equal(Now.AddMinutes(15), DateTimeOffset.Parse(query["se"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("00000000-0000-0000-0000-0000000000aa", query["skoid"]); // signed by the identity's delegation key
        Assert.False(string.IsNullOrEmpty(query["sig"]));
    }

    [Theory]
    [InlineData(15, 15)]
    [InlineData(60, 60)]
    [InlineData(60 * 24 * 7, 60)] // a week configured: an hour at most
    [InlineData(0, 1)]
    [InlineData(-30, 1)]
    public void A_link_lives_minutes_whatever_is_configured(int configuredMinutes, int expectedMinutes) =>
        Assert.Equal(Now.AddMinutes(expectedMinutes), ExportLinks.ExpiresAt(Now, TimeSpan.FromMinutes(configuredMinutes)));
}
