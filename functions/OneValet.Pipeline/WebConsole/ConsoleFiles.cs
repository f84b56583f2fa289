using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Api.Auth;

namespace OneValet.Pipeline.WebConsole;

/// <summary>What <c>GET /api/console/config</c> tells the page: how to sign in. No secret: a public client's id.</summary>
public sealed record ConsoleConfig(string SignIn, string? Authority, string? ClientId, string? Scope);

/// <summary>
/// The privacy office's console (issue 19): three static files (HTML, CSS, vanilla JavaScript; no build step, nothing
/// third-party) embedded in this assembly from <c>WebConsole/site</c>, served the same by both hosts through
/// <see cref="ApiRoutes.Console"/> and <see cref="ApiRoutes.ConsoleAsset"/>. The page calls the API with the caller's
/// token; it keeps no state of its own on any server. Every response carries a content security policy that allows
/// this origin only (no third-party scripts, styles, fonts, frames or analytics), and Entra ID's token endpoint when the
/// console signs in with Entra.
/// </summary>
public sealed class ConsoleFiles(IOptions<ConsoleOptions> options, IOptions<AuthOptions> auth)
{
    /// <summary>Entra ID's sign-in host: the one other origin the page may call (to redeem its authorization code).</summary>
    public const string EntraOrigin = "https://login.microsoftonline.com";

    private static readonly Dictionary<string, (string Resource, string ContentType)> Assets = new(StringComparer.Ordinal)
    {
        ["script"] = ("console/console.js", "text/javascript; charset=utf-8"),
        ["style"] = ("console/console.css", "text/css; charset=utf-8"),
    };

    private static readonly Lazy<Dictionary<string, byte[]>> Files = new(Load);

    /// <summary>The page's content security policy: this origin only; Entra's token endpoint when Entra signs in.</summary>
    public string ContentSecurityPolicy => string.Join("; ",
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'none'",
        "connect-src 'self'" + (SignIn == "entra" ? " " + EntraOrigin : ""),
        "object-src 'none'",
        "frame-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'");

    private string SignIn => options.Value.DevTokens
        ? "dev-tokens"
        : options.Value.ClientId.Length > 0 && auth.Value.TenantId.Length > 0 ? "entra" : "unavailable";

    /// <summary><c>GET /api/console</c>: the page.</summary>
    public IResult Page() => new StaticFile(Files.Value["console/index.html"], "text/html; charset=utf-8", ContentSecurityPolicy);

    /// <summary><c>GET /api/console/{asset}</c>: <c>script</c>, <c>style</c>, or <c>config</c> (how to sign in).</summary>
    public IResult Asset(string asset)
    {
        if (asset == "config")
        {
            var o = options.Value;
            var config = SignIn == "entra"
                ? new ConsoleConfig("entra", $"{EntraOrigin}/{Uri.EscapeDataString(auth.Value.TenantId)}/oauth2/v2.0", o.ClientId, o.Scope)
                : new ConsoleConfig(SignIn, null, null, null);
            return new StaticFile(JsonSerializer.SerializeToUtf8Bytes(config, ApiJson.Options), "application/json", ContentSecurityPolicy);
        }

        return Assets.TryGetValue(asset, out var file)
            ? new StaticFile(Files.Value[file.Resource], file.ContentType, ContentSecurityPolicy)
            : Problems.NotFound("No such console file.");
    }

    private static Dictionary<string, byte[]> Load()
    {
        var assembly = typeof(ConsoleFiles).Assembly;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in new[] { "console/index.html", "console/console.js", "console/console.css" })
        {
            using var stream = assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"The console file {name} is not embedded.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[name] = copy.ToArray();
        }

        return files;
    }

    /// <summary>A file with the console's headers: its policy, no sniffing, no referrer, no caching of an old page.</summary>
    private sealed class StaticFile(byte[] content, string contentType, string policy) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            ArgumentNullException.ThrowIfNull(httpContext);
            var headers = httpContext.Response.Headers;
            headers.ContentSecurityPolicy = policy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            headers.CacheControl = "no-cache";
            httpContext.Response.ContentType = contentType;
            httpContext.Response.ContentLength = content.Length;
            return httpContext.Response.Body.WriteAsync(content, httpContext.RequestAborted).AsTask();
        }
    }
}
