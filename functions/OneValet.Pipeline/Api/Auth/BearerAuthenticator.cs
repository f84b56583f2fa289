using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OneValet.Pipeline.Api.Auth;

/// <summary>
/// Validates the <c>Authorization: Bearer</c> token of a request: signature (keys of <see cref="ISigningKeys"/>), issuer,
/// audience, lifetime. One code path for Entra ID access tokens (Functions app, <see cref="AuthOptions.TenantId"/> set:
/// the token's shape is checked by <see cref="EntraAccessTokens"/> and the caller becomes a pseudonymous resident) and
/// development tokens (local host). A token naming a key not yet known asks the keys to refresh once (key rollover).
/// </summary>
public sealed class BearerAuthenticator(IOptions<AuthOptions> options, ISigningKeys keys)
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    /// <summary>The principal, or null when there is no token or it is not valid (the caller is then anonymous).</summary>
    public async Task<ClaimsPrincipal?> AuthenticateAsync(string? authorization, CancellationToken cancellationToken)
    {
        const string prefix = "Bearer ";
        if (authorization is null || !authorization.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || authorization.Length > 16 * 1024)
        {
            return null;
        }

        var o = options.Value;
        var entra = o.TenantId.Length > 0;
        var token = authorization[prefix.Length..].Trim();
        var result = await _handler.ValidateTokenAsync(token, Parameters(o, entra, await keys.GetAsync(cancellationToken).ConfigureAwait(false))).ConfigureAwait(false);
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            result = await _handler.ValidateTokenAsync(token, Parameters(o, entra, await keys.RefreshAsync(cancellationToken).ConfigureAwait(false))).ConfigureAwait(false);
        }

        if (!result.IsValid)
        {
            return null;
        }

        if (!entra)
        {
            return new ClaimsPrincipal(result.ClaimsIdentity);
        }

        return result.SecurityToken is JsonWebToken jwt && EntraAccessTokens.IsAccessToken(jwt, o)
            ? new ClaimsPrincipal(EntraAccessTokens.MapResident(result.ClaimsIdentity, o))
            : null;
    }

    private static TokenValidationParameters Parameters(AuthOptions o, bool entra, IReadOnlyList<SecurityKey> signingKeys) => new()
    {
        ValidIssuers = entra ? EntraAccessTokens.Issuers(o) : [o.Issuer!],
        ValidAudiences = entra ? EntraAccessTokens.Audiences(o) : [o.Audience!],
        IssuerSigningKeys = signingKeys,
        ValidateIssuerSigningKey = true,
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ValidAlgorithms = entra ? [SecurityAlgorithms.RsaSha256] : null,
        ClockSkew = o.ClockSkew,
        RoleClaimType = AuthClaims.Roles,
        NameClaimType = AuthClaims.Subject,
    };
}
