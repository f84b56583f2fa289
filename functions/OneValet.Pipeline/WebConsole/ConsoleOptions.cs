namespace OneValet.Pipeline.WebConsole;

/// <summary>
/// Section <c>OneValet:Console</c>: how the privacy office's console signs in. Locally the local host turns
/// <see cref="DevTokens"/> on (it serves <c>POST /api/dev/tokens</c>); in Azure the console signs in with Entra ID
/// (authorization code with PKCE) as the SPA app registration <see cref="ClientId"/>, asking for <see cref="Scope"/>.
/// </summary>
public sealed class ConsoleOptions
{
    public const string Section = "OneValet:Console";

    /// <summary>Sign in with the local host's development tokens (set by the local host, never in Azure).</summary>
    public bool DevTokens { get; set; }

    /// <summary>The client id of the console's own app registration (platform: single-page application, redirect URI
    /// <c>https://{app}/api/console</c>). Empty: no Entra sign-in is offered.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The delegated scope of the API the console asks for, e.g. <c>api://onevalet-api/access_as_user</c>.</summary>
    public string Scope { get; set; } = "";
}
