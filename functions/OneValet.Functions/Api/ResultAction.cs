using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace OneValet.Functions.Api;

/// <summary>Lets an HTTP trigger return the pipeline's ASP.NET Core <see cref="IResult"/> (the handlers are shared with
/// the local host, which serves them with minimal APIs).</summary>
internal sealed class ResultAction(IResult result) : IActionResult
{
    public IResult Result => result;

    public Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return result.ExecuteAsync(context.HttpContext);
    }
}
