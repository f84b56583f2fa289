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
/// answers the documented requests with the documented response shapes, keeps the state those requests make (each large
/// person group, its persons and faces, what its last training knew, the faceIds of detected faces), and records every
/// request. Who an image shows is told by the test (<see cref="Shows"/>), since nothing here recognises faces.
/// </summary>
internal sealed class FakeFaceService : HttpMessageHandler
{
    public const string Endpoint = "https://contoso.cognitiveservices.azure.com/";
    /// <summary>The prefix of the buildings' group ids (OneValet:Faces:LargePersonGroupPrefix).</summary>
    public const string GroupPrefix = "residents-test";
    private const string Base = "/face/v1.2";
    private const string Groups = "/largepersongroups/";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, string[]> _shows = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FaceRectangle[]> _where = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Group> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, string> _faceIds = [];

    /// <summary>Every request received, in order: method, path under /face/v1.2, and the query string.</summary>
    public List<(string Method, string Path, string Query)> Requests { get; } = [];

    /// <summary>The confidence identification gives a true match.</summary>
    public double MatchConfidence { get; set; } = 0.92;

    /// <summary>When set, every request is answered with this status and error code (e.g. 503 to play an outage).</summary>
    public (HttpStatusCode Status, string Code)? Outage { get; set; }

    /// <summary>When set, the requests it picks (method, path under /face/v1.2) get <see cref="Outage"/>'s answer, or 503
    /// when none is set, and the others are served: a partial outage, e.g. of deletions only.</summary>
    public Func<string, string, bool>? FailWhen { get; set; }

    /// <summary>The persons currently in any group (ids), as the Face API would list them.</summary>
    public IReadOnlyCollection<Guid> Persons
    {
        get
        {
            lock (_gate)
            {
                return [.. _groups.Values.SelectMany(g => g.Persons.Keys)];
            }
        }
    }

    /// <summary>The ids of the groups that exist.</summary>
    public IReadOnlyCollection<string> GroupIds
    {
        get
        {
            lock (_gate)
            {
                return [.. _groups.Keys];
            }
        }
    }

    /// <summary>The persons of one group (empty when it does not exist).</summary>
    public IReadOnlyCollection<Guid> PersonsIn(string groupId)
    {
        lock (_gate)
        {
            return _groups.TryGetValue(groupId, out var group) ? [.. group.Persons.Keys] : [];
        }
    }

