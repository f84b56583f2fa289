using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using OneValet.Pipeline.Faces;

namespace OneValet.Tests.Faces;

/// <summary>
/// A stand-in for the remote Face API (v1.2), which has no emulator: an HTTP handler under Azure.Core's real transport that
/// answers the documented requests with the documented response shapes, keeps the state those requests make (the large
/// person group, its persons and faces, what its last training knew, the faceIds of detected faces), and records every
/// request. Who an image shows is told by the test (<see cref="Shows"/>), since nothing here recognises faces.
/// </summary>
internal sealed class FakeFaceService : HttpMessageHandler
{
    public const string Endpoint = "https://contoso.cognitiveservices.azure.com/";
    public const string GroupId = "residents-test";
    private const string Base = "/face/v1.2";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, string[]> _shows = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, Person> _persons = [];
    private readonly Dictionary<Guid, string> _faceIds = [];
    private Dictionary<Guid, string>? _trained;
    private bool _groupExists;

    /// <summary>Every request received, in order: method, path under /face/v1.2, and the query string.</summary>
    public List<(string Method, string Path, string Query)> Requests { get; } = [];

    /// <summary>The confidence identification gives a true match.</summary>
    public double MatchConfidence { get; set; } = 0.92;

    /// <summary>When set, every request is answered with this status and error code (e.g. 503 to play an outage).</summary>
    public (HttpStatusCode Status, string Code)? Outage { get; set; }

    /// <summary>The persons currently in the group (ids), as the Face API would list them.</summary>
    public IReadOnlyCollection<Guid> Persons
    {
        get
        {
            lock (_gate)
            {
                return [.. _persons.Keys];
            }
        }
    }

    /// <summary>Tells the fake who the image shows, one label per face, largest first.</summary>
    public void Shows(byte[] image, params string[] people)
    {
        lock (_gate)
        {
            _shows[Hash(image)] = people;
        }
    }

