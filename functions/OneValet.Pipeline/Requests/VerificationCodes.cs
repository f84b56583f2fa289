using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Requests;

/// <summary>
/// A pending one-time code (id <c>verification</c> in the request's partition). No code in any form a copy of the store
/// can give back: <see cref="Nonce"/> is random and yields the code only with the secret (<see cref="RequestSecrets.Code"/>),
/// and <see cref="CodeHash"/> is an HMAC under a key derived from the same secret. <see cref="Issue"/> names this code in
/// the notification that delivers it.
/// </summary>
public sealed record VerificationRecord(string Issue, string Nonce, string CodeHash, DateTimeOffset ExpiresAt, int Attempts, int MaxAttempts, DateTimeOffset? VerifiedAt, bool LockedOut);

/// <summary>
/// The one-time codes of privacy requests (O10, issue 13 item 6). The code never travels in a queue message, a dead letter,
/// an orchestration or the store: the notification carries the request id and the issue id, and the dispatcher renders
/// the code at send time from the stored nonce and the secret (<see cref="CodeForMailAsync"/>). A queue or dead-letter
/// copy therefore holds nothing that verifies a request; replayed after the code was used, expired or replaced, it sends
/// nothing. Codes entered are compared in constant time against the keyed hash.
/// </summary>
public sealed class VerificationCodes(IRecordStore store, RequestSecrets secrets, IOptions<RequestOptions> options, TimeProvider time)
{
    public const string DocumentId = "verification";

    /// <summary>Starts a new code for a request (replacing any earlier one); returns its issue id and expiry.</summary>
    public async Task<(string Issue, DateTimeOffset ExpiresAt)> IssueAsync(string requestId, CancellationToken cancellationToken)
    {
        var issue = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var expires = time.GetUtcNow() + options.Value.VerificationWindow;
        var hash = Convert.ToBase64String(secrets.CodeHash(requestId, secrets.Code(requestId, nonce)));
        await store.UpsertAsync(Containers.Requests, requestId, DocumentId, new VerificationRecord(issue, nonce, hash, expires, 0, options.Value.CodeAttempts, null, false), cancellationToken).ConfigureAwait(false);
        return (issue, expires);
    }

    /// <summary>The code to put in the mail of one issue, or null when that issue is no longer pending (used, locked out,
    /// expired, replaced by a newer code, or the request closed).</summary>
    public async Task<string?> CodeForMailAsync(string requestId, string issue, CancellationToken cancellationToken)
    {
        var stored = Ingestion.UploadName.IsValidId(requestId)
            ? await store.ReadAsync<VerificationRecord>(Containers.Requests, requestId, DocumentId, cancellationToken).ConfigureAwait(false)
            : null;
        return stored?.Document is { VerifiedAt: null, LockedOut: false } v && v.Issue == issue && time.GetUtcNow() <= v.ExpiresAt
            ? secrets.Code(requestId, v.Nonce)
            : null;
    }

    /// <summary>Checks a code; the int is attempts left on a wrong code.</summary>
    public async Task<(CodeCheck Result, int AttemptsLeft)> CheckAsync(string requestId, string code, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(code);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var stored = await store.ReadAsync<VerificationRecord>(Containers.Requests, requestId, DocumentId, cancellationToken).ConfigureAwait(false);
            if (stored is null || stored.Document.VerifiedAt is not null || stored.Document.LockedOut)
            {
                return (CodeCheck.NotPending, 0);
            }

            var v = stored.Document;
            if (time.GetUtcNow() > v.ExpiresAt)
            {
                return (CodeCheck.Expired, 0);
            }

            var right = secrets.CodeMatches(requestId, code, v.CodeHash);
            var updated = right
                ? v with { VerifiedAt = time.GetUtcNow() }
                : v with { Attempts = v.Attempts + 1, LockedOut = v.Attempts + 1 >= v.MaxAttempts };
            try
            {
                await store.ReplaceAsync(Containers.Requests, requestId, DocumentId, updated, stored.ETag, cancellationToken).ConfigureAwait(false);
            }
            catch (RecordPreconditionFailedException)
            {
                continue;
            }

            return right ? (CodeCheck.Verified, 0) : updated.LockedOut ? (CodeCheck.LockedOut, 0) : (CodeCheck.Wrong, v.MaxAttempts - updated.Attempts);
        }

        throw new InvalidOperationException("The verification kept changing under concurrent checks.");
    }
}
