using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OneValet.Functions.Auth;
using OneValet.Pipeline;
using OneValet.Pipeline.Configuration;
using OneValet.Pipeline.Storage;
using Azure.Core;
using Azure.Messaging.ServiceBus;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Telemetry;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;

namespace OneValet.Functions;

/// <summary>Composition of the Azure Functions host: the pipeline on Blob Storage and Cosmos DB, by managed identity.</summary>
public static class FunctionsApp
{
    public static IServiceCollection AddFunctionsApp(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddPipeline();
        // Traces, metrics and logs to Azure Monitor (APPLICATIONINSIGHTS_CONNECTION_STRING, by the identity), with the
        // Functions worker's own activities and invocation tags (Microsoft.Azure.Functions.Worker.OpenTelemetry).
        services.AddPipelineTelemetry(configuration, "onevalet-functions").UseFunctionsWorkerDefaults();
        services.AddProblemDetails(); // the same writer as the local host's exception handler (Api/ProblemDetailsMiddleware)
        services.AddFunctionsAuth();

        // The console signs in with Entra ID here; development tokens exist only on the local host.
        services.PostConfigure<OneValet.Pipeline.WebConsole.ConsoleOptions>(o => o.DevTokens = false);
        services.AddOptions<CosmosOptions>().BindConfiguration(CosmosOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        // One CosmosClient for the process (thread-safe, cached), on the same managed-identity credential as the blob client.
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<CosmosOptions>>().Value;
            return new CosmosClient(options.AccountEndpoint!.ToString(), sp.GetRequiredService<TokenCredential>(), new CosmosClientOptions
            {
                ApplicationName = "onevalet-functions",
                EnableContentResponseOnWrite = false,
            });
        });
        services.AddSingleton<IRecordStore>(sp => new CosmosRecordStore(
            sp.GetRequiredService<CosmosClient>(),
            sp.GetRequiredService<IOptions<CosmosOptions>>().Value.DatabaseName));

        // The deletion ledger lives in its own container of the same account (left out of data restores; see DeletionLedger).
        services.AddKeyedSingleton<IRecordStore>(DeletionLedger.StoreKey, (sp, _) => sp.GetRequiredService<IRecordStore>());

        services.AddOptions<ServiceBusOptions>().BindConfiguration(ServiceBusOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new ServiceBusClient(
            sp.GetRequiredService<IOptions<ServiceBusOptions>>().Value.FullyQualifiedNamespace,
            sp.GetRequiredService<TokenCredential>()));
        services.AddSingleton<IMessageTransport, ServiceBusTransport>();
        return services;
    }
}