    /// <summary>The Face API clients as the pipeline's DI would make them, over this fake.</summary>
    public FaceApi CreateApi()
    {
        var options = new FaceClientOptions { Transport = new HttpClientTransport(new HttpClient(this, disposeHandler: false)) };
        options.Retry.Delay = TimeSpan.FromMilliseconds(1);
        options.Retry.MaxRetries = 1;
        var credential = new StaticCredential();
        return new FaceApi(
            new FaceClient(new Uri(Endpoint), credential, options),
            new FaceAdministrationClient(new Uri(Endpoint), credential, options).GetLargePersonGroupClient(GroupId));
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            Requests.Add((request.Method.Method, path.StartsWith(Base, StringComparison.Ordinal) ? path[Base.Length..] : path, request.RequestUri.Query));
            if (Outage is { } outage)
            {
                return Error(outage.Status, outage.Code);
            }

            if (!request.Headers.Authorization?.ToString().StartsWith("Bearer ", StringComparison.Ordinal) ?? true)
            {
                return Error(HttpStatusCode.Unauthorized, "PermissionDenied");
            }

            var group = $"/largepersongroups/{GroupId}";
            var route = path[Base.Length..];
            return (request.Method.Method, route) switch
            {
                ("POST", "/detect") => Detect(body, request.RequestUri.Query.Contains("returnFaceId=true", StringComparison.Ordinal)),
                ("POST", "/identify") => Identify(body),
                ("PUT", _) when route == group => CreateGroup(),
                ("POST", _) when route == group + "/train" => Train(),
                ("POST", _) when route == group + "/persons" => CreatePerson(body),
                ("POST", _) when route.StartsWith(group + "/persons/", StringComparison.Ordinal) && route.EndsWith("/persistedfaces", StringComparison.Ordinal) =>
                    AddFace(Guid.Parse(route[(group.Length + 9)..^15]), body),
                ("DELETE", _) when route.StartsWith(group + "/persons/", StringComparison.Ordinal) => DeletePerson(Guid.Parse(route[(group.Length + 9)..])),
                _ => Error(HttpStatusCode.NotFound, "NotFound"),
            };
        }
    }

    private HttpResponseMessage Detect(byte[] image, bool returnFaceId)
    {
        var faces = new JsonArray();
        var people = _shows.GetValueOrDefault(Hash(image)) ?? [];
        for (var i = 0; i < people.Length; i++)
        {
            var face = new JsonObject
            {
                ["faceRectangle"] = new JsonObject { ["left"] = 40 + (i * 120), ["top"] = 30, ["width"] = 100 - (i * 10), ["height"] = 100 - (i * 10) },
                ["recognitionModel"] = "recognition_04",
            };
            if (returnFaceId)
            {
                var faceId = Guid.NewGuid();
                _faceIds[faceId] = people[i];
                face["faceId"] = faceId.ToString();
            }

            faces.Add(face);
        }

        return Json(faces);
    }

    private HttpResponseMessage Identify(byte[] body)
    {
        var json = JsonNode.Parse(body)!;
        if (json["largePersonGroupId"]!.GetValue<string>() != GroupId || !_groupExists)
        {
            return Error(HttpStatusCode.NotFound, "LargePersonGroupNotFound");
        }

        if (_trained is null)
        {
            return Error(HttpStatusCode.BadRequest, "LargePersonGroupNotTrained");
        }

        var max = json["maxNumOfCandidatesReturned"]?.GetValue<int>() ?? 10;
        var threshold = json["confidenceThreshold"]?.GetValue<double>() ?? 0.5;
        var results = new JsonArray();
        foreach (var faceId in json["faceIds"]!.AsArray().Select(f => Guid.Parse(f!.GetValue<string>())))
        {
            var who = _faceIds.GetValueOrDefault(faceId);
            var candidates = new JsonArray();
            foreach (var (personId, _) in _trained.Where(p => who is not null && p.Value == who && MatchConfidence >= threshold).Take(max))
            {
                candidates.Add(new JsonObject { ["personId"] = personId.ToString(), ["confidence"] = MatchConfidence });
            }

            results.Add(new JsonObject { ["faceId"] = faceId.ToString(), ["candidates"] = candidates });
        }

        return Json(results);
    }

    private HttpResponseMessage CreateGroup()
    {
        if (_groupExists)
        {
            return Error(HttpStatusCode.Conflict, "LargePersonGroupExists");
        }

        _groupExists = true;
        return new HttpResponseMessage(HttpStatusCode.OK);
    }

    private HttpResponseMessage Train()
    {
        if (!_groupExists)
        {
            return Error(HttpStatusCode.NotFound, "LargePersonGroupNotFound");
        }

        _trained = _persons.Where(p => p.Value.Face is not null).ToDictionary(p => p.Key, p => p.Value.Face!);
        var accepted = new HttpResponseMessage(HttpStatusCode.Accepted);
        accepted.Headers.Add("operation-Location", "https://contoso.com/operationstatus");
        return accepted;
    }

    private HttpResponseMessage CreatePerson(byte[] body)
    {
        if (!_groupExists)
        {
            return Error(HttpStatusCode.NotFound, "LargePersonGroupNotFound");
        }

        var personId = Guid.NewGuid();
        _persons[personId] = new Person(JsonNode.Parse(body)!["name"]!.GetValue<string>(), null);
        return Json(new JsonObject { ["personId"] = personId.ToString() });
    }

    private HttpResponseMessage AddFace(Guid personId, byte[] image)
    {
        if (!_persons.TryGetValue(personId, out var person))
        {
            return Error(HttpStatusCode.NotFound, "PersonNotFound");
        }

        var people = _shows.GetValueOrDefault(Hash(image)) ?? [];
        if (people.Length != 1)
        {
            return Error(HttpStatusCode.BadRequest, "InvalidImage");
        }

        _persons[personId] = person with { Face = people[0] };
        return Json(new JsonObject { ["persistedFaceId"] = Guid.NewGuid().ToString() });
    }

    private HttpResponseMessage DeletePerson(Guid personId) =>
        _persons.Remove(personId) ? new HttpResponseMessage(HttpStatusCode.OK) : Error(HttpStatusCode.NotFound, "PersonNotFound");

    private static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static HttpResponseMessage Json(JsonNode body) =>
        new(HttpStatusCode.OK) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };

    private static HttpResponseMessage Error(HttpStatusCode status, string code)
    {
        var response = new HttpResponseMessage(status)
        {
            Content = new StringContent(JsonSerializer.Serialize(new { error = new { code, message = code } }), Encoding.UTF8, "application/json"),
        };
        response.Headers.Add("x-ms-error-code", code);
        return response;
    }

    private sealed record Person(string Name, string? Face);

    private sealed class StaticCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new("test-token", DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
