using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace OneValet.Pipeline.Api;

/// <summary>
/// RFC 9457 problem details for every refusal, the same in both hosts. A <c>code</c> (the <c>code</c> member) lets a
/// client tell one refusal of a status from another without reading the sentence; where it is null, no member is written.
/// </summary>
public static class Problems
{
    public static ProblemHttpResult BadRequest(string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status400BadRequest, title: "The request is not valid.", extensions: extensions);

    public static ProblemHttpResult BadRequest(string detail, string code) => BadRequest(detail, Code(code));

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status404NotFound, title: "Not found.");

    public static ProblemHttpResult Forbidden(string detail, string? code = null) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden.", extensions: Code(code));

    /// <summary>409: the resource is not in a state that allows the call (titled "Conflict." unless a sharper title says why).</summary>
    public static ProblemHttpResult Conflict(string detail, string? code = null, string title = "Conflict.") =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status409Conflict, title: title, extensions: Code(code));

    /// <summary>413: the body is over the route's limit.</summary>
    public static ProblemHttpResult TooLarge(string detail, string title) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status413PayloadTooLarge, title: title);

    /// <summary>415: the body is not of the content type the route reads.</summary>
    public static ProblemHttpResult UnsupportedMediaType(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type.");

    /// <summary>422: the body is well formed but cannot be used (an image too large to decode, a face the Face API refused).</summary>
    public static ProblemHttpResult Unprocessable(string detail, string code, string title) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status422UnprocessableEntity, title: title, extensions: Code(code));

    /// <summary>429: too many calls in the period.</summary>
    public static ProblemHttpResult TooManyRequests(string detail, string title = "Rate limit.") =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status429TooManyRequests, title: title);

    /// <summary>503: a service the call needs did not answer; nothing was kept.</summary>
    public static ProblemHttpResult ServiceUnavailable(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable.");

    private static Dictionary<string, object?>? Code(string? code) =>
        code is null ? null : new Dictionary<string, object?> { ["code"] = code };
}