    /// <summary>The persons one group's last training knew: those identification can return.</summary>
    public IReadOnlyCollection<Guid> TrainedIn(string groupId)
    {
        lock (_gate)
        {
            return _groups.TryGetValue(groupId, out var group) && group.Trained is { } trained ? [.. trained.Keys] : [];
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

    /// <summary>
    /// Tells the fake who the image shows and where each face is (largest first): for pictures whose faces are really there,
    /// so that a rectangle the pipeline gets from the fake is the face the redaction finds.
    /// </summary>
    public void Shows(byte[] image, params (string Who, FaceRectangle Where)[] faces)
    {
        ArgumentNullException.ThrowIfNull(faces);
        lock (_gate)
        {
            _shows[Hash(image)] = [.. faces.Select(f => f.Who)];
            _where[Hash(image)] = [.. faces.Select(f => f.Where)];
        }
    }

    /// <summary>
    /// Who a picture the test never named shows, and where (e.g. a video's keyframe, encoded by the pipeline): asked for
    /// any image <see cref="Shows(byte[], string[])"/> did not name. Null: such an image shows nobody.
    /// </summary>
    public Func<byte[], (string Who, FaceRectangle Where)[]>? Recognize { get; set; }

    /// <summary>The confidence find-similar gives two faces of different people (matchFace mode returns them too).</summary>
    public double OtherPersonConfidence { get; set; } = 0.12;

    /// <summary>The Face API clients as the pipeline's DI would make them, over this fake.</summary>
    public FaceApi CreateApi()
    {
        var options = new FaceClientOptions { Transport = new HttpClientTransport(new HttpClient(this, disposeHandler: false)) };
        options.Retry.Delay = TimeSpan.FromMilliseconds(1);
        options.Retry.MaxRetries = 1;
        var credential = new StaticCredential();
        return new FaceApi(new FaceClient(new Uri(Endpoint), credential, options), new FaceAdministrationClient(new Uri(Endpoint), credential, options));
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            var relative = path.StartsWith(Base, StringComparison.Ordinal) ? path[Base.Length..] : path;
            Requests.Add((request.Method.Method, relative, request.RequestUri.Query));
            if (FailWhen is { } fails)
            {
                if (fails(request.Method.Method, relative))
                {
                    var (status, code) = Outage ?? (HttpStatusCode.ServiceUnavailable, "ServiceUnavailable");
                    return Error(status, code);
                }
            }
            else if (Outage is { } outage)
            {
                return Error(outage.Status, outage.Code);
            }

            if (!request.Headers.Authorization?.ToString().StartsWith("Bearer ", StringComparison.Ordinal) ?? true)
            {
                return Error(HttpStatusCode.Unauthorized, "PermissionDenied");
            }

            var route = relative;
            if (route.StartsWith(Groups, StringComparison.Ordinal))
            {
                // /largepersongroups/{id}[/train | /persons[/{personId}[/persistedfaces]]]
                var parts = route[Groups.Length..].Split('/');
                if (!ValidGroupId(parts[0]))
                {
                    return Error(HttpStatusCode.BadRequest, "BadArgument");
                }

                return (request.Method.Method, parts.Length) switch
                {
                    ("PUT", 1) => CreateGroup(parts[0]),
                    ("POST", 2) when parts[1] == "train" => Train(parts[0]),
                    ("POST", 2) when parts[1] == "persons" => CreatePerson(parts[0], body),
                    ("POST", 4) when parts[1] == "persons" && parts[3] == "persistedfaces" => AddFace(parts[0], Guid.Parse(parts[2]), body),
                    ("DELETE", 3) when parts[1] == "persons" => DeletePerson(parts[0], Guid.Parse(parts[2])),
                    _ => Error(HttpStatusCode.NotFound, "NotFound"),
                };
            }

            return (request.Method.Method, route) switch
            {
                ("POST", "/detect") => Detect(body, request.RequestUri.Query.Contains("returnFaceId=true", StringComparison.Ordinal)),
                ("POST", "/identify") => Identify(body),
                ("POST", "/findsimilars") => FindSimilar(body),
                _ => Error(HttpStatusCode.NotFound, "NotFound"),
            };
        }
    }

    private HttpResponseMessage Detect(byte[] image, bool returnFaceId)
    {
        var faces = new JsonArray();
        var people = _shows.GetValueOrDefault(Hash(image));
        var where = _where.GetValueOrDefault(Hash(image));
        if (people is null && Recognize is { } recognize)
        {
            var seen = recognize(image);
            people = [.. seen.Select(f => f.Who)];
            where = [.. seen.Select(f => f.Where)];
        }

        people ??= [];
        for (var i = 0; i < people.Length; i++)
        {
            var rectangle = where?[i] ?? new FaceRectangle(40 + (i * 120), 30, 100 - (i * 10), 100 - (i * 10));
            var face = new JsonObject
            {
                ["faceRectangle"] = new JsonObject { ["left"] = rectangle.Left, ["top"] = rectangle.Top, ["width"] = rectangle.Width, ["height"] = rectangle.Height },
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
        if (!_groups.TryGetValue(json["largePersonGroupId"]!.GetValue<string>(), out var group))
        {
            return Error(HttpStatusCode.NotFound, "LargePersonGroupNotFound");
        }

        if (group.Trained is not { } trained)
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
            foreach (var (personId, _) in trained.Where(p => who is not null && p.Value == who && MatchConfidence >= threshold).Take(max))
            {
                candidates.Add(new JsonObject { ["personId"] = personId.ToString(), ["confidence"] = MatchConfidence });
            }

            results.Add(new JsonObject { ["faceId"] = faceId.ToString(), ["candidates"] = candidates });
        }

        return Json(results);
    }

    /// <summary>
    /// POST /findsimilars over faceIds (the documented shape: faceId, faceIds, mode, maxNumOfCandidatesReturned): a face of
    /// the same person gets <see cref="MatchConfidence"/>, another <see cref="OtherPersonConfidence"/>, which matchPerson
    /// mode leaves out; most similar first. A faceId this service never made (or forgot) is 400 FaceNotFound.
    /// </summary>
    private HttpResponseMessage FindSimilar(byte[] body)
    {
        var json = JsonNode.Parse(body)!;
        if (!_faceIds.TryGetValue(Guid.Parse(json["faceId"]!.GetValue<string>()), out var who))
        {
            return Error(HttpStatusCode.BadRequest, "FaceNotFound");
        }

        var matchFace = json["mode"]?.GetValue<string>() == "matchFace";
        var max = json["maxNumOfCandidatesReturned"]?.GetValue<int>() ?? 20;
        var candidates = new List<(Guid FaceId, double Confidence)>();
        foreach (var faceId in json["faceIds"]!.AsArray().Select(f => Guid.Parse(f!.GetValue<string>())))
        {
            if (!_faceIds.TryGetValue(faceId, out var other))
            {
                return Error(HttpStatusCode.BadRequest, "FaceNotFound");
            }

            var confidence = other == who ? MatchConfidence : OtherPersonConfidence;
            if (matchFace || other == who)
            {
                candidates.Add((faceId, confidence));
            }
        }

        var results = new JsonArray();
        foreach (var (faceId, confidence) in candidates.OrderByDescending(c => c.Confidence).Take(max))
        {
            results.Add(new JsonObject { ["faceId"] = faceId.ToString(), ["confidence"] = confidence });
        }

        return Json(results);
    }

    /// <summary>The Face API's rule for group ids: lowercase letters, digits, '-' and '_', at most 64.</summary>
    private static bool ValidGroupId(string id) =>
        id.Length is > 0 and <= 64 && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_');

    private HttpResponseMessage CreateGroup(string groupId)
    {
        if (_groups.ContainsKey(groupId))
        {
            return Error(HttpStatusCode.Conflict, "LargePersonGroupExists");
        }

        _groups[groupId] = new Group();
        return new HttpResponseMessage(HttpStatusCode.OK);
    }

    private HttpResponseMessage Train(string groupId)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return Error(HttpStatusCode.NotFound, "LargePersonGroupNotFound");
        }

        group.Trained = group.Persons.Where(p => p.Value.Face is not null).ToDictionary(p => p.Key, p => p.Value.Face!);
        var accepted = new HttpResponseMessage(HttpStatusCode.Accepted);
        accepted.Headers.Add("operation-Location", "https://contoso.com/operationstatus");
        return accepted;
    }

