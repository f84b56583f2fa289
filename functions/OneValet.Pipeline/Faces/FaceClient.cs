using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace OneValet.Pipeline.Faces;

/// <summary>Options of <see cref="FaceClient"/> and <see cref="FaceAdministrationClient"/>: retries, diagnostics, transport.</summary>
public sealed class FaceClientOptions : ClientOptions
{
    public FaceClientOptions(ServiceVersion version = ServiceVersion.V1_2)
    {
        Version = version switch
        {
            ServiceVersion.V1_2 => "v1.2",
            _ => throw new ArgumentOutOfRangeException(nameof(version)),
        };

        // Only the model names are logged from the query; ids and user data stay redacted.
        Diagnostics.LoggedQueryParameters.Add("detectionModel");
        Diagnostics.LoggedQueryParameters.Add("recognitionModel");
        Diagnostics.LoggedQueryParameters.Add("returnFaceId");
    }

    public enum ServiceVersion
    {
#pragma warning disable CA1707 // The Azure SDK's naming of service versions.
        V1_2 = 1,
#pragma warning restore CA1707
    }

    internal string Version { get; }
}

/// <summary>
/// A small typed client of the Azure AI Face REST API (v1.2): detect, verify (face to person), identify against a large
/// person group, and find similar faces among detected ones. Written because the package <c>Azure.AI.Vision.Face</c> is not served to this project; the names and
/// shapes follow that SDK (<c>FaceClient</c>, <c>Response&lt;T&gt;</c>, virtual members for tests) so it can be swapped
/// for it. Runs on Azure.Core's pipeline: Entra ID token (scope https://cognitiveservices.azure.com/.default), retries,
/// logging and tracing, cancellation. Thread-safe; create once.
/// </summary>
public class FaceClient
{
    private readonly FaceRest? _rest;

    public FaceClient(Uri endpoint, TokenCredential credential, FaceClientOptions? options = null)
    {
        _rest = new FaceRest(endpoint, credential, options ?? new FaceClientOptions());
    }

    /// <summary>For mocking.</summary>
    protected FaceClient()
    {
    }

    private FaceRest Rest => _rest ?? throw new InvalidOperationException("This FaceClient was made for mocking.");

    /// <summary>POST /detect with the image bytes: the faces found, largest first.</summary>
    public virtual async Task<Response<IReadOnlyList<FaceDetectionResult>>> DetectAsync(
        BinaryData imageContent,
        FaceDetectionModel detectionModel,
        FaceRecognitionModel recognitionModel,
        bool returnFaceId,
        int? faceIdTimeToLive = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imageContent);
        using var message = Rest.CreateMessage(RequestMethod.Post, "/detect");
        var uri = message.Request.Uri;
        uri.AppendQuery("detectionModel", detectionModel.Value, true);
        uri.AppendQuery("recognitionModel", recognitionModel.Value, true);
        uri.AppendQuery("returnFaceId", returnFaceId ? "true" : "false", true);
        if (faceIdTimeToLive is { } ttl)
        {
            uri.AppendQuery("faceIdTimeToLive", ttl.ToString(System.Globalization.CultureInfo.InvariantCulture), true);
        }

