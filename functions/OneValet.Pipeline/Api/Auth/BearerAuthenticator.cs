using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OneValet.Pipeline.Api.Auth;

/// <summary>
/// Validates the <c>Authorization: Bearer</c> token of a request: signature (keys of <see cref="ISigningKeys"/>), issuer,
/// audience, lifetime. One code path for Entra ID tokens (Functions app) and development tokens (local host).
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
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = o.Issuer,
            ValidAudience = o.Audience,
            IssuerSigningKeys = await keys.GetAsync(cancellationToken).ConfigureAwait(false),
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ClockSkew = o.ClockSkew,
            RoleClaimType = AuthClaims.Roles,
            NameClaimType = AuthClaims.Subject,
        };
        var result = await _handler.ValidateTokenAsync(authorization[prefix.Length..].Trim(), parameters).ConfigureAwait(false);
        return result.IsValid ? new ClaimsPrincipal(result.ClaimsIdentity) : null;
    }
}
