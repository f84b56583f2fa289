using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace OneValet.Pipeline.Api.Auth;

/// <summary>The keys that may sign an accepted token: the only thing (with the issuer) that differs between hosts.</summary>
public interface ISigningKeys
{
    Task<IReadOnlyList<SecurityKey>> GetAsync(CancellationToken cancellationToken);
}

/// <summary>Azure: Entra ID's signing keys from its OpenID Connect metadata, cached and refreshed by
/// <see cref="ConfigurationManager{T}"/> (as JwtBearer does).</summary>
public sealed class OpenIdSigningKeys(IOptions<AuthOptions> options) : ISigningKeys
{
    private readonly ConfigurationManager<OpenIdConnectConfiguration> _configuration = new(
        options.Value.MetadataAddress is { Length: > 0 } address ? address : options.Value.Issuer!.TrimEnd('/') + "/.well-known/openid-configuration",
        new OpenIdConnectConfigurationRetriever(),
        new HttpDocumentRetriever { RequireHttps = true });

    public async Task<IReadOnlyList<SecurityKey>> GetAsync(CancellationToken cancellationToken) =>
        [.. (await _configuration.GetConfigurationAsync(cancellationToken).ConfigureAwait(false)).SigningKeys];
}

/// <summary>A fixed symmetric key (the local host's development key, kept in its data directory).</summary>
public sealed class SymmetricSigningKey(byte[] key) : ISigningKeys
{
    public SymmetricSecurityKey Key { get; } = new(key) { KeyId = "local-dev" };

    public Task<IReadOnlyList<SecurityKey>> GetAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<SecurityKey>>([Key]);
}
