using Microsoft.AspNetCore.HostFiltering;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Api.Auth;

namespace OneValet.Local.Auth;

/// <summary>
/// The local host's authentication, rate limits and authorization: the shared <see cref="ApiGate"/> in front of every
/// endpoint that carries a route of the table, found by the endpoint (not by how its path is spelled: routing ignores
/// case, and Kestrel decodes and removes dot segments). Default deny: any other request whose path, however spelled, is
/// under <c>/api</c> is refused, and so is any endpoint that is neither a route of the table, nor the development token
/// endpoint, nor the durable sidecar (which answers only on its own loopback port).
/// </summary>
public static class LocalGate
{
    /// <summary>Marks an endpoint that is not part of the HTTP API and is guarded otherwise (the durable sidecar's gRPC
    /// service, bound to its own loopback port).</summary>
    public sealed class OutsideApiMarker;

    public const string NoSuchRoute = "No such route.";

    public static WebApplicationBuilder AddLocalAuth(this WebApplicationBuilder builder, bool allowRemote)
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

        // DNS rebinding: a page on another site that resolves its own name to 127.0.0.1 still sends its own name as Host.
        // Only loopback names are answered, unless remote access is allowed (then the names of Local:AllowedHosts).
        builder.Services.Configure<HostFilteringOptions>(o =>
        {
            o.AllowedHosts = allowRemote
                ? builder.Configuration.GetSection("Local:AllowedHosts").Get<string[]>() is { Length: > 0 } hosts ? hosts : ["*"]
                : Loopback.HostNames;
            o.AllowEmptyHosts = false;
            o.IncludeFailureMessage = false;
        });
        return builder;
    }

    public static WebApplication UseLocalGate(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseRouting();
        app.Use(async (context, next) =>
        {
            var endpoint = context.GetEndpoint();
            var route = endpoint?.Metadata.GetMetadata<ApiRoute>();
            var devTokens = endpoint?.Metadata.GetMetadata<DevTokens.EndpointMarker>() is not null;
            if (route is null && !devTokens)
            {
                if (endpoint?.Metadata.GetMetadata<OutsideApiMarker>() is not null
                    || (endpoint is null && !ApiPaths.IsUnderApi(context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value)))
                {
                    await next(context).ConfigureAwait(false);
                    return;
                }

                await Problems.NotFound(NoSuchRoute).ExecuteAsync(context).ConfigureAwait(false);
                return;
            }

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
        app.MapPost(DevTokens.Path, (HttpContext context, DevTokenRequest? request, SymmetricSigningKey key, IOptions<AuthOptions> options, TimeProvider time) =>
            Loopback.IsLocalRequest(context)
                ? DevTokens.Issue(request, key, options, time)
                : Problems.Forbidden("Development tokens are issued only to a caller on this machine naming this machine."))
            .WithMetadata(new DevTokens.EndpointMarker());
        return app;
    }
}
