using System.Net;
using Microsoft.Kiota.Abstractions.Serialization;
using OneValet.Client.Models;
using Xunit;

namespace OneValet.Tests.EndToEnd;

/// <summary>Assertions on calls made through the generated client (issue 20.2): a refusal is the document's
/// <see cref="Problem"/>, thrown by the client, with its status and, where the handler adds one, its <c>code</c>.</summary>
internal static class ApiAssert
{
    public static async Task<Problem> RefusedAsync(HttpStatusCode status, string? code, Func<Task> call)
    {
        var problem = await Assert.ThrowsAsync<Problem>(call);
        Assert.Equal((int)status, problem.ResponseStatusCode);
        Assert.Equal((int)status, problem.Status);
        if (code is not null)
        {
            Assert.Equal(code, Extension(problem, "code"));
        }

        return problem;
    }

    /// <summary>A member of problem details beyond RFC 9457's (e.g. <c>code</c>, <c>path</c>), as text.</summary>
    public static string? Extension(Problem problem, string name)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return problem.AdditionalData.TryGetValue(name, out var value) ? value switch
        {
            UntypedString text => text.GetValue(),
            UntypedInteger number => number.GetValue().ToString(System.Globalization.CultureInfo.InvariantCulture),
            UntypedBoolean flag => flag.GetValue() ? "true" : "false",
            _ => value?.ToString(),
        } : null;
    }

    /// <summary>A typed call that answers the given status (the generated client returns only the body).</summary>
    public static async Task<T> AnswersAsync<T>(HttpStatusCode status, Func<Contract.ResponseStatus, Task<T?>> call)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(call);
        var answered = new Contract.ResponseStatus();
        var body = await call(answered);
        Assert.Equal(status, answered.Code);
        return Assert.IsAssignableFrom<T>(body);
    }
}
