using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace OneValet.Pipeline.Api.Auth;

/// <summary>The keys that may sign an accepted token: the only thing (with the issuer) that differs between hosts.</summary>
public interface ISigningKeys
{
    Task<IReadOnlyList<SecurityKey>> GetAsync(CancellationToken cancellationToken);

    /// <summary>Asked when a token names a key that is not in the set (key rollover): the set read again if the source
    /// allows it now, else the current set.</summary>
    Task<IReadOnlyList<SecurityKey>> RefreshAsync(CancellationToken cancellationToken) => GetAsync(cancellationToken);
}

/// <summary>
/// Azure: Entra ID's signing keys from the tenant's OpenID Connect metadata (<c>jwks_uri</c>), cached for
/// <see cref="AuthOptions.MetadataRefreshInterval"/> and read again early when a token names an unknown key id (at most
/// once per <see cref="AuthOptions.MetadataMinimumRefreshInterval"/>), as JwtBearer does with its ConfigurationManager.
/// A rolled-in key works as soon as it is published; a removed key stops working at the next read. The metadata's
/// <c>issuer</c> must be the configured one, so a metadata address pointing elsewhere cannot swap the trust.
/// </summary>
public sealed class OpenIdSigningKeys : ISigningKeys, IDisposable
{
    private readonly AuthOptions _options;
    private readonly TimeProvider _time;
    private readonly string _address;
    private readonly IDocumentRetriever _retriever;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IReadOnlyList<SecurityKey>? _keys;
    private DateTimeOffset _readAt;

    public OpenIdSigningKeys(IOptions<AuthOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time;
        _address = _options.MetadataAddress is { Length: > 0 } address ? address : _options.Issuer!.TrimEnd('/') + "/.well-known/openid-configuration";
        var uri = new Uri(_address);
        if (uri.Scheme != Uri.UriSchemeHttps && !uri.IsLoopback)
        {
            throw new InvalidOperationException("The OpenID Connect metadata address must use HTTPS.");
        }

        _retriever = new HttpDocumentRetriever { RequireHttps = _options.RequireHttpsMetadata || !uri.IsLoopback };
    }

    public async Task<IReadOnlyList<SecurityKey>> GetAsync(CancellationToken cancellationToken)
    {
        var keys = _keys;
        if (keys is not null && _time.GetUtcNow() - _readAt < _options.MetadataRefreshInterval)
        {
            return keys;
        }

        return await ReadAsync(_options.MetadataRefreshInterval, cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<SecurityKey>> RefreshAsync(CancellationToken cancellationToken) =>
        ReadAsync(_options.MetadataMinimumRefreshInterval, cancellationToken);

    public void Dispose() => _gate.Dispose();

    /// <summary>Reads the metadata unless it was read less than <paramref name="notBefore"/> ago.</summary>
    private async Task<IReadOnlyList<SecurityKey>> ReadAsync(TimeSpan notBefore, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_keys is not null && _time.GetUtcNow() - _readAt < notBefore)
            {
                return _keys;
            }

            OpenIdConnectConfiguration configuration;
            try
            {
                configuration = await OpenIdConnectConfigurationRetriever.GetAsync(_address, _retriever, cancellationToken).ConfigureAwait(false);
                if (!string.Equals(configuration.Issuer, _options.Issuer, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException("The OpenID Connect metadata names another issuer than the configured one.");
                }
            }
            catch (Exception e) when (_keys is not null && e is IOException or HttpRequestException or InvalidOperationException or ArgumentException)
            {
                // Metadata unreachable or wrong: keep the keys known so far, and try again after the minimum interval.
                _readAt = _time.GetUtcNow() - _options.MetadataRefreshInterval + _options.MetadataMinimumRefreshInterval;
                return _keys;
            }

            _keys = [.. configuration.SigningKeys];
            _readAt = _time.GetUtcNow();
            return _keys;
        }
        finally
        {
            _gate.Release();
        }
    }
}

/// <summary>A fixed symmetric key (the local host's development key, kept in its data directory).</summary>
public sealed class SymmetricSigningKey(byte[] key) : ISigningKeys
{
    public SymmetricSecurityKey Key { get; } = new(key) { KeyId = "local-dev" };

    public Task<IReadOnlyList<SecurityKey>> GetAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<SecurityKey>>([Key]);
}
