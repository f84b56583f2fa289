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

    /// <summary>Requests per window, per principal (or client IP), on intake routes (every POST).</summary>
    public int IntakePermitsPerMinute { get; set; } = 600;

    /// <summary>The local host's issuer and audience (its defaults when none are configured).</summary>
    public const string LocalIssuer = "onevalet-local";

    public const string LocalAudience = "onevalet-api";
}
