using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Api.Auth;

/// <summary>What the gate answers for one call.</summary>
public enum AuthorizationOutcome
{
    Allow,

    /// <summary>401: no valid token on a route that needs one.</summary>
    Unauthorized,

    /// <summary>403: the caller's roles may not call this route at all (or the route is not in the table).</summary>
    Forbidden,

    /// <summary>404: the caller may call the route, but the object is outside its grant (or does not exist): existence
    /// never leaks.</summary>
    NotFound,
}

/// <summary>
/// The one place that decides who may do what, from <see cref="ApiRoutes"/> only: the route's callers and scope, and the
/// route value that names its object (<see cref="ApiRoute.ScopeParameter"/>). ASP.NET Core-agnostic; both hosts call it.
/// <para>A token may carry several roles. Each role the route admits is judged alone, with the token's claims, and the call
/// passes when one of them would pass on its own: holding several roles never adds up to more than the roles alone
/// (an unverified authorized agent reaches nothing of the person it acts for, whatever else the token holds).</para>
/// </summary>
public sealed class ApiAuthorizer(IRecordStore store)
{
    public async Task<AuthorizationOutcome> AuthorizeAsync(ApiRoute? route, Caller? caller, IReadOnlyDictionary<string, string?> values, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (route is null)
        {
            return AuthorizationOutcome.Forbidden;
        }

        if (route.Scope == Scope.Anonymous)
        {
            return AuthorizationOutcome.Allow;
        }

        if (caller is null)
        {
            return AuthorizationOutcome.Unauthorized;
        }

        var roles = caller.On(route);
        if (roles == Roles.None)
        {
            return AuthorizationOutcome.Forbidden;
        }

        if (roles.HasFlag(Roles.PrivacyOfficer))
        {
            return AuthorizationOutcome.Allow;
        }

        var parameter = route.ScopeParameter;
        if (parameter == ApiRoute.ScopeInBody && route.Scope != Scope.Global)
        {
            // The object is named in the body (a disclosure's building, a privacy request's subject): the handler checks
            // it with Caller.CoversBuilding(route, ...) / Caller.ReachesSubject(route, ...). An agent may submit before being
            // verified: the request's own code verifies it.
            return AuthorizationOutcome.Allow;
        }

        // Only the privacy officer reaches the whole pipeline; an agent acts only once verified (O10).
        if (route.Scope == Scope.Global || (roles == Roles.AuthorizedAgent && !caller.Verified))
        {
            return AuthorizationOutcome.Forbidden;
        }

        if (parameter is null)
        {
            // Nothing in the route says whose object this is: deny by default until the table says where to look.
            return AuthorizationOutcome.NotFound;
        }

        var value = values.GetValueOrDefault(parameter);
        if (!UploadName.IsValidId(value))
        {
            return AuthorizationOutcome.NotFound;
        }

        var target = new Target(null, values.GetValueOrDefault("buildingId"), values.GetValueOrDefault("unitId"), values.GetValueOrDefault("deviceId"));
        if (parameter == "requestId")
        {
            // A privacy request belongs to its subject (and, through the subject, to the subject's building).
            var request = await store.ReadAsync<Requests.PrivacyRequestRecord>(Containers.Requests, value, Requests.PrivacyRequestRecord.DocumentId, cancellationToken).ConfigureAwait(false);
            if (request?.Document.SubjectId is not { } subjectId)
            {
                // The same reads as for a request about someone on file (issue 13): the time of this 404 does not tell a
                // request whose details matched nobody from one about a person outside the caller's grant. "_" is no
                // valid resident id.
                _ = await store.ReadAsync<ResidentRecord>(Containers.Residents, "_", ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false);
                return AuthorizationOutcome.NotFound;
            }

            value = subjectId;
            parameter = "subjectId";
        }

        if (parameter is "residentId" or "subjectId")
        {
            var resident = await ResidentAsync(value, cancellationToken).ConfigureAwait(false);
            if (resident is null)
            {
                // Registering a new resident: the manager's building is checked on the body by the handler.
                return roles.HasFlag(Roles.PropertyManager) && route.Method == "PUT" ? AuthorizationOutcome.Allow : AuthorizationOutcome.NotFound;
            }

            target = new Target(value, resident.BuildingId, resident.UnitId, null, resident.Minor ? resident.Guardian?.ResidentId : null);
        }

        foreach (var role in AuthClaims.RoleNames.Values)
        {
            if (roles.HasFlag(role) && await ReachesAsync(role, caller, target, cancellationToken).ConfigureAwait(false))
            {
                return AuthorizationOutcome.Allow;
            }
        }

        return AuthorizationOutcome.NotFound;
    }

    /// <summary>Whether one role of the caller, judged alone, reaches the object.</summary>
    private async Task<bool> ReachesAsync(Roles role, Caller caller, Target target, CancellationToken cancellationToken) => role switch
    {
        // A resident: their own record (subject), and a minor's whose guardian they are on file (O15); their own unit, as
        // the store has it (not as a token claims it), while they live there.
        Roles.Resident => target.ResidentId is not null
            ? caller.SubjectId == target.ResidentId || (target.GuardianId is not null && caller.SubjectId == target.GuardianId)
            : target.UnitId is not null && target.BuildingId is not null
              && await ResidentAsync(caller.SubjectId, cancellationToken).ConfigureAwait(false) is { MovedOutAt: null } self
              && self.BuildingId == target.BuildingId && self.UnitId == target.UnitId,

        // An authorized agent: only the subject named in acts_for, and only once verified (O10).
        Roles.AuthorizedAgent => caller.Verified && target.ResidentId is not null && caller.ActsFor == target.ResidentId,

        // A property manager: the buildings of the claim (a resident's building found via the store).
        Roles.PropertyManager => caller.HasBuilding(target.BuildingId),

        // A device: its own building (and unit, if the device belongs to one); never a resident's record; of the devices
        // named in a route, only itself (issue 16.3: one console cannot get another's upload grant).
        Roles.Device => target.ResidentId is null && caller.HasBuilding(target.BuildingId)
            && (target.UnitId is null || caller.UnitId is null || caller.UnitId == target.UnitId)
            && (target.DeviceId is null || caller.DeviceId == target.DeviceId),

        // Partners reach no object yet.
        _ => false,
    };

    private async Task<ResidentRecord?> ResidentAsync(string? residentId, CancellationToken cancellationToken) =>
        UploadName.IsValidId(residentId)
            ? (await store.ReadAsync<ResidentRecord>(Containers.Residents, residentId, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document
            : null;

    /// <summary>What a route reaches; <see cref="GuardianId"/>: a minor's guardian who is a resident, who acts for them (O15).</summary>
    private sealed record Target(string? ResidentId, string? BuildingId, string? UnitId, string? DeviceId, string? GuardianId = null);
}
