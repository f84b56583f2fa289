using Microsoft.AspNetCore.Http;
using OneValet.Pipeline.Api;

namespace OneValet.Pipeline.Messaging;

/// <summary>Messages that could not be handled, visible with their reasons, and replayable: nothing is lost.</summary>
public sealed class DeadLettersApi(IMessageTransport transport)
{
    public async Task<IResult> ListAsync(string queue, CancellationToken cancellationToken) =>
        Queues.All.Contains(queue)
            ? TypedResults.Json(await transport.PeekDeadLettersAsync(queue, 32, cancellationToken).ConfigureAwait(false), ApiJson.Options)
            : Problems.NotFound("No such queue.");

    public async Task<IResult> ReplayAsync(string queue, CancellationToken cancellationToken) =>
        Queues.All.Contains(queue)
            ? TypedResults.Json(new DeadLettersReplayed(await transport.ReplayDeadLettersAsync(queue, 1000, cancellationToken).ConfigureAwait(false)), ApiJson.Options)
            : Problems.NotFound("No such queue.");
}

/// <summary>How many dead-lettered messages a replay put back on their queue.</summary>
public sealed record DeadLettersReplayed(int Replayed);
