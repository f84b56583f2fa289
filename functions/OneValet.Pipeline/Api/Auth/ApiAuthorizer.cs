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

        var roles = caller.Roles & route.Callers;
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
            // it with Caller.OfRequest. An agent may submit before being verified: the request's own code verifies it.
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

        var target = new Target(null, values.GetValueOrDefault("buildingId"), values.GetValueOrDefault("unitId"));
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
            var resident = await store.ReadAsync<ResidentRecord>(Containers.Residents, value, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false);
            if (resident is null)
            {
                // Registering a new resident: the manager's building is checked on the body by the handler.
                return roles.HasFlag(Roles.PropertyManager) && route.Method == "PUT" ? AuthorizationOutcome.Allow : AuthorizationOutcome.NotFound;
            }

            target = new Target(value, resident.Document.BuildingId, resident.Document.UnitId);
        }

        foreach (var role in AuthClaims.RoleNames.Values)
        {
            if (roles.HasFlag(role) && Reaches(role, caller, target))
            {
                return AuthorizationOutcome.Allow;
            }
        }

        return AuthorizationOutcome.NotFound;
    }

    private static bool Reaches(Roles role, Caller caller, Target target) => role switch
    {
        // A resident: their own record (subject), their own unit.
        Roles.Resident => target.ResidentId is not null
            ? caller.SubjectId == target.ResidentId
            : target.UnitId is not null && caller.UnitId == target.UnitId && caller.CoversBuilding(target.BuildingId),

        // An authorized agent: only the subject named in acts_for (verification checked above).
        Roles.AuthorizedAgent => target.ResidentId is not null && caller.ActsFor == target.ResidentId,

        // A property manager: the buildings of the claim (a resident's building found via the store).
        Roles.PropertyManager => caller.CoversBuilding(target.BuildingId),

        // A device: its own building (and unit, if the device belongs to one); never a resident's record.
        Roles.Device => target.ResidentId is null && caller.CoversBuilding(target.BuildingId)
            && (target.UnitId is null || caller.UnitId is null || caller.UnitId == target.UnitId),

        // Partners reach no object yet.
        _ => false,
    };

    private sealed record Target(string? ResidentId, string? BuildingId, string? UnitId);
}
