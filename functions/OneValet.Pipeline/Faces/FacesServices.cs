using Azure.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace OneValet.Pipeline.Faces;

/// <summary>Registers the Faces capability: options, Face API clients (only with an endpoint), local detector, redactor,
/// verifier, a visitor's face found by their photo, and Facial Entry (enrollment, its end on withdrawal or move-out, the per-building index, the door check).</summary>
public static class FacesServices
{
    public static IServiceCollection AddFaces(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<FaceOptions>().BindConfiguration(FaceOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FaceOptions>, FaceOptionsValidator>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<FaceOptions>>().Value;
            if (options.Endpoint is null)
            {
                return new FaceApi(null, null);
            }

            var credential = sp.GetRequiredService<TokenCredential>();
            return new FaceApi(new FaceClient(options.Endpoint, credential), new FaceAdministrationClient(options.Endpoint, credential));
        });
        services.AddSingleton<LocalFaceDetector>();
        services.AddSingleton<FaceRedactor>();
        services.AddSingleton<FaceVerifier>();
        services.AddSingleton<VisitorFaces>();
        services.AddSingleton<FacialEntryIndex>();
        services.AddSingleton<FacialEntryChecks>();
        services.AddSingleton<FacialEntryCheckEntries>();
        services.AddSingleton<FacialEnrollments>();
        services.AddSingleton<FacialEntryWithdrawals>();
        return services;
    }
}
