using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Kiota.Abstractions;
using OneValet.Pipeline.Api;

namespace OneValet.Tests.Contract;

/// <summary>
/// Issue 20.2: sits in the HttpClient of every caller the end-to-end tests make (<see cref="EndToEnd.LocalHostProcess"/>),
/// under the generated client and under the raw calls alike, and checks each response of the local host against the
/// document the code produces: the operation (method and template of the route table) must declare the status; the media
/// type must be the declared one (a declared body must come, an undeclared one must not); the body must conform to the
/// schema (<see cref="SchemaConformance"/>). A path that is no operation (an attack's other spelling) may only be refused,
/// with problem details or nothing. A mismatch throws <see cref="ContractViolationException"/>, which fails the test.
/// Responses from elsewhere (Azurite's blob links) are not the API's and pass.
/// </summary>
internal sealed class ContractValidatingHandler(Uri host) : DelegatingHandler(new SocketsHttpHandler())
{
    private static readonly HttpRequestOptionsKey<IRequestOption> StatusKey = new(typeof(ResponseStatus).FullName!);


    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var uri = request.RequestUri!;
        if (Uri.Compare(uri, host, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) != 0)
        {
            return response;
        }

        await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false); // the caller reads it again
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        var violations = Check(request.Method.Method, uri.AbsolutePath, status, response.Content.Headers.ContentType, body);
        if (violations.Count > 0)
        {
            throw new ContractViolationException(
                $"{request.Method} {uri.PathAndQuery} answered {status}, which breaks the OpenAPI document:\n  " + string.Join("\n  ", violations) +
                "\nbody: " + (body.Length > 2000 ? body[..2000] + "..." : body));
        }

        if (request.Options.TryGetValue(StatusKey, out var option) && option is ResponseStatus captured)
        {
            captured.Code = response.StatusCode;
        }

        return response;
    }

    /// <summary>What in a response does not keep the document (empty: it does).</summary>
    public static IReadOnlyList<string> Check(string method, string path, int status, MediaTypeHeaderValue? contentType, string body)
    {
        // Kestrel refuses what is not valid HTTP (a NUL in the path, a malformed header) before the API sees it: a bare 400
        // with no body. That is the server's protocol layer, not an operation of the document (the fuzz tests send these).
        if (status == 400 && body.Length == 0 && contentType is null)
        {
            return [];
        }

        var code = status.ToString(CultureInfo.InvariantCulture);
        var route = Find(method, path);
        if (route is null)
        {
            if (status < 400)
            {
                return [$"{method} {path} is no operation of the document, yet it answered {status}"];
            }

            return body.Length == 0 ? [] : WithBody(SchemaConformance.Document["components"]!["schemas"]!["Problem"]!, "application/problem+json", contentType, body);
        }

        var operation = SchemaConformance.Document["paths"]![route.Path]![route.Method.ToLowerInvariant()]!;
        if (operation["responses"]![code] is not { } response)
        {
            return [$"{route.Name} declares no {status} response (declared: {string.Join(", ", operation["responses"]!.AsObject().Select(r => r.Key))})"];
        }

        if (response["content"] is not JsonObject content || content.Count == 0)
        {
            return body.Length == 0 ? [] : [$"{route.Name} declares no body for {status}, yet one came ({contentType?.MediaType})"];
        }

        // The compliance report's printable form (format=html) renders the same data as the JSON the document describes.
        if (route == ApiRoutes.GetComplianceReport && string.Equals(contentType?.MediaType, "text/html", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        var (mediaType, declared) = content.FirstOrDefault(c => string.Equals(c.Key, contentType?.MediaType, StringComparison.OrdinalIgnoreCase)) is { Value: not null } match ? match : content.First();
        return WithBody(declared!["schema"]!, mediaType, contentType, body);
    }

    private static IReadOnlyList<string> WithBody(JsonNode schema, string mediaType, MediaTypeHeaderValue? contentType, string body)
    {
        if (!string.Equals(contentType?.MediaType, mediaType, StringComparison.OrdinalIgnoreCase))
        {
            return [$"media type {contentType?.MediaType ?? "(none)"}, declared {mediaType}"];
        }

        // A file (the console's page, script, style): its media type is what the document can say of it.
        if (!mediaType.EndsWith("json", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        try
        {
            return SchemaConformance.Check(schema, body);
        }
        catch (System.Text.Json.JsonException e)
        {
            return [$"the body is not JSON: {e.Message}"];
        }
    }

    /// <summary>The route table's operation for a request path (<c>/api/...</c>) as ASP.NET Core routes it: each segment
    /// percent-decoded (<c>/%61pi/</c> is <c>/api/</c>; an encoded slash stays inside its segment), dot segments resolved, literal segments without
    /// regard to case, a trailing slash ignored, a literal segment before a parameter.</summary>
    public static ApiRoute? Find(string method, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var all = new List<string>();
        foreach (var segment in path.TrimEnd('/').Split('/').Select(Uri.UnescapeDataString))
        {
            // Dot segments are resolved after decoding (Kestrel does; so does the client's Uri before sending).
            if (segment == "..")
            {
                if (all.Count > 1)
                {
                    all.RemoveAt(all.Count - 1);
                }
            }
            else if (segment != "." || all.Count == 0)
            {
                all.Add(segment);
            }
        }

        if (all.Count < 3 || all[0].Length != 0 || !string.Equals(all[1], "api", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var segments = all[2..].ToArray();
        return ApiRoutes.All
            .Where(r => string.Equals(r.Method, method, StringComparison.OrdinalIgnoreCase))
            .Select(r => (Route: r, Template: r.Template.Split('/')))
            .Where(r => r.Template.Length == segments.Length && r.Template.Zip(segments).All(p =>
                p.First.StartsWith('{') ? p.Second.Length > 0 : string.Equals(p.First, p.Second, StringComparison.OrdinalIgnoreCase)))
            .OrderByDescending(r => r.Template.Count(s => !s.StartsWith('{')))
            .Select(r => r.Route)
            .FirstOrDefault();
    }
}

/// <summary>A response that breaks the OpenAPI document (issue 20.2).</summary>
public sealed class ContractViolationException(string message) : Exception(message);

/// <summary>
/// A request option for the generated client: the status the host answered (Kiota returns only the body), e.g.
/// <c>await api.Api.Residents["r-1"].PutAsync(input, c => c.Options.Add(status))</c>. Kiota hands its request options to
/// the HttpClient's handlers; <see cref="ContractValidatingHandler"/> fills it in.
/// </summary>
public sealed class ResponseStatus : IRequestOption
{
    public System.Net.HttpStatusCode? Code { get; set; }
}
