using Microsoft.Extensions.DependencyInjection;

namespace OneValet.Pipeline.Api.Auth;

/// <summary>Registers the gate; each host adds where its signing keys come from (<see cref="ISigningKeys"/>).</summary>
public static class AuthServices
{
    public static IServiceCollection AddApiAuth(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section);
        services.AddSingleton<BearerAuthenticator>();
        services.AddSingleton<ApiAuthorizer>();
        services.AddSingleton<ApiRateLimits>();
        services.AddSingleton<ApiGate>();
        return services;
    }
}
