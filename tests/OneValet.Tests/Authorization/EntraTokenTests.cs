using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Api.Auth;
using Xunit;

namespace OneValet.Tests.Authorization;

/// <summary>
/// #16.1: the Functions app's authenticator against tokens shaped exactly like Entra ID's access tokens (header typ/alg/kid,
/// v1 also x5t; claims aud, iss, iat, nbf, exp, aio, azp/appid, azpacr, idtyp, oid, sub, tid, roles, scp, uti, rh, ver),
/// signed by RSA keys that a real HTTP server on 127.0.0.1 publishes as the tenant's OpenID Connect metadata. The caller's
/// subject is the resident id of the claims-mapped <c>resident_id</c> claim, never Entra's <c>sub</c> or <c>oid</c>.
/// </summary>
public sealed class EntraTokenTests : IAsyncLifetime
{
    private const string Tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    private const string OtherTenant = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";
    private const string ClientId = "6e74172b-be56-4843-9ff4-e66a39bb12e3";
    private const string AppIdUri = "api://onevalet-api";
    private const string ClientApp = "0f1b8a4e-5e8f-4a53-9d3c-0a4a3b3f7a11";

    // RSA key generation is slow: three keys for the whole class (each test has its own metadata server and cache).
    private static readonly EntraKey _keyA = new();
    private static readonly EntraKey _keyB = new();
    private static readonly EntraKey _unpublished = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private EntraMetadataServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await EntraMetadataServer.StartAsync(Tenant);
        _server.Publish(_keyA);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_v2_access_token_as_Entra_issues_it_is_a_caller_whose_subject_is_the_mapped_resident_id()
    {
        var (authenticator, _) = Authenticator();
        var caller = Caller.From(await authenticator.AuthenticateAsync("Bearer " + V2(), default));
        Assert.NotNull(caller);
        Assert.Equal(Roles.Resident, caller.Roles);
        Assert.Equal("res-17", caller.SubjectId);
    }

    [Fact]
    public async Task An_app_only_token_of_a_device_service_principal_is_accepted_with_its_roles()
    {
        var (authenticator, _) = Authenticator();
        var token = V2(edit: c =>
        {
            c.Remove("scp");
            c.Remove("resident_id");
            c["idtyp"] = "app";
            c["roles"] = new[] { "device" };
            c["sub"] = c["oid"];
        });
        var caller = Caller.From(await authenticator.AuthenticateAsync("Bearer " + token, default));
        Assert.NotNull(caller);
        Assert.Equal(Roles.Device, caller.Roles);
        Assert.Null(caller.SubjectId);
    }

    [Theory]
    [InlineData("no resident_id claim, Entra's sub spelled like a resident id")]
    [InlineData("a resident_id that is not a valid id")]
    [InlineData("two different resident_id values")]
    [InlineData("a resident_id that is an empty string")]
    public async Task Entras_sub_and_oid_never_become_the_subject_and_a_bad_mapping_gives_none(string flaw)
    {
        var (authenticator, _) = Authenticator();
        var token = V2(edit: c =>
        {
            switch (flaw)
            {
                case "no resident_id claim, Entra's sub spelled like a resident id":
                    c.Remove("resident_id");
                    c["sub"] = "res-17";
                    c["oid"] = "res-17";
                    break;
                case "a resident_id that is not a valid id":
                    c["resident_id"] = "Res 17/../x";
                    break;
                case "two different resident_id values":
                    c["resident_id"] = new[] { "res-17", "res-18" };
                    break;
                default:
                    c["resident_id"] = "";
                    break;
            }
        });
        var principal = await authenticator.AuthenticateAsync("Bearer " + token, default);
        var caller = Caller.From(principal);
        Assert.NotNull(caller); // a valid token: the caller is authenticated...
        Assert.Null(caller.SubjectId); // ...but is no resident, so reaches no resident's record
        Assert.DoesNotContain(principal!.Claims, c => c.Type == AuthClaims.Subject);
    }

