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

    /// <summary>The roles this caller may use on a route: those of its roles the route admits. Each is judged alone.</summary>
    public Roles On(ApiRoute route)
    {
        ArgumentNullException.ThrowIfNull(route);
        return Roles & route.Callers;
    }

    /// <summary>Whether the token's <c>building_ids</c> claim names a building (managers' and devices' grants).</summary>
    public bool HasBuilding(string? buildingId) => buildingId is not null && BuildingIds.Contains(buildingId);

    /// <summary>
    /// For a handler's check of a building named in a body: whether one of the roles this caller may use on the route,
    /// judged alone, reaches that building (the privacy officer everywhere; a manager or a device its claim's buildings).
    /// A role the route does not admit adds nothing: an officer who is also a manager is not an officer on a manager's route.
    /// </summary>
    public bool CoversBuilding(ApiRoute route, string? buildingId)
    {
        var roles = On(route);
        return roles.HasFlag(Roles.PrivacyOfficer)
            || ((roles & (Roles.PropertyManager | Roles.Device)) != Roles.None && HasBuilding(buildingId));
    }

    /// <summary>
    /// For a handler's check of a person named in a body: whether one of the roles this caller may use on the route reaches
    /// that subject (the officer anyone; a resident themselves; an agent the person in acts_for, verified or not: the
    /// request's own verification then applies).
    /// </summary>
    public bool ReachesSubject(ApiRoute route, string? subjectId)
    {
        var roles = On(route);
        return roles.HasFlag(Roles.PrivacyOfficer)
            || (subjectId is not null && ((roles.HasFlag(Roles.Resident) && SubjectId == subjectId) || (roles.HasFlag(Roles.AuthorizedAgent) && ActsFor == subjectId)));
    }

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
