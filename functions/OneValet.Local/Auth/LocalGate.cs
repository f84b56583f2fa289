using Microsoft.Extensions.Options;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Api.Auth;

namespace OneValet.Local.Auth;

/// <summary>The local host's authentication, rate limits and authorization: the shared <see cref="ApiGate"/> in front of
/// every endpoint under <c>/api/</c>; an endpoint there that is not a row of the route table is refused.</summary>
public static class LocalGate
{
    public static WebApplicationBuilder AddLocalAuth(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddApiAuth();
        builder.Services.PostConfigure<AuthOptions>(o =>
        {
            o.Issuer ??= AuthOptions.LocalIssuer;
            o.Audience ??= AuthOptions.LocalAudience;
        });
        builder.Services.AddSingleton(sp => DevTokens.LoadOrCreateKey(Path.GetFullPath(sp.GetRequiredService<IOptions<LocalHostOptions>>().Value.DataDirectory)));
        builder.Services.AddSingleton<ISigningKeys>(sp => sp.GetRequiredService<SymmetricSigningKey>());
        return builder;
    }

    public static WebApplication UseLocalGate(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseRouting();
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            var endpoint = context.GetEndpoint();
            if (endpoint is null)
            {
                await next(context).ConfigureAwait(false); // no such route: the router's 404 (or 405)
                return;
            }

            var route = endpoint.Metadata.GetMetadata<ApiRoute>();
            var devTokens = endpoint.Metadata.GetMetadata<DevTokens.EndpointMarker>() is not null;
            var values = route is null ? [] : ApiGate.RouteValues(route, name => context.Request.RouteValues.GetValueOrDefault(name));
            var refusal = await context.RequestServices.GetRequiredService<ApiGate>().CheckAsync(context, route, values, devTokens).ConfigureAwait(false);
            if (refusal is not null)
            {
                await refusal.ExecuteAsync(context).ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });
        return app;
    }

    public static WebApplication MapDevTokens(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost(DevTokens.Path, (DevTokenRequest? request, SymmetricSigningKey key, IOptions<AuthOptions> options, TimeProvider time) =>
            DevTokens.Issue(request, key, options, time)).WithMetadata(new DevTokens.EndpointMarker());
        return app;
    }
}
