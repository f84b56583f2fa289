using Microsoft.AspNetCore.Http;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Disclosures;

/// <summary>The policy's closed list of recipient categories (O12).</summary>
public enum RecipientCategory
{
    Affiliates,
    PropertyManagement,
    BusinessPartners,
    VendorsChosenByPerson,
    Successors,
    Authorities,
    Landlord,
    Roommates,
    InternetServiceProviders,
    BuildingVisitors,
}

/// <summary>Why data is shared. Marketing, advertising and sale are in the list only so they can be refused by name (O12).</summary>
public enum DisclosurePurpose
{
    ServiceProvision,
    PropertyManagement,
    Security,
    LegalObligation,
    LawEnforcement,
    EnergyEfficiency,
    GuestAccess,
    BusinessTransfer,
    PersonsRequest,
    Marketing,
    Advertising,
    Sale,
}

/// <summary>Body of <c>POST /api/disclosures</c>: one disclosure, about a subject or a building's data.</summary>
public sealed record DisclosureInput(
    string? SubjectId,
    string? BuildingId,
    IReadOnlyList<string> DataCategories,
    RecipientCategory RecipientCategory,
    string RecipientName,
    DisclosurePurpose Purpose,
    string LegalBasis,
    DateTimeOffset? DisclosedAt,
    string? Authorization);

/// <summary>A recorded disclosure (container <c>disclosures</c>).</summary>
public sealed record DisclosureRecord
{
    public required string DisclosureId { get; init; }

    public string? SubjectId { get; init; }

    public string? BuildingId { get; init; }

    public required IReadOnlyList<string> DataCategories { get; init; }

    public required RecipientCategory RecipientCategory { get; init; }

    public required string RecipientName { get; init; }

    public required DisclosurePurpose Purpose { get; init; }

    public required string LegalBasis { get; init; }

    /// <summary>For keyless-entry data: the subpoena or warrant reference, or the tenant's or operator's express authorization.</summary>
    public string? Authorization { get; init; }

    public required DateTimeOffset DisclosedAt { get; init; }

    public required DateTimeOffset RecordedAt { get; init; }

    public static string PartitionFor(string? subjectId, string? buildingId) => subjectId ?? Partitions.OfBuilding(buildingId);
}

/// <summary>
/// The sharing ledger (O12): every disclosure recorded (data categories, recipient category from the closed list, recipient,
/// purpose, legal basis, when). Refused: marketing, advertising or sale, always; keyless-entry data (the TDPA's "reference
/// and authentication data") except to authorities with a subpoena or warrant, the operator with express authorization,
/// for energy efficiency, or to guests the tenant authorizes.
/// </summary>
public sealed class DisclosuresApi(IRecordStore store, Retention.RetentionSchedule schedule, Retention.RetentionPolicy policy, TimeProvider time, Auditing.AuditLog audit)
{
    /// <summary>O12's audit actions: a disclosure recorded in the ledger, and one refused (never recorded in the ledger). The
    /// entries carry ids, the recipient category, the purpose and the data categories, never the recipient's name.</summary>
    public const string RecordedAction = "disclosure-recorded";

    public const string RefusedAction = "disclosure-refused";

    /// <summary>The purposes that are always refused (O12: never for marketing or advertising, never sold).</summary>
    public static readonly DisclosurePurpose[] NeverPurposes = [DisclosurePurpose.Marketing, DisclosurePurpose.Advertising, DisclosurePurpose.Sale];

    /// <summary>The data categories the policy names (REFERENCE.md), plus the pipeline's finer TDPA categories.</summary>
    public static readonly string[] KnownCategories =
    [
        "identifiers", "account-information", "commercial-data", "financial-data", "technical-data", "hardware-usage",
        "sensory", "facial-entry-authentication", "facial-entry-reference", "authentication-data", "geolocation", "communications",
    ];

    /// <summary>Keyless entry data in the TDPA's sense (NYC Admin Code 26-3001 ff.).</summary>
    public static readonly string[] KeylessEntryCategories = ["facial-entry-authentication", "facial-entry-reference", "authentication-data"];