        message.Request.Headers.SetValue(HttpHeader.Names.ContentType, "application/octet-stream");
        message.Request.Content = RequestContent.Create(imageContent);
        return await Rest.SendAsync<IReadOnlyList<FaceDetectionResult>>(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>POST /verify: does the face (a faceId from detect) belong to the person of the large person group?</summary>
    public virtual async Task<Response<FaceVerificationResult>> VerifyFromLargePersonGroupAsync(
        Guid faceId, string largePersonGroupId, Guid personId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(largePersonGroupId);
        using var message = Rest.CreateMessage(RequestMethod.Post, "/verify");
        FaceRest.SetJson(message, new { faceId, personId, largePersonGroupId });
        return await Rest.SendAsync<FaceVerificationResult>(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>POST /identify: the candidate persons of each face (1 to 10 faceIds) in a trained large person group.</summary>
    public virtual async Task<Response<IReadOnlyList<FaceIdentificationResult>>> IdentifyFromLargePersonGroupAsync(
        IEnumerable<Guid> faceIds,
        string largePersonGroupId,
        int? maxNumOfCandidatesReturned = null,
        float? confidenceThreshold = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(faceIds);
        ArgumentException.ThrowIfNullOrEmpty(largePersonGroupId);
        using var message = Rest.CreateMessage(RequestMethod.Post, "/identify");
        var body = new Dictionary<string, object>
        {
            ["faceIds"] = faceIds.ToArray(),
            ["largePersonGroupId"] = largePersonGroupId,
        };
        if (maxNumOfCandidatesReturned is { } max)
        {
            body["maxNumOfCandidatesReturned"] = max;
        }

        if (confidenceThreshold is { } threshold)
        {
            body["confidenceThreshold"] = threshold;
        }

        FaceRest.SetJson(message, body);
        return await Rest.SendAsync<IReadOnlyList<FaceIdentificationResult>>(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// POST /findsimilars: the faces among <paramref name="faceIds"/> (1 to 1000 faceIds from detect, made with the same
    /// recognition model as <paramref name="faceId"/>) most similar to the query face, most similar first. In
    /// <see cref="FindSimilarMatchMode.MatchFace"/> mode every candidate comes back with its confidence, even a low one, so
    /// the caller applies its own threshold; <see cref="FindSimilarMatchMode.MatchPerson"/> (the service's default) applies
    /// the service's same-person threshold.
    /// </summary>
    public virtual async Task<Response<IReadOnlyList<FaceFindSimilarResult>>> FindSimilarAsync(
        Guid faceId,
        IEnumerable<Guid> faceIds,
        int? maxNumOfCandidatesReturned = null,
        FindSimilarMatchMode? mode = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(faceIds);
        using var message = Rest.CreateMessage(RequestMethod.Post, "/findsimilars");
        var body = new Dictionary<string, object>
        {
            ["faceId"] = faceId,
        };
        if (maxNumOfCandidatesReturned is { } max)
        {
            body["maxNumOfCandidatesReturned"] = max;
        }

        if (mode is { } matchMode)
        {
            body["mode"] = matchMode.Value;
        }

        body["faceIds"] = faceIds.ToArray();
        FaceRest.SetJson(message, body);
        return await Rest.SendAsync<IReadOnlyList<FaceFindSimilarResult>>(message, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Administration of the Face API's person containers (as the SDK's <c>FaceAdministrationClient</c>).</summary>
public class FaceAdministrationClient
{
    private readonly FaceRest? _rest;

    public FaceAdministrationClient(Uri endpoint, TokenCredential credential, FaceClientOptions? options = null)
    {
        _rest = new FaceRest(endpoint, credential, options ?? new FaceClientOptions());
    }

    /// <summary>For mocking.</summary>
    protected FaceAdministrationClient()
    {
    }

    public virtual LargePersonGroupClient GetLargePersonGroupClient(string largePersonGroupId)
    {
        ArgumentException.ThrowIfNullOrEmpty(largePersonGroupId);
        return new LargePersonGroupClient(_rest ?? throw new InvalidOperationException("Made for mocking."), largePersonGroupId);
    }
}

/// <summary>The persons and faces of one large person group (the enrolled residents' reference data, O5).</summary>
public class LargePersonGroupClient
{
    private readonly FaceRest? _rest;
    private readonly string _groupId = "";

    internal LargePersonGroupClient(FaceRest rest, string largePersonGroupId)
    {
        _rest = rest;
        _groupId = largePersonGroupId;
    }

    /// <summary>For mocking.</summary>
    protected LargePersonGroupClient()
    {
    }

    private FaceRest Rest => _rest ?? throw new InvalidOperationException("Made for mocking.");

    /// <summary>PUT /largepersongroups/{id}: creates the group (its recognition model is fixed from then on).</summary>
    public virtual async Task<Response> CreateAsync(string name, FaceRecognitionModel? recognitionModel = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var message = Rest.CreateMessage(RequestMethod.Put, "/largepersongroups/", _groupId);
        var body = new Dictionary<string, string> { ["name"] = name };
        if (recognitionModel is { } model)
        {
            body["recognitionModel"] = model.Value;
        }

        FaceRest.SetJson(message, body);
        return await Rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// POST /largepersongroups/{id}/train (202 Accepted): starts training, which identification needs after persons or faces
    /// were added or removed. Training runs in the service; identification uses the last completed training meanwhile.
    /// </summary>
    public virtual async Task<Response> TrainAsync(CancellationToken cancellationToken = default)
    {
        using var message = Rest.CreateMessage(RequestMethod.Post, "/largepersongroups/", _groupId, "/train");
        return await Rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>POST /largepersongroups/{id}/persons. Pass a pseudonymous name (the resident id), never a real name.</summary>
    public virtual async Task<Response<CreatePersonResult>> CreatePersonAsync(string name, string? userData = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var message = Rest.CreateMessage(RequestMethod.Post, "/largepersongroups/", _groupId, "/persons");
        FaceRest.SetJson(message, userData is null ? new Dictionary<string, string> { ["name"] = name } : new Dictionary<string, string> { ["name"] = name, ["userData"] = userData });
        return await Rest.SendAsync<CreatePersonResult>(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>DELETE /largepersongroups/{id}/persons/{personId}: the person and all its faces.</summary>
    public virtual async Task<Response> DeletePersonAsync(Guid personId, CancellationToken cancellationToken = default)
    {
        using var message = Rest.CreateMessage(RequestMethod.Delete, "/largepersongroups/", _groupId, "/persons/", personId.ToString());
        return await Rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>POST /largepersongroups/{id}/persons/{personId}/persistedfaces with the image bytes.</summary>
    public virtual async Task<Response<AddFaceResult>> AddFaceAsync(
        Guid personId,
        BinaryData imageContent,
        FaceRectangle? targetFace = null,
        FaceDetectionModel? detectionModel = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imageContent);
        using var message = Rest.CreateMessage(RequestMethod.Post, "/largepersongroups/", _groupId, "/persons/", personId.ToString(), "/persistedfaces");
        if (targetFace is { } face)
        {
            message.Request.Uri.AppendQuery("targetFace", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{face.Left},{face.Top},{face.Width},{face.Height}"), true);
        }

        if (detectionModel is { } model)
        {
            message.Request.Uri.AppendQuery("detectionModel", model.Value, true);
        }

        message.Request.Headers.SetValue(HttpHeader.Names.ContentType, "application/octet-stream");
        message.Request.Content = RequestContent.Create(imageContent);
        return await Rest.SendAsync<AddFaceResult>(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>DELETE /largepersongroups/{id}/persons/{personId}/persistedfaces/{persistedFaceId}.</summary>
    public virtual async Task<Response> DeleteFaceAsync(Guid personId, Guid persistedFaceId, CancellationToken cancellationToken = default)
    {
        using var message = Rest.CreateMessage(
            RequestMethod.Delete, "/largepersongroups/", _groupId, "/persons/", personId.ToString(), "/persistedfaces/", persistedFaceId.ToString());
        return await Rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The shared request plumbing: {endpoint}/face/{version}/..., bearer token, JSON in and out, errors as <see cref="RequestFailedException"/>.</summary>
internal sealed class FaceRest
{
    public const string Scope = "https://cognitiveservices.azure.com/.default";

    private readonly Uri _endpoint;
    private readonly string _version;
    private readonly HttpPipeline _pipeline;

    public FaceRest(Uri endpoint, TokenCredential credential, FaceClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(credential);
        _endpoint = endpoint;
        _version = options.Version;
        _pipeline = HttpPipelineBuilder.Build(options, new BearerTokenAuthenticationPolicy(credential, Scope));
    }

    /// <summary>Path parts alternate between literals (even positions) and values to escape (odd positions).</summary>
    public HttpMessage CreateMessage(RequestMethod method, params string[] pathParts)
    {
        var message = _pipeline.CreateMessage();
        var request = message.Request;
        request.Method = method;
        var uri = new RequestUriBuilder();
        uri.Reset(_endpoint);
        uri.AppendPath("/face/", false);
        uri.AppendPath(_version, true);
        for (var i = 0; i < pathParts.Length; i++)
        {
            uri.AppendPath(pathParts[i], escape: i % 2 == 1);
        }

        request.Uri = uri;
        request.Headers.Add(HttpHeader.Names.Accept, "application/json");
        return message;
    }

    public static void SetJson(HttpMessage message, object body)
    {
        message.Request.Headers.SetValue(HttpHeader.Names.ContentType, "application/json");
        message.Request.Content = RequestContent.Create(BinaryData.FromObjectAsJson(body));
    }

    public async Task<Response> SendAsync(HttpMessage message, CancellationToken cancellationToken)
    {
        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (message.Response.IsError)
        {
            // The Face API's errors are {"error": {"code", "message"}}: Azure.Core reads the code from them.
            throw new RequestFailedException(message.Response);
        }

        return message.Response;
    }

    public async Task<Response<T>> SendAsync<T>(HttpMessage message, CancellationToken cancellationToken)
    {
        var response = await SendAsync(message, cancellationToken).ConfigureAwait(false);
        var value = response.Content.ToObjectFromJson<T>() ?? throw new RequestFailedException(response.Status, "The Face API answered with an empty body.");
        return Response.FromValue(value, response);
    }
}