    private HttpResponseMessage CreatePerson(string groupId, byte[] body)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return Error(HttpStatusCode.NotFound, "LargePersonGroupNotFound");
        }

        var personId = Guid.NewGuid();
        group.Persons[personId] = new Person(JsonNode.Parse(body)!["name"]!.GetValue<string>(), null);
        return Json(new JsonObject { ["personId"] = personId.ToString() });
    }

    private HttpResponseMessage AddFace(string groupId, Guid personId, byte[] image)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return Error(HttpStatusCode.NotFound, "LargePersonGroupNotFound");
        }

        if (!group.Persons.TryGetValue(personId, out var person))
        {
            return Error(HttpStatusCode.NotFound, "PersonNotFound");
        }

        var people = _shows.GetValueOrDefault(Hash(image)) ?? [];
        if (people.Length != 1)
        {
            return Error(HttpStatusCode.BadRequest, "InvalidImage");
        }

        group.Persons[personId] = person with { Face = people[0] };
        return Json(new JsonObject { ["persistedFaceId"] = Guid.NewGuid().ToString() });
    }

    private HttpResponseMessage DeletePerson(string groupId, Guid personId) =>
        !_groups.TryGetValue(groupId, out var group) ? Error(HttpStatusCode.NotFound, "LargePersonGroupNotFound")
        : group.Persons.Remove(personId) ? new HttpResponseMessage(HttpStatusCode.OK)
        : Error(HttpStatusCode.NotFound, "PersonNotFound");

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

    /// <summary>One large person group: its persons, and what its last training knew (null: never trained).</summary>
    private sealed class Group
    {
        public Dictionary<Guid, Person> Persons { get; } = [];

        public Dictionary<Guid, string>? Trained { get; set; }
    }

    private sealed class StaticCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new("test-token", DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
