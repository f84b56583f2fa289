using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OneValet.Functions.Api;
using Xunit;

namespace OneValet.Tests.Functions;

/// <summary>
/// #16.5: an exception in a Functions HTTP trigger answers RFC 9457 problem details with a trace id, like the local host.
/// The worker middleware runs here as the worker runs it: a <see cref="FunctionContext"/> carrying the ASP.NET Core
/// <see cref="HttpContext"/> under the key the ASP.NET Core integration uses, and a next delegate that throws. The local
/// host's side is a real Kestrel app on loopback composed like <c>LocalHost</c> (AddProblemDetails, UseExceptionHandler).
/// </summary>
public sealed class ProblemDetailsMiddlewareTests
{
    private const string Secret = "resident jane.doe@example.com at 12 Main St";

    [Fact]
    public async Task An_exception_in_an_http_trigger_is_500_problem_details_with_the_trace_id_and_nothing_of_the_exception()
    {
        using var activity = new Activity("test").Start();
        var (http, body) = NewHttpContext();
        var logger = new ListLogger();
        var middleware = new ProblemDetailsMiddleware(http.RequestServices.GetRequiredService<IProblemDetailsService>(), logger);

        await middleware.Invoke(new TestFunctionContext("GetResident", http), _ => throw new InvalidOperationException(Secret));

        Assert.Equal(500, http.Response.StatusCode);
        Assert.StartsWith("application/problem+json", http.Response.ContentType, StringComparison.Ordinal);
        var text = Encoding.UTF8.GetString(body.ToArray());
        Assert.DoesNotContain("jane", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(nameof(InvalidOperationException), text, StringComparison.Ordinal);
        var problem = JsonNode.Parse(text)!;
        Assert.Equal(500, problem["status"]!.GetValue<int>());
        Assert.Equal(activity.Id, problem["traceId"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(problem["title"]?.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(problem["type"]?.GetValue<string>()));

        // Logged (with the function's name), so operations see it; the response carries only the trace id to find it.
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Contains("GetResident", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_answer_has_the_same_type_title_and_status_as_the_local_hosts_exception_handler()
    {
        var (http, body) = NewHttpContext();
        var middleware = new ProblemDetailsMiddleware(http.RequestServices.GetRequiredService<IProblemDetailsService>(), NullLogger<ProblemDetailsMiddleware>.Instance);
        await middleware.Invoke(new TestFunctionContext("PutHold", http), _ => throw new InvalidOperationException(Secret));
        var functions = JsonNode.Parse(body.ToArray())!.AsObject();

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddProblemDetails();
        await using var app = builder.Build();
        app.UseExceptionHandler(); // as LocalHost.MapLocalHost
        app.MapGet("/api/boom", IResult () => throw new InvalidOperationException(Secret));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        using var client = new HttpClient();
        using var response = await client.GetAsync(new Uri(address + "/api/boom"));
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var local = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        await app.StopAsync();

        Assert.Equal(local.Select(p => p.Key).Order(StringComparer.Ordinal), functions.Select(p => p.Key).Order(StringComparer.Ordinal));
        foreach (var key in new[] { "type", "title", "status" })
        {
            Assert.Equal(local[key]!.ToJsonString(), functions[key]!.ToJsonString());
        }
    }

    [Fact]
    public async Task A_client_that_went_away_gets_499_without_a_body_and_no_error_is_logged()
    {
        var (http, body) = NewHttpContext();
        using var aborted = new CancellationTokenSource();
        await aborted.CancelAsync();
        http.RequestAborted = aborted.Token;
        var logger = new ListLogger();
        var middleware = new ProblemDetailsMiddleware(http.RequestServices.GetRequiredService<IProblemDetailsService>(), logger);
        await middleware.Invoke(new TestFunctionContext("ListHolds", http), _ => throw new OperationCanceledException(aborted.Token));
        Assert.Equal(499, http.Response.StatusCode);
        Assert.Equal(0, body.Length);
        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task Other_triggers_rethrow_so_that_their_retries_and_dead_letters_apply()
    {
        var (http, _) = NewHttpContext();
        var middleware = new ProblemDetailsMiddleware(http.RequestServices.GetRequiredService<IProblemDetailsService>(), NullLogger<ProblemDetailsMiddleware>.Instance);
        await Assert.ThrowsAsync<InvalidOperationException>(() => middleware.Invoke(new TestFunctionContext("IngestRecording", null), _ => throw new InvalidOperationException("blob")));
    }

    [Fact]
    public async Task A_handler_that_completes_is_left_alone()
    {
        var (http, body) = NewHttpContext();
        var middleware = new ProblemDetailsMiddleware(http.RequestServices.GetRequiredService<IProblemDetailsService>(), NullLogger<ProblemDetailsMiddleware>.Instance);
        await middleware.Invoke(new TestFunctionContext("Health", http), _ =>
        {
            http.Response.StatusCode = 204;
            return Task.CompletedTask;
        });
        Assert.Equal(204, http.Response.StatusCode);
        Assert.Equal(0, body.Length);
    }

    private static (DefaultHttpContext Http, MemoryStream Body) NewHttpContext()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddProblemDetails();
        var body = new MemoryStream();
        var http = new DefaultHttpContext { RequestServices = services.BuildServiceProvider() };
        http.Response.Body = body;
        http.Request.Method = "GET";
        http.Request.Path = "/api/test";
        return (http, body);
    }

    private sealed class ListLogger : ILogger<ProblemDetailsMiddleware>
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