    public async Task<IResult> RecordAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (input, problem) = await RequestBody.ReadAsync<DisclosureInput>(request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var refusal = Check(input!, out var invalid);
        if (invalid is not null)
        {
            return Problems.BadRequest(invalid);
        }

        if (Api.Auth.Caller.OfRequest(request) is { } caller)
        {
            // A manager records disclosures of their buildings only; a person's disclosure belongs to the building the person
            // lives in, as the store has it (an unknown person: the privacy officer only).
            var building = input!.BuildingId;
            if (input.SubjectId is { } subjectId)
            {
                building = (await store.ReadAsync<ResidentRecord>(Containers.Residents, subjectId, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document.BuildingId;
            }

            if (!caller.CoversBuilding(ApiRoutes.RecordDisclosure, building))
            {
                return Problems.NotFound("No such building.");
            }
        }

        if (refusal is not null)
        {
            // O12: a refused disclosure is evidence too (the ledger keeps only what was shared).
            var refusedAt = time.GetUtcNow();
            var refusedId = "refused-" + Guid.NewGuid().ToString("N")[..16];
            await audit.WriteAsync(Auditing.AuditLog.IdFor(RefusedAction, refusedId), new Auditing.AuditRecord
            {
                Action = RefusedAction,
                ItemRef = "disclosures/" + refusedId,
                Category = string.Join(",", input!.DataCategories),
                Obligation = "O12",
                ReasonCode = NeverPurposes.Contains(input.Purpose) ? "never-for-marketing-or-sale" : "keyless-entry-data",
                How = input.RecipientCategory + "/" + input.Purpose,
                Outcome = "refused",
                SubjectId = input.SubjectId,
                BuildingId = input.BuildingId,
                At = refusedAt,
                DoneAt = refusedAt,
            }, cancellationToken).ConfigureAwait(false);
            return TypedResults.Problem(detail: refusal, statusCode: StatusCodes.Status422UnprocessableEntity, title: "This disclosure is not allowed.",
                extensions: new Dictionary<string, object?> { ["obligation"] = "O12" });
        }

        var now = time.GetUtcNow();
        var record = new DisclosureRecord
        {
            DisclosureId = "dis-" + Guid.NewGuid().ToString("N")[..16],
            SubjectId = input!.SubjectId,
            BuildingId = input.BuildingId,
            DataCategories = input.DataCategories,
            RecipientCategory = input.RecipientCategory,
            RecipientName = input.RecipientName,
            Purpose = input.Purpose,
            LegalBasis = input.LegalBasis,
            Authorization = input.Authorization,
            DisclosedAt = input.DisclosedAt ?? now,
            RecordedAt = now,
        };
        // O8, O12: the record's own rule, as data before the record (a crash never leaves a record without its deadline).
        var partition = DisclosureRecord.PartitionFor(record.SubjectId, record.BuildingId);
        var rule = policy.ForDisclosure();
        await schedule.AddAsync(new Retention.ScheduleEntry
        {
            Kind = Retention.ItemKind.Disclosure,
            ItemPartition = partition,
            ItemId = record.DisclosureId,
            SubjectId = record.SubjectId,
            BuildingId = record.BuildingId ?? "disclosures",
            EventAt = record.DisclosedAt,
            Category = "sharing-ledger",
            Rule = rule,
            Deadline = rule.DeadlineFrom(record.DisclosedAt),
        }, cancellationToken).ConfigureAwait(false);
        await store.CreateAsync(Containers.Disclosures, partition, record.DisclosureId, record, cancellationToken).ConfigureAwait(false);

        // O12: the ledger is per subject or building; its audit entry makes the disclosure findable by day.
        await audit.WriteAsync(Auditing.AuditLog.IdFor(RecordedAction, record.DisclosureId), new Auditing.AuditRecord
        {
            Action = RecordedAction,
            ItemRef = "disclosures/" + record.DisclosureId,
            Category = string.Join(",", record.DataCategories),
            Obligation = "O12",
            How = record.RecipientCategory + "/" + record.Purpose,
            Outcome = "recorded",
            SubjectId = record.SubjectId,
            BuildingId = record.BuildingId,
            EventAt = record.DisclosedAt,
            At = now,
            DoneAt = now,
        }, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(record, ApiJson.Options, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>The disclosures about one subject, or about one building's data.</summary>
    public async Task<IResult> ListAsync(string? subjectId, string? buildingId, CancellationToken cancellationToken)
    {
        if ((subjectId is null) == (buildingId is null) || !UploadName.IsValidId(subjectId ?? buildingId))
        {
            return Problems.BadRequest("Give exactly one of 'subjectId' and 'buildingId'.");
        }

        return TypedResults.Json(await ForPartitionAsync(DisclosureRecord.PartitionFor(subjectId, buildingId), cancellationToken).ConfigureAwait(false), ApiJson.Options);
    }

    /// <summary>Every disclosure recorded in one partition (a subject's, or a building's).</summary>
    public async Task<List<DisclosureRecord>> ForPartitionAsync(string partition, CancellationToken cancellationToken)
    {
        var result = new List<DisclosureRecord>();
        string? continuation = null;
        do
        {
            var page = await store.QueryAsync<DisclosureRecord>(Containers.Disclosures, partition, RecordQuery.All, 200, continuation, cancellationToken).ConfigureAwait(false);
            result.AddRange(page.Items.Select(i => i.Document));
            continuation = page.Continuation;
        }
        while (continuation is not null);
        return result;
    }

    /// <summary>Returns the refusal (422) or sets <paramref name="invalid"/> (400); null and null when allowed.</summary>
    internal static string? Check(DisclosureInput input, out string? invalid)
    {
        invalid = null;
        if ((input.SubjectId is null) == (input.BuildingId is null) || !UploadName.IsValidId(input.SubjectId ?? input.BuildingId))
        {
            invalid = "Give exactly one of 'subjectId' (a resident id) and 'buildingId'.";
            return null;
        }

        if (input.DataCategories is not { Count: > 0 and <= 20 } || input.DataCategories.Any(c => !KnownCategories.Contains(c)))
        {
            invalid = "'dataCategories' lists 1 to 20 of: " + string.Join(", ", KnownCategories) + ".";
            return null;
        }

        if (!Enum.IsDefined(input.RecipientCategory) || !Enum.IsDefined(input.Purpose))
        {
            invalid = "'recipientCategory' or 'purpose' is not one of the policy's values.";
            return null;
        }

        if (string.IsNullOrWhiteSpace(input.RecipientName) || input.RecipientName.Length > 200 || string.IsNullOrWhiteSpace(input.LegalBasis) || input.LegalBasis.Length > 500)
        {
            invalid = "'recipientName' (at most 200 characters) and 'legalBasis' (at most 500) are required.";
            return null;
        }

        if (input.Authorization is { Length: > 500 })
        {
            invalid = "'authorization' is at most 500 characters.";
            return null;
        }

        if (input.Purpose is DisclosurePurpose.Marketing or DisclosurePurpose.Advertising or DisclosurePurpose.Sale)
        {
            return "Personal information is never shared for marketing or advertising, and never sold (O12).";
        }

        if (input.DataCategories.Any(c => KeylessEntryCategories.Contains(c)) && !KeylessEntryAllowed(input))
        {
            return "Keyless-entry data may go only to law enforcement with a subpoena or warrant, to the operator with express " +
                "authorization, for energy efficiency, or to guests the tenant authorizes (NYC TDPA); 'authorization' must name it.";
        }

        return null;
    }

    private static bool KeylessEntryAllowed(DisclosureInput input)
    {
        var authorized = !string.IsNullOrWhiteSpace(input.Authorization);
        return (input.RecipientCategory, input.Purpose) switch
        {
            (RecipientCategory.Authorities, DisclosurePurpose.LawEnforcement) => authorized,
            (RecipientCategory.PropertyManagement or RecipientCategory.Landlord, DisclosurePurpose.PropertyManagement) => authorized,
            (_, DisclosurePurpose.EnergyEfficiency) => input.RecipientCategory is not (RecipientCategory.BusinessPartners or RecipientCategory.Affiliates) || authorized,
            (RecipientCategory.BuildingVisitors, DisclosurePurpose.GuestAccess) => authorized,
            _ => false,
        };
    }
}
