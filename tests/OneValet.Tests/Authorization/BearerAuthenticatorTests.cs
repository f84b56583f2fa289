using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Api.Auth;
using Xunit;

namespace OneValet.Tests.Authorization;

/// <summary>The one validation path both hosts use: only a token of the configured issuer, audience and keys, in its
/// lifetime, passes; everything else is an anonymous caller (401 on a protected route).</summary>
public sealed class BearerAuthenticatorTests
{
    private static readonly SymmetricSigningKey Key = new(RandomNumberGenerator.GetBytes(32));
    private static readonly AuthOptions Options = new() { Issuer = "https://login.example/tenant/v2.0", Audience = "api://onevalet" };
    private readonly BearerAuthenticator _authenticator = new(Microsoft.Extensions.Options.Options.Create(Options), Key);

    [Fact]
    public async Task A_valid_token_maps_roles_and_grants_to_a_caller()
    {
        var principal = await _authenticator.AuthenticateAsync("Bearer " + Token(), default);
        var caller = Caller.From(principal);
        Assert.NotNull(caller);
        Assert.Equal(Roles.PropertyManager | Roles.Resident, caller.Roles);
        Assert.Equal(["b-1", "b-2"], caller.BuildingIds.Order());
        Assert.Equal("r-1", caller.SubjectId);
    }

    [Theory]
    [InlineData("issuer")]
    [InlineData("audience")]
    [InlineData("expired")]
    [InlineData("key")]
    [InlineData("unsigned")]
    [InlineData("garbage")]
    [InlineData("scheme")]
    public async Task Anything_else_is_no_caller(string flaw)
    {
        var header = flaw switch
        {
            "issuer" => "Bearer " + Token(issuer: "https://evil.example/v2.0"),
            "audience" => "Bearer " + Token(audience: "api://other"),
            "expired" => "Bearer " + Token(expires: DateTime.UtcNow.AddMinutes(-10)),
            "key" => "Bearer " + Token(key: new SymmetricSigningKey(RandomNumberGenerator.GetBytes(32)).Key),
            "unsigned" => "Bearer " + new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = Options.Issuer, Audience = Options.Audience, Expires = DateTime.UtcNow.AddHours(1),
                Claims = new Dictionary<string, object> { ["roles"] = new[] { "privacy-officer" } },
            }),
            "garbage" => "Bearer not.a.token",
            _ => "Basic " + Token(),
        };
        Assert.Null(await _authenticator.AuthenticateAsync(header, default));
    }

    private static string Token(string? issuer = null, string? audience = null, DateTime? expires = null, SecurityKey? key = null) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Options.Issuer,
            Audience = audience ?? Options.Audience,
            IssuedAt = DateTime.UtcNow.AddHours(-2),
            NotBefore = DateTime.UtcNow.AddHours(-2),
            Expires = expires ?? DateTime.UtcNow.AddHours(1),
            Claims = new Dictionary<string, object>
            {
                ["roles"] = new[] { "property-manager", "resident", "unknown-role" },
                ["sub"] = "r-1",
                ["building_ids"] = new[] { "b-1", "b-2" },
            },
            SigningCredentials = new SigningCredentials(key ?? Key.Key, SecurityAlgorithms.HmacSha256),
        });
}