    [Theory]
    [InlineData("an ID token for the API's own client id (nonce, no azp)")]
    [InlineData("an ID token with at_hash")]
    [InlineData("ver 1.0 under the v2 issuer")]
    [InlineData("no ver")]
    [InlineData("a v1 token while v1 is off")]
    [InlineData("another tenant's token under its own issuer")]
    [InlineData("our issuer but another tenant's tid")]
    [InlineData("no tid")]
    [InlineData("the App ID URI as audience of a v2 token")]
    [InlineData("another API's client id as audience")]
    [InlineData("two audiences")]
    [InlineData("typ at+jwt")]
    [InlineData("typ absent")]
    [InlineData("neither scp nor roles")]
    [InlineData("no azp")]
    [InlineData("expired")]
    [InlineData("not yet valid")]
    [InlineData("signed by a key the tenant never published")]
    [InlineData("signed with HS256 using the public modulus")]
    [InlineData("unsigned (alg none)")]
    public async Task Anything_that_is_not_an_Entra_access_token_for_this_API_is_no_caller(string flaw)
    {
        var (authenticator, _) = Authenticator();
        var token = flaw switch
        {
            "an ID token for the API's own client id (nonce, no azp)" => V2(edit: c =>
            {
                c.Remove("azp");
                c.Remove("azpacr");
                c.Remove("scp");
                c["nonce"] = "n-0S6_WzA2Mj";
            }),
            "an ID token with at_hash" => V2(edit: c => c["at_hash"] = "HK6E_P6Dh8Y93mRNtsDB1Q"),
            "ver 1.0 under the v2 issuer" => V2(edit: c => c["ver"] = "1.0"),
            "no ver" => V2(edit: c => c.Remove("ver")),
            "a v1 token while v1 is off" => V1(),
            "another tenant's token under its own issuer" => V2(issuer: $"https://login.microsoftonline.com/{OtherTenant}/v2.0", edit: c => c["tid"] = OtherTenant),
            "our issuer but another tenant's tid" => V2(edit: c => c["tid"] = OtherTenant),
            "no tid" => V2(edit: c => c.Remove("tid")),
            "the App ID URI as audience of a v2 token" => V2(audience: AppIdUri),
            "another API's client id as audience" => V2(audience: "00000003-0000-0000-c000-000000000000"),
            "two audiences" => V2(edit: c => c["aud"] = new[] { ClientId, AppIdUri }),
            "typ at+jwt" => V2(type: "at+jwt"),
            "typ absent" => V2(type: ""),
            "neither scp nor roles" => V2(edit: c =>
            {
                c.Remove("scp");
                c.Remove("roles");
            }),
            "no azp" => V2(edit: c => c.Remove("azp")),
            "expired" => V2(expires: DateTime.UtcNow.AddMinutes(-10)),
            "not yet valid" => V2(notBefore: DateTime.UtcNow.AddMinutes(30)),
            "signed by a key the tenant never published" => V2(key: _unpublished),
            "signed with HS256 using the public modulus" => V2(credentials: new SigningCredentials(
                new SymmetricSecurityKey(_keyA.Certificate.GetPublicKey()) { KeyId = _keyA.Kid }, SecurityAlgorithms.HmacSha256)),
            _ => Unsigned(),
        };
        Assert.Null(await authenticator.AuthenticateAsync("Bearer " + token, default));
    }

