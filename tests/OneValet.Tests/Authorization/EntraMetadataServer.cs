using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace OneValet.Tests.Authorization;

/// <summary>
/// A tenant's OpenID Connect metadata as Entra ID serves it, on a real HTTP server on 127.0.0.1:
/// <c>/{tenant}/v2.0/.well-known/openid-configuration</c> naming the v2 issuer and <c>jwks_uri</c>
/// <c>/{tenant}/discovery/v2.0/keys</c>, whose keys are RSA keys with certificates (kty, use, kid, x5t, n, e, x5c), as
/// Entra publishes them. The published set can be changed while it runs (key rollover); reads are counted.
/// </summary>
internal sealed class EntraMetadataServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private volatile IReadOnlyList<EntraKey> _published = [];
    private int _reads;

    private EntraMetadataServer(WebApplication app, string tenantId)
    {
        _app = app;
        TenantId = tenantId;
    }

    public string TenantId { get; }

    public string BaseAddress { get; private set; } = "";

    public string MetadataAddress => $"{BaseAddress}/{TenantId}/v2.0/.well-known/openid-configuration";

    /// <summary>How many times the key set was read.</summary>
    public int KeyReads => Volatile.Read(ref _reads);

    public static async Task<EntraMetadataServer> StartAsync(string tenantId)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new EntraMetadataServer(app, tenantId);
        app.MapGet("/{tenant}/v2.0/.well-known/openid-configuration", (string tenant) => tenant != tenantId ? Results.NotFound() : Results.Json(new JsonObject
        {
            ["token_endpoint"] = $"https://login.microsoftonline.com/{tenantId}/oauth2/v2.0/token",
            ["jwks_uri"] = $"{server.BaseAddress}/{tenantId}/discovery/v2.0/keys",
            ["response_types_supported"] = new JsonArray("code", "id_token", "code id_token", "id_token token"),
            ["subject_types_supported"] = new JsonArray("pairwise"),
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
            ["issuer"] = $"https://login.microsoftonline.com/{tenantId}/v2.0",
            ["authorization_endpoint"] = $"https://login.microsoftonline.com/{tenantId}/oauth2/v2.0/authorize",
            ["tenant_region_scope"] = "NA",
        }));
        app.MapGet("/{tenant}/discovery/v2.0/keys", (string tenant) =>
        {
            Interlocked.Increment(ref server._reads);
            return tenant != tenantId ? Results.NotFound() : Results.Json(new JsonObject { ["keys"] = new JsonArray([.. server._published.Select(k => k.Jwk(tenantId))]) });
        });
        await app.StartAsync();
        server.BaseAddress = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
        return server;
    }

    public void Publish(params EntraKey[] keys) => _published = keys;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>An RSA signing key with a self-signed certificate, identified like Entra's: kid = x5t = base64url(SHA-1 thumbprint).</summary>
internal sealed class EntraKey : IDisposable
{
    private readonly RSA _rsa = RSA.Create(2048);

    public EntraKey()
    {
        var request = new CertificateRequest("CN=accounts.accesscontrol.windows.net", _rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        Certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        Kid = Base64UrlEncoder.Encode(Certificate.GetCertHash());
    }

    public X509Certificate2 Certificate { get; }

    public string Kid { get; }

    /// <summary>Signs with the private key; the token header names it by <c>kid</c>.</summary>
    public SigningCredentials Credentials => new(new RsaSecurityKey(_rsa) { KeyId = Kid }, SecurityAlgorithms.RsaSha256);

    /// <summary>Signs with the certificate's key; the header names it by <c>kid</c> and <c>x5t</c> (as v1.0 tokens do).</summary>
    public SigningCredentials X509Credentials => new(new X509SecurityKey(Certificate) { KeyId = Kid }, SecurityAlgorithms.RsaSha256);

    public JsonObject Jwk(string tenantId)
    {
        var parameters = _rsa.ExportParameters(false);
        return new JsonObject
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["kid"] = Kid,
            ["x5t"] = Kid,
            ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
            ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
            ["x5c"] = new JsonArray(Convert.ToBase64String(Certificate.RawData)),
            ["issuer"] = $"https://login.microsoftonline.com/{tenantId}/v2.0",
        };
    }

    public void Dispose()
    {
        Certificate.Dispose();
        _rsa.Dispose();
    }
}
