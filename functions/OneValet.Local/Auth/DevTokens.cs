using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Api.Auth;
using OneValet.Pipeline.Ingestion;

namespace OneValet.Local.Auth;

/// <summary>Body of <c>POST /api/dev/tokens</c> (local host only).</summary>
public sealed record DevTokenRequest(
    string? Role = null,
    string? SubjectId = null,
    IReadOnlyList<string>? BuildingIds = null,
    string? UnitId = null,
    string? DeviceId = null,
    IReadOnlyList<string>? DoorIds = null,
    string? ActsFor = null,
    bool Verified = false,
    IReadOnlyList<string>? Roles = null);

/// <summary>
/// The local host's development tokens: signed with a key kept in the data directory (<c>dev-token-key</c>, created on first
/// start, owner-only), issuer <c>onevalet-local</c>. They are validated by the same <see cref="BearerAuthenticator"/> as Entra
/// ID tokens in Azure; only the issuer and the keys differ. This endpoint exists only on the local host.
/// </summary>
public static class DevTokens
{
    public const string Path = "/api/dev/tokens";

    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);

    /// <summary>Marks the token endpoint for the gate (anonymous, rate limited per IP).</summary>
    public sealed class EndpointMarker;

    public static SymmetricSigningKey LoadOrCreateKey(string dataDirectory)
    {
        Loopback.OwnerOnlyDirectory(dataDirectory);
        var file = System.IO.Path.Combine(dataDirectory, "dev-token-key");
        if (!File.Exists(file))
        {
            var key = RandomNumberGenerator.GetBytes(32);
            var temp = file + "." + Guid.NewGuid().ToString("N") + ".tmp";
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // owner-only from the moment it exists
            }

            using (var writer = new StreamWriter(temp, System.Text.Encoding.ASCII, create))
            {
                writer.Write(Convert.ToBase64String(key));
            }

            try
            {
                File.Move(temp, file, overwrite: false);
            }
            catch (IOException)
            {
                File.Delete(temp); // another process created it first: use theirs
            }
        }

        return new SymmetricSigningKey(Convert.FromBase64String(File.ReadAllText(file).Trim()));
    }

    public static IResult Issue(DevTokenRequest? request, SymmetricSigningKey key, IOptions<AuthOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        // One role ("role") or several ("roles"): a token with several is judged role by role (ApiAuthorizer).
        var roles = request is null ? [] : (request.Roles ?? []).Append(request.Role).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
        if (request is null || roles.Length is 0 or > 6 || roles.Any(r => !AuthClaims.RoleNames.ContainsKey(r)))
        {
            return Problems.BadRequest("'role' (or each of 'roles') is one of " + string.Join(", ", AuthClaims.RoleNames.Keys) + ".");
        }

        var ids = new[] { request.SubjectId, request.UnitId, request.DeviceId, request.ActsFor }
            .Concat(request.BuildingIds ?? []).Concat(request.DoorIds ?? []);
        if (ids.Any(id => id is not null && !UploadName.IsValidId(id)))
        {
            return Problems.BadRequest("Ids are 1 to 64 characters of a-z, 0-9 and '-'.");
        }

        var now = time.GetUtcNow();
        var claims = new Dictionary<string, object>
        {
            [AuthClaims.Roles] = roles,
            [AuthClaims.Subject] = request.SubjectId ?? request.DeviceId ?? roles[0] + "-" + Guid.NewGuid().ToString("N")[..8],
        };
        Add(claims, AuthClaims.BuildingIds, request.BuildingIds);
        Add(claims, AuthClaims.DoorIds, request.DoorIds);
        if (request.UnitId is not null)
        {
            claims[AuthClaims.UnitId] = request.UnitId;
        }

        if (request.DeviceId is not null)
        {
            claims[AuthClaims.DeviceId] = request.DeviceId;
        }

        if (request.ActsFor is not null)
        {
            claims[AuthClaims.ActsFor] = request.ActsFor;
            claims[AuthClaims.Verified] = request.Verified ? "true" : "false";
        }

        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Value.Issuer,
            Audience = options.Value.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + Lifetime).UtcDateTime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(key.Key, SecurityAlgorithms.HmacSha256),
        });
        return TypedResults.Json(new { token, expiresAt = now + Lifetime }, ApiJson.Options);
    }

    private static void Add(Dictionary<string, object> claims, string name, IReadOnlyList<string>? values)
    {
        if (values is { Count: > 0 })
        {
            claims[name] = values.ToArray();
        }
    }
}