    [Fact]
    public async Task V1_tokens_by_setting_with_the_App_ID_URI_as_audience_and_x5t_in_the_header()
    {
        var (authenticator, _) = Authenticator(o =>
        {
            o.AcceptV1 = true;
            o.V1Audience = AppIdUri;
        });
        var caller = Caller.From(await authenticator.AuthenticateAsync("Bearer " + V1(), default));
        Assert.NotNull(caller);
        Assert.Equal("res-17", caller.SubjectId);
        Assert.NotNull(await authenticator.AuthenticateAsync("Bearer " + V2(), default)); // v2 still accepted

        Assert.Null(await authenticator.AuthenticateAsync("Bearer " + V1(audience: ClientId), default)); // v1 audience is the URI, by setting
        Assert.Null(await authenticator.AuthenticateAsync("Bearer " + V1(edit: c => c["ver"] = "2.0"), default));
        Assert.Null(await authenticator.AuthenticateAsync("Bearer " + V1(edit: c => c.Remove("appid")), default));
        Assert.Null(await authenticator.AuthenticateAsync("Bearer " + V2(audience: AppIdUri), default)); // nor a v2 token with the v1 audience
    }

    [Fact]
    public async Task Key_rollover_a_new_key_works_once_published_and_a_removed_key_stops_at_the_next_read()
    {
        var (authenticator, options) = Authenticator();
        Assert.NotNull(await authenticator.AuthenticateAsync("Bearer " + V2(key: _keyA), default));
        Assert.Equal(1, _server.KeyReads);

        // B is not published yet: refused, even after the early re-read it causes.
        Assert.Null(await authenticator.AuthenticateAsync("Bearer " + V2(key: _keyB), default));

        // Entra publishes B beside A. Within the minimum interval an unknown kid does not make the metadata be read again
        // (no request flood can turn into metadata reads); after it, the first token signed by B triggers one read.
        _server.Publish(_keyA, _keyB);
        var reads = _server.KeyReads;
        for (var i = 0; i < 20; i++)
        {
            await authenticator.AuthenticateAsync("Bearer " + V2(key: _unpublished), default);
        }

        Assert.Equal(reads, _server.KeyReads);
        _time.Advance(options.MetadataMinimumRefreshInterval);
        Assert.NotNull(await authenticator.AuthenticateAsync("Bearer " + V2(key: _keyB), default));
        Assert.Equal(reads + 1, _server.KeyReads);
        Assert.NotNull(await authenticator.AuthenticateAsync("Bearer " + V2(key: _keyA), default));

        // Entra removes A. Tokens signed by A stop at the next read of the metadata (the refresh interval), B goes on.
        _server.Publish(_keyB);
        _time.Advance(options.MetadataRefreshInterval);
        Assert.Null(await authenticator.AuthenticateAsync("Bearer " + V2(key: _keyA), default));
        Assert.NotNull(await authenticator.AuthenticateAsync("Bearer " + V2(key: _keyB), default));
    }

