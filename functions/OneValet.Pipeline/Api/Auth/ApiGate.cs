using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace OneValet.Pipeline.Api.Auth;

/// <summary>
/// What both hosts run in front of every route of the table (the local host as middleware, the Functions app as worker
/// middleware): authenticate the bearer token, apply the rate limits, ask <see cref="ApiAuthorizer"/>. Answers the
/// refusal as problem details, or null to let the handler run. The principal is left on <c>HttpContext.User</c>.
/// </summary>
public sealed class ApiGate(BearerAuthenticator authenticator, ApiAuthorizer authorizer, ApiRateLimits limits, IOptions<AuthOptions> options)
{
    /// <summary>The detail of the gate's 404: the same whether the object exists outside the grant or not at all.</summary>
    public const string NotFoundDetail = "Not found.";

    public async Task<IResult?> CheckAsync(HttpContext context, ApiRoute? route, IReadOnlyDictionary<string, string?> routeValues, bool anonymousEndpoint = false)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(routeValues);
        var cancellationToken = context.RequestAborted;
        var principal = await authenticator.AuthenticateAsync(context.Request.Headers.Authorization.ToString() is { Length: > 0 } h ? h : null, cancellationToken).ConfigureAwait(false);
        if (principal is not null)
        {
            context.User = principal;
        }

        var caller = Caller.From(principal);
        var client = ApiRateLimits.ClientAddressOf(context, options.Value);
        if (!limits.TryAcquire(ApiRateLimits.PartitionsOf(route, caller, client, anonymousEndpoint), out var retryAfter))
        {
            context.Response.Headers.RetryAfter = ApiRateLimits.Seconds(retryAfter);
            return Problems.TooManyRequests("Too many requests; try again later.");
        }

        if (anonymousEndpoint)
        {
            return null;
        }

        var values = new Dictionary<string, string?>(routeValues, StringComparer.Ordinal);
        foreach (var name in route?.Query ?? [])
        {
            if (!values.ContainsKey(name) && context.Request.Query.TryGetValue(name, out var q) && q.Count == 1)
            {
                values[name] = q.ToString();
            }
        }

        switch (await authorizer.AuthorizeAsync(route, caller, values, cancellationToken).ConfigureAwait(false))
        {
            case AuthorizationOutcome.Allow:
                return null;
            case AuthorizationOutcome.Unauthorized:
                context.Response.Headers.WWWAuthenticate = new StringValues("Bearer");
                return TypedResults.Problem(detail: "Send a bearer token.", statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized.");
            case AuthorizationOutcome.Forbidden:
                return Problems.Forbidden("Your role may not call this route.");
            default:
                return Problems.NotFound(NotFoundDetail);
        }
    }

    /// <summary>The values of a route's template parameters, read from a host's route data.</summary>
    public static Dictionary<string, string?> RouteValues(ApiRoute route, Func<string, object?> lookup)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(lookup);
        return route.Parameters.ToDictionary(p => p, p => lookup(p)?.ToString(), StringComparer.Ordinal);
    }
}
