using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using OneValet.Local.Durable;
using OneValet.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OneValet.Tests.Durable;

/// <summary>How the local durable task hub fits in the local host: endpoints, options, required calls.</summary>
public sealed class LocalDurableHostingTests(AzuriteFixture azurite, TaskHubFixture hub, ITestOutputHelper output)
    : IClassFixture<AzuriteFixture>, IClassFixture<TaskHubFixture>
{
    [Fact]
    public async Task CallerHttpEndpointsKeepWorkingBesideTheSidecar()
    {
        Assert.NotNull(azurite);
        int fromUrls = LocalDurableTestApp.GetFreePort();
        int fromCode = LocalDurableTestApp.GetFreePort();
        await using var app = await LocalDurableTestApp.StartAsync(
            hub.Name,
            output,
            configure: builder =>
            {
                builder.Configuration["urls"] = $"http://127.0.0.1:{fromUrls}";
                builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenLocalhost(fromCode));
            },
            configureApp: web => web.MapGet("/ping", () => "pong"));

        using var http = new HttpClient();
        Assert.Equal("pong", await http.GetStringAsync(new Uri($"http://127.0.0.1:{fromUrls}/ping")));
        Assert.Equal("pong", await http.GetStringAsync(new Uri($"http://localhost:{fromCode}/ping")));

        // The sidecar's endpoint speaks HTTP/2 only, and the sidecar answers only there.
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetStringAsync(new Uri($"http://127.0.0.1:{app.Port}/ping")));

        string id = await app.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ProbeOrchestrator), new ProbeInput("side"));
        var done = await LocalDurableTaskHubTests.WaitAsync(app.Client, id);
        Assert.Equal("[EDIS]", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task InvalidOptionsFailTheStart()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => LocalDurableTestApp.StartAsync(
            hub.Name,
            output,
            configure: builder =>
            {
                builder.Configuration["Durable:TaskHubName"] = "1-not-a-hub";
                builder.Configuration["Durable:MaxQueuePollingInterval"] = TimeSpan.FromMinutes(5).ToString("c", CultureInfo.InvariantCulture);
            }));
        Assert.Contains("TaskHubName", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxQueuePollingInterval", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartingWithoutMappingTheSidecarFails()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => LocalDurableTestApp.StartAsync(hub.Name, output, map: false));
        Assert.Contains(nameof(LocalDurableTaskHubExtensions.MapLocalDurableTaskHub), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OptionsHaveTheDocumentedDefaults()
    {
        var options = new LocalDurableOptions();
        Assert.Equal("UseDevelopmentStorage=true", options.StorageConnectionString);
        Assert.Equal("onevalet", options.TaskHubName);
        Assert.Equal(7072, options.SidecarPort);
        Assert.Equal(Environment.MachineName, options.WorkerId);
        Assert.Equal(TimeSpan.FromSeconds(1), options.MaxQueuePollingInterval);
        Assert.Equal("Durable", LocalDurableOptions.SectionName);
    }
}
