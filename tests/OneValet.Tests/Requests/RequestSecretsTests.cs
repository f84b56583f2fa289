using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Requests;
using Xunit;

namespace OneValet.Tests.Requests;

/// <summary>
/// Issue 13: the keyed hashes of privacy-request intake. One spelling per address (trim, NFC, IDNA domain, lower case; not
/// NFKC), codes that exist only with the secret, a stored hash that no other request or secret matches, and start-up
/// refusing a missing or short secret without echoing it.
/// </summary>
public sealed class RequestSecretsTests
{
    [Theory]
    [InlineData("  Ann.Lee@Example.COM ", "ann.lee@example.com")]
    [InlineData("zoe\u0308@example.test", "zo\u00eb@example.test")] // decomposed and composed "ë" are one address (NFC)
    [InlineData("ann@B\u00dcCHER.example", "ann@xn--bcher-kva.example")] // a Unicode domain and its ASCII form are one domain
    [InlineData("ann@xn--bcher-kva.example", "ann@xn--bcher-kva.example")]
    [InlineData("\uff41nn@example.test", "\uff41nn@example.test")] // a full-width "a" is another mailbox: no NFKC folding
    public void An_address_has_one_spelling(string given, string normalized) =>
        Assert.Equal(normalized, RequestSecrets.NormalizeEmail(given));

    [Fact]
    public void The_email_key_is_keyed_and_the_same_for_every_spelling_of_one_address()
    {
        var secrets = New();
        Assert.Equal(secrets.EmailKey("Ann.Lee@Example.com"), secrets.EmailKey(" ann.lee@example.COM"));
        Assert.NotEqual(secrets.EmailKey("ann.lee@example.com"), secrets.EmailKey("ann.lee@example.org"));
        Assert.NotEqual(secrets.EmailKey("ann.lee@example.com"), New().EmailKey("ann.lee@example.com"));
        Assert.NotEqual(secrets.EmailKey("ann.lee@example.com"), Convert.ToHexStringLower(SHA256.HashData("ann.lee@example.com"u8)));
        Assert.NotEqual(secrets.EmailKey("ann.lee@example.com"), secrets.CapKey("address", "ann.lee@example.com")); // one key per use
    }

    [Fact]
    public void A_code_is_six_digits_derived_from_the_nonce_and_the_secret_only()
    {
        var secrets = New();
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var code = secrets.Code("req-1", nonce);
        Assert.Matches("^[0-9]{6}$", code);
        Assert.Equal(code, secrets.Code("req-1", nonce));
        Assert.True(Enumerable.Range(0, 20).Select(_ => secrets.Code("req-1", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)))).Distinct().Count() > 15);
        Assert.True(Enumerable.Range(0, 20).Select(_ => New().Code("req-1", nonce)).Distinct().Count() > 15); // another secret, another code
    }

    [Fact]
    public void Only_the_right_code_of_the_right_request_matches_the_stored_hash()
    {
        var secrets = New();
        var stored = Convert.ToBase64String(secrets.CodeHash("req-1", "123456"));
        Assert.True(secrets.CodeMatches("req-1", "123456", stored));
        Assert.True(secrets.CodeMatches("req-1", " 123456 ", stored));
        Assert.False(secrets.CodeMatches("req-1", "123457", stored));
        Assert.False(secrets.CodeMatches("req-2", "123456", stored)); // a hash copied onto another request verifies nothing
        Assert.False(New().CodeMatches("req-1", "123456", stored)); // nor under another secret
        Assert.False(secrets.CodeMatches("req-1", "123456", "not base64"));
        Assert.False(secrets.CodeMatches("req-1", "123456", Convert.ToBase64String(new byte[16])));
        Assert.DoesNotContain("123456", stored, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not base64 at all")]
    [InlineData("c2hvcnQ=")] // "short": 5 bytes
    public void A_missing_or_short_secret_is_refused_at_start_naming_the_setting_not_the_value(string? value)
    {
        Assert.Null(RequestSecrets.DecodeKey(value));
        Assert.Throws<InvalidOperationException>(() => new RequestSecrets(Options.Create(new RequestOptions { SecretKey = value })));
        var result = new RequestOptionsValidator().Validate(null, new RequestOptions { SecretKey = value }).Failures ?? [];
        Assert.Contains(result, f => f.Contains("OneValet:Requests:SecretKey", StringComparison.Ordinal));
        Assert.DoesNotContain(result, f => value is { Length: > 0 } && f.Contains(value, StringComparison.Ordinal));
    }

    private static RequestSecrets New() =>
        new(Options.Create(new RequestOptions { SecretKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) }));
}
