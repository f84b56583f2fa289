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
