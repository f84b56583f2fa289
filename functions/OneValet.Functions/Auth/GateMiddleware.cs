using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.DependencyInjection;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Api.Auth;

namespace OneValet.Functions.Auth;

/// <summary>
/// The Functions app's authentication, rate limits and authorization: the shared <see cref="ApiGate"/> in front of every
/// HTTP trigger (Entra ID bearer tokens, keys from the tenant's OpenID Connect metadata). An HTTP trigger that is not a row
/// of the route table is refused; other triggers (blob, timer, durable, Service Bus) pass untouched.
/// </summary>
internal sealed class GateMiddleware(ApiGate gate) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.GetHttpContext();
        if (http is null)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var route = ApiRoutes.All.FirstOrDefault(r => r.Name == context.FunctionDefinition.Name);
        var values = route is null
            ? []
            : ApiGate.RouteValues(route, name => http.Request.RouteValues.GetValueOrDefault(name) ?? context.BindingContext.BindingData.GetValueOrDefault(name));
        var refusal = await gate.CheckAsync(http, route, values).ConfigureAwait(false);
        if (refusal is not null)
        {
            await refusal.ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }
}

internal static class GateRegistration
{
    public static IServiceCollection AddFunctionsAuth(this IServiceCollection services)
    {
        services.AddApiAuth();
        services.AddOptions<AuthOptions>().ValidateDataAnnotations().ValidateOnStart();

        // Behind the platform's front end the connection comes from the Functions host, not the client: the front end
        // appends the address it saw to X-Forwarded-For, and only that last entry is trusted (README, "Who may do what").
        services.PostConfigure<AuthOptions>(o => o.ClientAddressHeader = o.ClientAddressHeader is { Length: > 0 } h ? h : "X-Forwarded-For");
        services.AddSingleton<ISigningKeys, OpenIdSigningKeys>();
        return services;
    }
}
