using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using OneValet.Pipeline.Ingestion;

namespace OneValet.Pipeline.Api.Auth;

/// <summary>
/// What an Entra ID access token for this API must look like beyond its signature and lifetime, from Microsoft's access
/// token reference (learn.microsoft.com/entra/identity-platform/access-token-claims-reference), and how its caller becomes
/// a pseudonymous resident.
/// <list type="bullet">
/// <item>Header <c>typ</c> is <c>JWT</c>.</item>
/// <item>v2.0: <c>iss</c> = <c>https://login.microsoftonline.com/{tenant}/v2.0</c>, <c>ver</c> = <c>2.0</c>,
/// <c>aud</c> = the API's client id. v1.0 (only when <see cref="AuthOptions.AcceptV1"/>):
/// <c>iss</c> = <c>https://sts.windows.net/{tenant}/</c>, <c>ver</c> = <c>1.0</c>, <c>aud</c> = the application id URI.
/// A version's issuer with the other version's <c>ver</c> or audience is refused.</item>
/// <item><c>tid</c> = the configured tenant (no other tenant's token, whatever its issuer says).</item>
/// <item>An access token names the client it was issued to (<c>azp</c> in v2.0, <c>appid</c> in v1.0) and carries what
/// it may do (<c>scp</c> or <c>roles</c>). An ID token has neither client claim, and carries <c>nonce</c>,
/// <c>at_hash</c> or <c>c_hash</c>: "You shouldn't use an ID token to call an API"; it is refused.</item>
/// <item>The caller's subject is the pseudonymous resident id of <see cref="AuthOptions.ResidentIdClaim"/> (set by
/// property management through the directory, emitted by claims mapping), when it is a valid id; Entra's <c>sub</c> is
/// dropped, so a person without that claim is a caller with no subject (a resident reaching nothing).</item>
/// </list>
/// </summary>
public static class EntraAccessTokens
{
    /// <summary>Claims only an ID token carries (OpenID Connect), never an access token.</summary>
    private static readonly string[] IdTokenClaims = ["nonce", "at_hash", "c_hash"];

    /// <summary>The v2.0 issuer of a tenant (what <see cref="AuthOptions.Issuer"/> is in Azure).</summary>
    public static string V2Issuer(string tenantId) => $"https://login.microsoftonline.com/{tenantId}/v2.0";

    /// <summary>The v1.0 issuer of a tenant.</summary>
    public static string V1Issuer(string tenantId) => $"https://sts.windows.net/{tenantId}/";

    /// <summary>The issuers whose tokens are accepted.</summary>
    public static IReadOnlyList<string> Issuers(AuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.AcceptV1 ? [options.Issuer!, V1Issuer(options.TenantId)] : [options.Issuer!];
    }

    /// <summary>The audiences whose tokens are accepted (paired with the version in <see cref="IsAccessToken"/>).</summary>
    public static IReadOnlyList<string> Audiences(AuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.AcceptV1 && options.V1Audience.Length > 0 ? [options.Audience!, options.V1Audience] : [options.Audience!];
    }

    /// <summary>Whether a token that passed signature, issuer, audience and lifetime is an Entra access token for us.</summary>
    public static bool IsAccessToken(JsonWebToken token, AuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(options);
        if (!string.Equals(token.Typ, "JWT", StringComparison.Ordinal)
            || !string.Equals(Claim(token, "tid"), options.TenantId, StringComparison.OrdinalIgnoreCase)
            || token.Audiences.Count() != 1)
        {
            return false;
        }

        var audience = token.Audiences.Single();
        var version = Claim(token, "ver");
        var v2 = string.Equals(token.Issuer, options.Issuer, StringComparison.Ordinal)
            && version == "2.0" && string.Equals(audience, options.Audience, StringComparison.Ordinal) && Claim(token, "azp") is { Length: > 0 };
        var v1 = options.AcceptV1
            && string.Equals(token.Issuer, V1Issuer(options.TenantId), StringComparison.Ordinal)
            && version == "1.0" && options.V1Audience.Length > 0 && string.Equals(audience, options.V1Audience, StringComparison.Ordinal)
            && Claim(token, "appid") is { Length: > 0 };
        if (!v2 && !v1)
        {
            return false;
        }

        var idTokenMarks = IdTokenClaims.Any(name => token.TryGetPayloadValue<object>(name, out _));
        var grants = Claim(token, "scp") is { Length: > 0 } || token.Claims.Any(c => c.Type == AuthClaims.Roles);
        return !idTokenMarks && grants;
    }

    /// <summary>The identity the authorizer sees: Entra's claims, with the subject replaced by the resident id (or none).</summary>
    public static ClaimsIdentity MapResident(ClaimsIdentity identity, AuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(options);
        var mapped = new ClaimsIdentity(identity.AuthenticationType, AuthClaims.Subject, AuthClaims.Roles);
        mapped.AddClaims(identity.Claims.Where(c => c.Type != AuthClaims.Subject && c.Type != options.ResidentIdClaim).Select(c => c.Clone(mapped)));
        var residents = identity.FindAll(options.ResidentIdClaim).Select(c => c.Value).Distinct(StringComparer.Ordinal).ToList();
        if (residents is [var residentId] && UploadName.IsValidId(residentId))
        {
            mapped.AddClaim(new Claim(AuthClaims.Subject, residentId, ClaimValueTypes.String, identity.FindFirst("iss")?.Value ?? ClaimsIdentity.DefaultIssuer, ClaimsIdentity.DefaultIssuer, mapped));
        }

        return mapped;
    }

    private static string? Claim(JsonWebToken token, string name) =>
        token.TryGetPayloadValue<string>(name, out var value) ? value : null;
}
