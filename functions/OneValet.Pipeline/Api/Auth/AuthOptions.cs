using System.ComponentModel.DataAnnotations;

namespace OneValet.Pipeline.Api.Auth;

/// <summary>Section <c>OneValet:Auth</c>: who issues the bearer tokens the API accepts.</summary>
public sealed class AuthOptions
{
    public const string Section = "OneValet:Auth";

    /// <summary>The accepted issuer (Entra ID: <c>https://login.microsoftonline.com/{tenant}/v2.0</c>; locally the local
    /// host's own issuer).</summary>
    [Required]
    public string? Issuer { get; set; }

    /// <summary>The accepted audience (Entra ID: the API app's client id or application id URI).</summary>
    [Required]
    public string? Audience { get; set; }

    /// <summary>Where the signing keys come from in Azure: the OpenID Connect metadata of this authority (defaults to the
    /// issuer's <c>/.well-known/openid-configuration</c>). Unused by the local host, which signs with its own key.</summary>
    public string MetadataAddress { get; set; } = "";

    /// <summary>
    /// The Entra ID tenant whose access tokens the API accepts; empty for the local host's development tokens. When set,
    /// tokens must be shaped as Entra issues access tokens (see <see cref="EntraAccessTokens"/>): <see cref="Issuer"/> is
    /// then the tenant's v2 issuer <c>https://login.microsoftonline.com/{tenant}/v2.0</c> and <see cref="Audience"/> the API
    /// app registration's client id (what a v2 token's <c>aud</c> always is).
    /// </summary>
    public string TenantId { get; set; } = "";

    /// <summary>Also accept v1.0 access tokens (issuer <c>https://sts.windows.net/{tenant}/</c>, <c>ver</c> 1.0), whose
    /// <c>aud</c> is <see cref="V1Audience"/>. Off: the app registration asks for v2 tokens
    /// (<c>requestedAccessTokenVersion: 2</c>).</summary>
    public bool AcceptV1 { get; set; }

    /// <summary>The audience of v1.0 tokens: the API's application id URI (e.g. <c>api://onevalet-api</c>).</summary>
    public string V1Audience { get; set; } = "";

    /// <summary>
    /// The claim that carries the caller's pseudonymous resident id in an Entra token, emitted by the app registration's
    /// claims-mapping policy from the directory extension attribute property management sets when it registers the
    /// resident (bicep/README.md). It becomes the caller's subject; Entra's own <c>sub</c> and <c>oid</c> never do.
    /// </summary>
    public string ResidentIdClaim { get; set; } = "resident_id";

    /// <summary>How long Entra's signing keys are used before the metadata is read again (a removed key stops working
    /// at the latest then).</summary>
    public TimeSpan MetadataRefreshInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A token signed by a key not in the cached set makes the metadata be read again (key rollover), at most
    /// once per this interval, so that unknown key ids cannot make every request fetch the metadata.</summary>
    public TimeSpan MetadataMinimumRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Metadata only over HTTPS; the tests serve theirs over plain HTTP on loopback (a non-loopback HTTP
    /// address is refused whatever this says).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Accepted clock skew.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Requests per window, per client IP, on anonymous routes.</summary>
    public int AnonymousPermitsPerMinute { get; set; } = 120;

    /// <summary>Requests per window, per principal, that write (POST, PUT, DELETE).</summary>
    public int IntakePermitsPerMinute { get; set; } = 600;

    /// <summary>Requests per window, per principal, that read (GET).</summary>
    public int ReadPermitsPerMinute { get; set; } = 1200;

    /// <summary>Facial Entry enrollment uploads per window, per principal (each is an image of up to 6 MB).</summary>
    public int UploadPermitsPerMinute { get; set; } = 10;

    /// <summary>Requests per window, per client address, on every route.</summary>
    public int ClientPermitsPerMinute { get; set; } = 3000;

    /// <summary>The header the client's address is read from, when a front end the host trusts sets it (the Functions
    /// app: <c>X-Forwarded-For</c>); empty to use the connection's address (the local host).</summary>
    public string ClientAddressHeader { get; set; } = "";

    /// <summary>How many proxies the host trusts in front of it: the client address is that many entries from the right
    /// of <see cref="ClientAddressHeader"/>.</summary>
    public int TrustedProxyHops { get; set; } = 1;

    /// <summary>The local host's issuer and audience (its defaults when none are configured).</summary>
    public const string LocalIssuer = "onevalet-local";

    public const string LocalAudience = "onevalet-api";
}