    [Fact]
    public async Task Metadata_that_names_another_issuer_is_not_trusted()
    {
        var (authenticator, _) = Authenticator(o => o.Issuer = $"https://login.microsoftonline.com/{OtherTenant}/v2.0");
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => authenticator.AuthenticateAsync("Bearer " + V2(), default));
    }

    private (BearerAuthenticator Authenticator, AuthOptions Options) Authenticator(Action<AuthOptions>? configure = null)
    {
        var options = new AuthOptions
        {
            Issuer = EntraAccessTokens.V2Issuer(Tenant),
            Audience = ClientId,
            TenantId = Tenant,
            MetadataAddress = _server.MetadataAddress,
            RequireHttpsMetadata = false,
        };
        configure?.Invoke(options);
        var wrapped = Microsoft.Extensions.Options.Options.Create(options);
        return (new BearerAuthenticator(wrapped, new OpenIdSigningKeys(wrapped, _time)), options);
    }

    /// <summary>A v2.0 delegated access token as Entra issues it for a resident signed in to the app, with the claims
    /// mapping's resident_id.</summary>
    private static string V2(string? issuer = null, string? audience = null, DateTime? expires = null, DateTime? notBefore = null, EntraKey? key = null, SigningCredentials? credentials = null, string type = "JWT", Action<Dictionary<string, object>>? edit = null)
    {
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object>
        {
            ["aud"] = audience ?? ClientId,
            ["iss"] = issuer ?? EntraAccessTokens.V2Issuer(Tenant),
            ["aio"] = "AXQAi/8TAAAA0d8Hn6xO0T+Zl1Ka",
            ["azp"] = ClientApp,
            ["azpacr"] = "0",
            ["idtyp"] = "user",
            ["name"] = "Test Resident",
            ["oid"] = "690222be-ff1a-4d56-abd1-7e4f7d38e474",
            ["preferred_username"] = "resident@contoso.example",
            ["rh"] = "0.AXkAv_j0UQ.",
            ["roles"] = new[] { "resident" },
            ["scp"] = "access_as_user",
            ["sub"] = "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA",
            ["tid"] = Tenant,
            ["uti"] = "fqiBqXLPj0eQa82S-IYFAA",
            ["ver"] = "2.0",
            ["resident_id"] = "res-17",
        };
        edit?.Invoke(claims);
        return Sign(claims, now, expires, notBefore, credentials ?? (key ?? _keyA).Credentials, type, header: null);
    }

    /// <summary>A v1.0 access token (sts.windows.net issuer, appid, App ID URI audience, x5t beside kid in the header).</summary>
    private static string V1(string? audience = null, Action<Dictionary<string, object>>? edit = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["aud"] = audience ?? AppIdUri,
            ["iss"] = EntraAccessTokens.V1Issuer(Tenant),
            ["acr"] = "1",
            ["aio"] = "AXQAi/8TAAAA",
            ["amr"] = new[] { "pwd" },
            ["appid"] = ClientApp,
            ["appidacr"] = "0",
            ["oid"] = "690222be-ff1a-4d56-abd1-7e4f7d38e474",
            ["roles"] = new[] { "resident" },
            ["scp"] = "access_as_user",
            ["sub"] = "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA",
            ["tid"] = Tenant,
            ["unique_name"] = "resident@contoso.example",
            ["uti"] = "fqiBqXLPj0eQa82S-IYFAA",
            ["ver"] = "1.0",
            ["resident_id"] = "res-17",
        };
        edit?.Invoke(claims);
        return Sign(claims, DateTime.UtcNow, null, null, _keyA.X509Credentials, "JWT", header: null);
    }

    private static string Sign(Dictionary<string, object> claims, DateTime now, DateTime? expires, DateTime? notBefore, SigningCredentials credentials, string type, Dictionary<string, object>? header)
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Claims = claims,
            IssuedAt = now.AddMinutes(-5),
            NotBefore = notBefore ?? now.AddMinutes(-5),
            Expires = expires ?? now.AddMinutes(60),
            SigningCredentials = credentials,
            AdditionalHeaderClaims = header,
        };
        if (type.Length > 0)
        {
            descriptor.TokenType = type;
            return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
        }

        // No typ at all: build the header by hand.
        var token = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
        var parts = token.Split('.');
        var headerJson = System.Text.Json.Nodes.JsonNode.Parse(Base64UrlEncoder.Decode(parts[0]))!.AsObject();
        headerJson.Remove("typ");
        var signingInput = Base64UrlEncoder.Encode(headerJson.ToJsonString()) + "." + parts[1];
        var signature = new AsymmetricSignatureProvider(credentials.Key, credentials.Algorithm).Sign(System.Text.Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64UrlEncoder.Encode(signature);
    }

    private static string Unsigned()
    {
        var header = Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = Base64UrlEncoder.Encode($"{{\"aud\":\"{ClientId}\",\"iss\":\"{EntraAccessTokens.V2Issuer(Tenant)}\",\"tid\":\"{Tenant}\",\"ver\":\"2.0\",\"azp\":\"{ClientApp}\",\"roles\":[\"privacy-officer\"],\"iat\":{now - 60},\"nbf\":{now - 60},\"exp\":{now + 3600}}}");
        return header + "." + payload + ".";
    }
}
