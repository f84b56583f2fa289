using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;
using OneValet.Pipeline.Api;

namespace OneValet.Functions.Api;

/// <summary>
/// The Functions app's answer to an exception no handler caught in an HTTP trigger: RFC 9457 problem details with status
/// 500 and the trace id (503 with <c>Retry-After</c> when a service the request needs did not answer:
/// <see cref="DependencyFailures"/>), written by the same <see cref="IProblemDetailsService"/> the local host's
/// <c>UseExceptionHandler()</c> uses, so both hosts answer alike (instead of the worker's bare 500). The exception is
/// logged, never sent: its text stays out of the response. A client that went away gets 499 and no body, as on the local
/// host. Other triggers (blob, timer, durable, Service Bus) rethrow, so that their retries and dead-lettering still apply.
/// </summary>
public sealed partial class ProblemDetailsMiddleware(IProblemDetailsService problems, ILogger<ProblemDetailsMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception exception) when (context.GetHttpContext() is { Response.HasStarted: false })
        {
            var http = context.GetHttpContext()!;
            if (exception is OperationCanceledException && http.RequestAborted.IsCancellationRequested)
            {
                LogAborted(logger, context.FunctionDefinition.Name);
                http.Response.StatusCode = StatusCodes.Status499ClientClosedRequest;
                return;
            }

            http.Response.Clear();
            if (DependencyFailures.IsTransient(exception, http.RequestAborted.IsCancellationRequested))
            {
                // A service the request needs did not answer: 503 with Retry-After, as the local host's handler answers.
                LogUnavailable(logger, exception, context.FunctionDefinition.Name, context.InvocationId);
                if (await DependencyFailures.TryWriteAsync(problems, http, exception).ConfigureAwait(false))
                {
                    return;
                }

                throw;
            }

            LogUnhandled(logger, exception, context.FunctionDefinition.Name, context.InvocationId);
            http.Response.StatusCode = StatusCodes.Status500InternalServerError;
            var written = await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                Exception = exception,
                ProblemDetails = new ProblemDetails { Status = StatusCodes.Status500InternalServerError },
            }).ConfigureAwait(false);
            if (!written)
            {
                throw;
            }
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Unhandled exception in HTTP function {Function} (invocation {InvocationId}); answered 500 problem details.")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string function, string invocationId);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "HTTP function {Function} (invocation {InvocationId}): a service it needs did not answer; answered 503 with Retry-After.")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, string function, string invocationId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "HTTP function {Function} cancelled: the client closed the request.")]
    private static partial void LogAborted(ILogger logger, string function);
}
