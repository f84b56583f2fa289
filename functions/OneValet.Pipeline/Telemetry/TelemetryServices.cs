using Azure.Core;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace OneValet.Pipeline.Telemetry;

/// <summary>
/// OpenTelemetry for both hosts: traces, metrics (the pipeline's meters <c>OneValet.*</c>) and logs (the structured
/// templates, which carry ids and reason codes only). Exported to Azure Monitor when
/// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set (Azure: Entra-authenticated with the app's identity, local auth is
/// off on the component), and over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (locally, e.g. a collector or the
/// .NET Aspire dashboard). Neither set: nothing is exported.
/// </summary>
public static class TelemetryServices
{
    public const string AzureMonitorSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string OtlpSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Every meter and activity source of the product.</summary>
    public static readonly string[] Sources = ["OneValet.*"];

    public static OpenTelemetryBuilder AddPipelineTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var azureMonitor = configuration[AzureMonitorSetting] is { Length: > 0 };
        var otlp = configuration[OtlpSetting] is { Length: > 0 };
        var builder = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithTracing(t => t.AddSource(Sources))
            .WithMetrics(m => m.AddMeter(Sources))
            .WithLogging(configureBuilder: null, configureOptions: o =>
            {
                o.IncludeScopes = false;
                o.IncludeFormattedMessage = true;
            });
        if (azureMonitor)
        {
            builder.UseAzureMonitorExporter(o => o.ConnectionString = configuration[AzureMonitorSetting]);
            services.AddOptions<AzureMonitorExporterOptions>().Configure<TokenCredential>((o, credential) => o.Credential = credential);
        }

        if (otlp)
        {
            builder.UseOtlpExporter();
        }

        return builder;
    }
}
