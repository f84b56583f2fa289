using System.Net.Sockets;
using Azure;
using Azure.Messaging.ServiceBus;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Cosmos;
using Microsoft.Data.Sqlite;

namespace OneValet.Pipeline.Api;

/// <summary>
/// An exception no handler caught that says a service the request needs did not answer in time, was unreachable, or asked
/// us to slow down (Blob and Queue Storage, Cosmos DB, Service Bus, the local SQLite store busy): the request may succeed if
/// repeated, so both hosts answer 503 problem details with <c>Retry-After</c> instead of 500 (the standard: never a 500 for
/// what the caller can do something about). Anything else stays a 500: a bug is not hidden behind "try again". Whether a
/// retry after a 503 is safe is each route's own (the 503 says only that a service did not answer, not what was written).
/// </summary>
public static class DependencyFailures
{
    /// <summary>Seconds a client is asked to wait before retrying.</summary>
    public const int RetryAfterSeconds = 5;

    public const string Title = "Service unavailable.";

    public const string Detail = "A service this request needs did not answer in time. Nothing of this request was lost; try again shortly.";

    /// <summary>Whether <paramref name="exception"/> (or one it wraps) is such a failure. <paramref name="requestAborted"/>: the
    /// caller went away, so a cancellation is theirs, not a timeout of a service.</summary>
    public static bool IsTransient(Exception exception, bool requestAborted = false)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is AggregateException aggregate && aggregate.InnerExceptions.Any(i => IsTransient(i, requestAborted)))
            {
                return true;
            }

            var transient = e switch
            {
                RequestFailedException failed => failed.Status is 0 or 408 or 429 or >= 500,
                CosmosException cosmos => (int)cosmos.StatusCode is 408 or 429 or 449 or >= 500,
                ServiceBusException bus => bus.IsTransient,
                SqliteException sqlite => sqlite.SqliteErrorCode is 5 or 6, // SQLITE_BUSY, SQLITE_LOCKED
                TimeoutException or HttpRequestException or SocketException => true,
                OperationCanceledException => !requestAborted, // an SDK's own timeout (Azure.Core's network timeout is one)
                _ => false,
            };
            if (transient)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Writes the 503 answer with <c>Retry-After</c>; false if no problem-details writer took it.</summary>
    public static ValueTask<bool> TryWriteAsync(IProblemDetailsService problems, HttpContext http, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(problems);
        ArgumentNullException.ThrowIfNull(http);
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = StatusCodes.Status503ServiceUnavailable, Title = Title, Detail = Detail },
        });
    }
}

/// <summary>The local host's side of <see cref="DependencyFailures"/>: run by <c>UseExceptionHandler()</c> before its default
/// 500 (the Functions app's is <c>ProblemDetailsMiddleware</c>).</summary>
public sealed class DependencyFailureHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        ArgumentNullException.ThrowIfNull(exception);
        return DependencyFailures.IsTransient(exception, httpContext.RequestAborted.IsCancellationRequested)
            && await DependencyFailures.TryWriteAsync(problems, httpContext, exception).ConfigureAwait(false);
    }
}
