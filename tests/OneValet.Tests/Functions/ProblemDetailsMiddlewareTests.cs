using System.Diagnostics;
using System.Net.Sockets;
using Azure;
using Azure.Messaging.ServiceBus;
using Microsoft.Azure.Cosmos;
using Microsoft.Data.Sqlite;
using OneValet.Pipeline.Api;
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

    /// <summary>A service the request needs not answering is something the caller can retry: 503 with Retry-After, never
    /// 500; each SDK's own exception type as it throws it, and wrapped as a task would wrap it.</summary>
    public static TheoryData<string> Unavailable() => ["storage 503", "storage no response", "storage 429", "cosmos 429", "cosmos 503", "service bus transient", "sqlite busy", "timeout", "sdk timeout", "wrapped"];

    [Theory]
    [MemberData(nameof(Unavailable))]
    public async Task A_service_that_did_not_answer_is_503_with_Retry_After_and_nothing_of_the_exception(string failure)
    {
        var (http, body) = NewHttpContext();
        var logger = new ListLogger();
        var middleware = new ProblemDetailsMiddleware(http.RequestServices.GetRequiredService<IProblemDetailsService>(), logger);

        await middleware.Invoke(new TestFunctionContext("ListDeadLetters", http), _ => throw Failure(failure));

        Assert.Equal(503, http.Response.StatusCode);
        Assert.Equal("5", http.Response.Headers.RetryAfter.ToString());
        Assert.StartsWith("application/problem+json", http.Response.ContentType, StringComparison.Ordinal);
        var text = Encoding.UTF8.GetString(body.ToArray());
        Assert.DoesNotContain("jane", text, StringComparison.OrdinalIgnoreCase);
        var problem = JsonNode.Parse(text)!;
        Assert.Equal(503, problem["status"]!.GetValue<int>());
        Assert.Equal(DependencyFailures.Title, problem["title"]!.GetValue<string>());
        Assert.Equal(LogLevel.Warning, Assert.Single(logger.Entries).Level);
    }

    /// <summary>Not every exception of a service's SDK is "try again": a request it refused (404, 409, 400) or a bug stays a
    /// 500, so a defect is never hidden behind Retry-After.</summary>
    [Theory]
    [InlineData(404)]
    [InlineData(409)]
    [InlineData(400)]
    public async Task A_service_that_answered_with_a_refusal_is_still_500(int status)
    {
        var (http, _) = NewHttpContext();
        var middleware = new ProblemDetailsMiddleware(http.RequestServices.GetRequiredService<IProblemDetailsService>(), NullLogger<ProblemDetailsMiddleware>.Instance);
        await middleware.Invoke(new TestFunctionContext("GetResident", http), _ => throw new RequestFailedException(status, Secret));
        Assert.Equal(500, http.Response.StatusCode);
        Assert.False(http.Response.Headers.ContainsKey("Retry-After"));
        Assert.False(DependencyFailures.IsTransient(new CosmosException(Secret, HttpStatusCode.Conflict, 0, "", 0)));
        Assert.False(DependencyFailures.IsTransient(new SqliteException(Secret, 19))); // SQLITE_CONSTRAINT
        Assert.False(DependencyFailures.IsTransient(new ServiceBusException(isTransient: false, Secret)));
    }

    [Fact]
    public async Task The_local_hosts_exception_handler_answers_a_service_that_did_not_answer_as_the_functions_app_does()
    {
        var (http, body) = NewHttpContext();
        var middleware = new ProblemDetailsMiddleware(http.RequestServices.GetRequiredService<IProblemDetailsService>(), NullLogger<ProblemDetailsMiddleware>.Instance);
        await middleware.Invoke(new TestFunctionContext("ListDeadLetters", http), _ => throw Failure("storage 503"));
        var functions = JsonNode.Parse(body.ToArray())!.AsObject();

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<DependencyFailureHandler>(); // as LocalHost
        await using var app = builder.Build();
        app.UseExceptionHandler();
        app.MapGet("/api/slow", IResult () => throw Failure("storage 503"));
        app.MapGet("/api/boom", IResult () => throw new InvalidOperationException(Secret));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        using var client = new HttpClient();
        using var response = await client.GetAsync(new Uri(address + "/api/slow"));
        using var bug = await client.GetAsync(new Uri(address + "/api/boom"));
        var local = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        await app.StopAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.InternalServerError, bug.StatusCode);
        foreach (var key in new[] { "type", "title", "status", "detail" })
        {
            Assert.Equal(local[key]!.ToJsonString(), functions[key]!.ToJsonString());
        }
    }

    private static Exception Failure(string name) => name switch
    {
        "storage 503" => new RequestFailedException(503, Secret),
        "storage no response" => new RequestFailedException(Secret, new HttpRequestException(Secret, new SocketException((int)SocketError.ConnectionRefused))),
        "storage 429" => new RequestFailedException(429, Secret),
        "cosmos 429" => new CosmosException(Secret, HttpStatusCode.TooManyRequests, 0, "", 0),
        "cosmos 503" => new CosmosException(Secret, HttpStatusCode.ServiceUnavailable, 0, "", 0),
        "service bus transient" => new ServiceBusException(isTransient: true, Secret),
        "sqlite busy" => new SqliteException(Secret, 5),
        "timeout" => new TimeoutException(Secret),
        "sdk timeout" => new TaskCanceledException(Secret),
        "wrapped" => new AggregateException(new InvalidOperationException("first"), new RequestFailedException(504, Secret)),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

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
