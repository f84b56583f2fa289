using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Configuration;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Breaches;
using OneValet.Pipeline.Calendars;
using OneValet.Pipeline.Disclosures;
using OneValet.Pipeline.Faces;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Notifications;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;

namespace OneValet.Pipeline;

/// <summary>Registers the pipeline's services; each host adds only its record store and its triggers.</summary>
public static class PipelineServices
{
    public static IServiceCollection AddPipeline(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.AddOptions<IngestionOptions>().BindConfiguration(IngestionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<IngestionOptions>, IngestionOptionsValidator>();
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RetentionOptions>, RetentionOptionsValidator>();
        services.AddOptions<Media.MediaOptions>().BindConfiguration(Media.MediaOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Media.MediaOptions>, Media.MediaOptionsValidator>();
        services.AddSingleton<Media.MediaProbe>();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TokenCredential>(sp =>
        {
            var clientId = sp.GetRequiredService<IOptions<StorageOptions>>().Value.ManagedIdentityClientId;
            return string.IsNullOrEmpty(clientId)
                ? new DefaultAzureCredential()
                : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
        });
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            return options.ConnectionString is { Length: > 0 } connection
                ? new BlobServiceClient(connection)
                : new BlobServiceClient(options.BlobServiceUri, sp.GetRequiredService<TokenCredential>());
        });

        services.AddSingleton<AuditLog>();
        services.AddSingleton<RetentionPolicy>();
        services.AddSingleton<RetentionSchedule>();
        services.AddSingleton<RetentionMetrics>();
        services.AddSingleton<Telemetry.PipelineMetrics>();
        services.AddSingleton<HoldRegistry>();
        services.AddSingleton<ItemDeleter>();
        services.AddSingleton<FootageAnonymizer>();
        services.AddSingleton<DeletionLedger>();
        services.AddSingleton<RetentionEnforcer>();
        services.AddSingleton<PromptEnforcement>();
        services.AddSingleton<RetentionSweep>();
        services.AddSingleton<NotificationPublisher>();
        services.AddSingleton<Durable.HistoryPurge>();
        services.AddSingleton<Devices.DeviceRegistry>();
        services.AddSingleton<Devices.DevicesApi>();
        services.AddSingleton<Devices.UploadGrants>();
        services.AddSingleton<RecordingIngestor>();
        services.AddSingleton<UploadReconciler>();
        services.AddSingleton<RecordingsApi>();
        services.AddSingleton<HoldsApi>();
        services.AddSingleton<ResidentsApi>();
        services.AddSingleton<ResidentViewsApi>();
        services.AddSingleton<Requests.CorrectionTasksApi>();
        services.AddSingleton<DoorEventsApi>();
        services.AddOptions<BreachOptions>().BindConfiguration(BreachOptions.Section);
        services.AddEmailSender();
        services.AddSingleton<NotificationDispatcher>();
        services.AddSingleton<RoommateAlerts>();
        services.AddSingleton<MessageHandlers>();
        services.AddSingleton<DeadLettersApi>();
        services.AddSingleton<DisclosuresApi>();
        services.AddSingleton(BusinessCalendars.Default);
        services.AddSingleton<IncidentsApi>();
        services.AddOptions<WebConsole.ConsoleOptions>().BindConfiguration(WebConsole.ConsoleOptions.Section);
        services.AddSingleton<WebConsole.ConsoleFiles>();
        services.AddOptions<Requests.RequestOptions>().BindConfiguration(Requests.RequestOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Requests.RequestOptions>, Requests.RequestOptionsValidator>();
        services.AddSingleton<Requests.RequestSecrets>();
        services.AddSingleton<Requests.ResidentEmailIndex>();
        services.AddSingleton<Requests.VerificationCodes>();
        services.AddSingleton<Requests.IntakeCaps>();
        services.AddSingleton<Requests.AgentPermissions>();
        services.AddSingleton<Requests.VisitorPhotos>();
        services.AddSingleton<Requests.PrivacyRequestService>();
        services.AddSingleton<Requests.PersonRecordings>();
        services.AddSingleton<Requests.AccessFootage>();
        services.AddSingleton<Requests.AccessExport>();
        services.AddSingleton<Requests.NotOnFileWork>();
        services.AddSingleton<Residents.ServiceChanges>();
        services.AddSingleton<Requests.RequestWork>();
        services.AddSingleton<Requests.PrivacyRequestsApi>();
        services.AddSingleton<Auditing.AuditTrail>();
        services.AddSingleton<Evidence.ComplianceReportLoader>();
        services.AddSingleton<Evidence.EvidenceApi>();
        services.AddFaces();
        services.AddSingleton(sp => new Lazy<FaceRedactor>(sp.GetRequiredService<FaceRedactor>));
        services.AddSingleton<BlobRedaction>();
        return services;
    }
}
