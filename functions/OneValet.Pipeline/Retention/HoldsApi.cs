using System.Net.Mail;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Durable;
using OneValet.Pipeline.Ingestion;

namespace OneValet.Pipeline.Retention;

/// <summary>Body of <c>POST /api/holds</c>.</summary>
public sealed record HoldInput(HoldReason Reason, HoldScope Scope, string Owner, DateTimeOffset ReviewBy, string? Note);

/// <summary>
/// Holds (O6): the privacy officer places one with a reason the law allows, a scope, an owner and a review date, and
/// releases it. Held items are skipped and counted; on release, every due bucket is enforced at once, so overdue items
/// go within moments. Placing and releasing are audited.
/// </summary>
public sealed class HoldsApi(HoldRegistry holds, TimeProvider time)
{
    public async Task<IResult> PlaceAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (input, problem) = await RequestBody.ReadAsync<HoldInput>(request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var now = time.GetUtcNow();
        var error = Validate(input!, now);
        if (error is not null)
        {
            return Problems.BadRequest(error);
        }

        var hold = new HoldRecord
        {
            HoldId = "hold-" + Guid.NewGuid().ToString("N")[..16],
            Reason = input!.Reason,
            Scope = input.Scope,
            Owner = input.Owner,
            ReviewBy = input.ReviewBy,
            Note = input.Note,
            PlacedAt = now,
        };
        await holds.PlaceAsync(hold, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(hold, ApiJson.Options, statusCode: StatusCodes.Status201Created);
    }

    public async Task<IResult> GetAsync(string holdId, CancellationToken cancellationToken)
    {
        if (!UploadName.IsValidId(holdId))
        {
            return Problems.NotFound("No such hold.");
        }

        var hold = await holds.ReadAsync(holdId, cancellationToken).ConfigureAwait(false);
        return hold is null ? Problems.NotFound("No such hold.") : TypedResults.Json(hold.Document, ApiJson.Options);
    }

    public async Task<IResult> ListActiveAsync(CancellationToken cancellationToken) =>
        TypedResults.Json((await holds.ActiveAsync(cancellationToken).ConfigureAwait(false)).Select(h => h.Document).ToList(), ApiJson.Options);

    /// <summary>Releases a hold and starts enforcing what it kept (idempotent: releasing twice changes nothing). The
    /// optional <paramref name="reason"/> is a code (an id, e.g. <c>investigation-closed</c>), written as the release's
    /// audit reason: a code, never free text, so the trail stays free of personal data.</summary>
    public async Task<IResult> ReleaseAsync(string holdId, string? reason, DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (!UploadName.IsValidId(holdId))
        {
            return Problems.NotFound("No such hold.");
        }

        if (reason is not null && !UploadName.IsValidId(reason))
        {
            return Problems.BadRequest("'reason' is a code: 1 to 64 characters of a-z, 0-9 and '-', e.g. investigation-closed.");
        }

        var released = await holds.ReleaseAsync(holdId, time.GetUtcNow(), reason, cancellationToken).ConfigureAwait(false);
        if (released is null)
        {
            return Problems.NotFound("No such hold.");
        }

        await DurableStarts.StartOnceAsync(client, nameof(EnforceDueOrchestrator), "release-" + holdId, holdId, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(released, ApiJson.Options);
    }

    private static string? Validate(HoldInput input, DateTimeOffset now)
    {
        if (!Enum.IsDefined(input.Reason))
        {
            return "'reason' is one of security-incident, fraud-or-illegal-activity, debugging, open-request, lease-contract, legal-obligation.";
        }

        if (input.Reason is HoldReason.LeaseContract or HoldReason.LegalObligation && input.Scope?.SubjectId is null)
        {
            // O9: these keep one resident's identifiers, nothing else; a building window or item list would mean nothing.
            return "A lease-contract or legal-obligation hold keeps one resident's identifiers: its scope is a 'subjectId'.";
        }

        var scope = input.Scope;
        if (scope is null)
        {
            return "'scope' is required: a subjectId; or a buildingId with from and to; or items.";
        }

        var forms = (scope.SubjectId is not null ? 1 : 0) + (scope.BuildingId is not null ? 1 : 0) + (scope.Items is not null ? 1 : 0);
        if (forms != 1)
        {
            return "'scope' has exactly one of: subjectId; buildingId (with from and to); items.";
        }

        if (scope.SubjectId is not null && !UploadName.IsValidId(scope.SubjectId))
        {
            return "'scope.subjectId' is a resident id.";
        }

        if (scope.BuildingId is not null && (!UploadName.IsValidId(scope.BuildingId) || scope.From is null || scope.To is null || scope.From >= scope.To))
        {
            return "'scope.buildingId' needs 'from' before 'to'.";
        }

        if (scope.BuildingId is null && (scope.From is not null || scope.To is not null))
        {
            return "'scope.from' and 'scope.to' go with 'scope.buildingId'.";
        }

        if (scope.Items is not null && (scope.Items.Count is 0 or > 1000 || scope.Items.Any(i => string.IsNullOrWhiteSpace(i) || i.Length > 300)))
        {
            return "'scope.items' lists 1 to 1000 item references.";
        }

        if (string.IsNullOrWhiteSpace(input.Owner) || input.Owner.Length > 254 || !MailAddress.TryCreate(input.Owner, out _))
        {
            return "'owner' is the email address of the person who answers for the hold.";
        }

        if (input.ReviewBy <= now || input.ReviewBy > now.AddYears(1))
        {
            return "'reviewBy' is a date within the next year.";
        }

        return input.Note is { Length: > 1000 } ? "'note' is at most 1000 characters." : null;
    }
}
