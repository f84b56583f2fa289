using System.Security.Claims;

namespace OneValet.Pipeline.Api.Auth;

/// <summary>The claims a bearer token carries, by name. The same names in Entra ID (app roles in <c>roles</c>, custom
/// claims by claims mapping) and in the local host's development tokens.</summary>
public static class AuthClaims
{
    public const string Roles = "roles";
    public const string Subject = "sub";
    public const string BuildingIds = "building_ids";
    public const string UnitId = "unit_id";
    public const string DeviceId = "device_id";
    public const string DoorIds = "door_ids";
    public const string ActsFor = "acts_for";

    /// <summary>"true" once the privacy-request flow verified an authorized agent's signed permission (O10).</summary>
    public const string Verified = "verified";

    /// <summary>The role names as tokens carry them.</summary>
    public static IReadOnlyDictionary<string, Api.Roles> RoleNames { get; } = new Dictionary<string, Api.Roles>(StringComparer.Ordinal)
    {
        ["resident"] = Api.Roles.Resident,
        ["authorized-agent"] = Api.Roles.AuthorizedAgent,
        ["property-manager"] = Api.Roles.PropertyManager,
        ["privacy-officer"] = Api.Roles.PrivacyOfficer,
        ["device"] = Api.Roles.Device,
        ["partner"] = Api.Roles.Partner,
    };

    public static string NameOf(Api.Roles role) => RoleNames.Single(r => r.Value == role).Key;
}

/// <summary>Who is calling, as the authorizer needs it: roles and the grant's reach (subject, unit, buildings, doors).</summary>
public sealed record Caller(
    Roles Roles,
    string? SubjectId,
    IReadOnlySet<string> BuildingIds,
    string? UnitId,
    string? DeviceId,
    IReadOnlySet<string> DoorIds,
    string? ActsFor,
    bool Verified)
{
    /// <summary>The caller of an authenticated principal, or null when there is none (no token).</summary>
    public static Caller? From(ClaimsPrincipal? principal)
    {
        if (principal?.Identity is not { IsAuthenticated: true })
        {
            return null;
        }

        var roles = Roles.None;
        foreach (var claim in principal.FindAll(AuthClaims.Roles))
        {
            if (AuthClaims.RoleNames.TryGetValue(claim.Value, out var role))
            {
                roles |= role;
            }
        }

        return new Caller(
            roles,
            principal.FindFirst(AuthClaims.Subject)?.Value,
            principal.FindAll(AuthClaims.BuildingIds).Select(c => c.Value).ToHashSet(StringComparer.Ordinal),
            principal.FindFirst(AuthClaims.UnitId)?.Value,
            principal.FindFirst(AuthClaims.DeviceId)?.Value,
            principal.FindAll(AuthClaims.DoorIds).Select(c => c.Value).ToHashSet(StringComparer.Ordinal),
            principal.FindFirst(AuthClaims.ActsFor)?.Value,
            string.Equals(principal.FindFirst(AuthClaims.Verified)?.Value, "true", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Whether this caller's grant reaches a building: the privacy officer everywhere, others their claim's list.</summary>
    public bool CoversBuilding(string? buildingId) =>
        Roles.HasFlag(Roles.PrivacyOfficer) || (buildingId is not null && BuildingIds.Contains(buildingId));

    /// <summary>
    /// For checks a handler makes on what the body names (the building of a new resident, the doors of door events): the
    /// caller the gate authenticated, or null for an in-process call that did not go through a host's gate (trusted code:
    /// every host puts the gate in front of every route of the table, and it refuses a non-anonymous route without a token).
    /// </summary>
    public static Caller? OfRequest(Microsoft.AspNetCore.Http.HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return From(request.HttpContext.User);
    }
}
