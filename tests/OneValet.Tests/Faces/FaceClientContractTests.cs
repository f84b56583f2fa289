using System.Net;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using OneValet.Pipeline.Faces;
using Xunit;

namespace OneValet.Tests.Faces;

/// <summary>
/// Contract tests of the Face API client against the documented v1.2 REST API (azure-rest-api-specs,
/// specification/ai/Face: the examples Detect, FaceRecognitionOperations_VerifyFromLargePersonGroup,
/// _IdentifyFromLargePersonGroup, _FindSimilar, PersonGroupOperations_CreateLargePersonGroupPerson, _DeleteLargePersonGroupPerson,
/// _AddLargePersonGroupPersonFaceFromUrl (its stream twin), _DeleteLargePersonGroupPersonFace, _CreateLargePersonGroup,
/// _TrainLargePersonGroup). The Face API is a cloud
/// service that cannot run here, so the transport below is a test double: it asserts each exact request (method, path,
/// query, headers, JSON body) and answers with the documented response body. Everything else (the Azure.Core pipeline
/// with its bearer-token, retry and logging policies, serialization) is the real code.
/// </summary>
public sealed class FaceClientContractTests
{
    private const string Endpoint = "https://contoso.cognitiveservices.azure.com/";
    private const string Base = "https://contoso.cognitiveservices.azure.com/face/v1.2";
    private const string Group = "your_large_person_group_id";
    private static readonly Guid FaceId = Guid.Parse("c5c24a82-6845-4031-9d5d-978df9175426");
    private static readonly Guid PersonId = Guid.Parse("25985303-c537-4467-b41d-bdb45cd95ca1");
    private static readonly Guid PersistedFaceId = Guid.Parse("43897a75-8d6f-42cf-885e-74832febb055");

    [Fact]
    public async Task Detect_posts_the_image_bytes_with_the_models_and_reads_the_faces()
    {
        var image = new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3 };
        var api = new FakeFaceApi(request =>
        {
            Assert.Equal(HttpMethod.Post, request.Method);
            Assert.Equal(
                $"{Base}/detect?detectionModel=detection_03&recognitionModel=recognition_04&returnFaceId=true&faceIdTimeToLive=60",
                request.RequestUri!.AbsoluteUri);
            Assert.Equal("application/octet-stream", request.Content!.Headers.ContentType!.MediaType);
            Assert.Equal(image, request.Content.ReadAsByteArrayAsync().Result);
            return Json("""
                [{"faceId": "c5c24a82-6845-4031-9d5d-978df9175426", "recognitionModel": "recognition_03",
                  "faceRectangle": {"width": 78, "height": 78, "left": 394, "top": 54},
                  "faceAttributes": {"glasses": "sunglasses", "headPose": {"roll": 2.1, "yaw": 3, "pitch": 1.6}}}]
                """);
        });

        var response = await api.FaceClient().DetectAsync(
            BinaryData.FromBytes(image), FaceDetectionModel.Detection03, FaceRecognitionModel.Recognition04, returnFaceId: true, faceIdTimeToLive: 60);

        var face = Assert.Single(response.Value);
        Assert.Equal(FaceId, face.FaceId);
        Assert.Equal(new FaceRectangle(394, 54, 78, 78), face.FaceRectangle);
        Assert.Equal(200, response.GetRawResponse().Status);
    }

    [Fact]
    public async Task Verify_sends_face_person_and_group_and_reads_the_verdict()
    {
        var api = new FakeFaceApi(request =>
        {
            Assert.Equal(HttpMethod.Post, request.Method);
            Assert.Equal($"{Base}/verify", request.RequestUri!.AbsoluteUri);
            AssertJson(
                """{"faceId": "c5c24a82-6845-4031-9d5d-978df9175426", "personId": "815df99c-598f-4926-930a-a734b3fd651c", "largePersonGroupId": "your_large_person_group"}""",
                request);
            return Json("""{"isIdentical": true, "confidence": 0.8}""");
        });

        var result = (await api.FaceClient().VerifyFromLargePersonGroupAsync(FaceId, "your_large_person_group", Guid.Parse("815df99c-598f-4926-930a-a734b3fd651c"))).Value;

        Assert.True(result.IsIdentical);
        Assert.Equal(0.8, result.Confidence, 3);
    }

    [Fact]
    public async Task Identify_sends_the_face_ids_and_reads_the_candidates()
    {
        var api = new FakeFaceApi(request =>
        {
            Assert.Equal($"{Base}/identify", request.RequestUri!.AbsoluteUri);
            AssertJson(
                """{"faceIds": ["c5c24a82-6845-4031-9d5d-978df9175426"], "largePersonGroupId": "your_large_person_group_id", "maxNumOfCandidatesReturned": 9, "confidenceThreshold": 0.7}""",
                request);
            return Json("""[{"faceId": "c5c24a82-6845-4031-9d5d-978df9175426", "candidates": [{"personId": "85c0c630-c9c9-40f8-8a4e-f9ae4f926ea5", "confidence": 0.8}]}]""");
        });

        var results = (await api.FaceClient().IdentifyFromLargePersonGroupAsync([FaceId], Group, 9, 0.7f)).Value;

        var candidate = Assert.Single(Assert.Single(results).Candidates);
        Assert.Equal(Guid.Parse("85c0c630-c9c9-40f8-8a4e-f9ae4f926ea5"), candidate.PersonId);
    }

    /// <summary>
    /// The example FaceRecognitionOperations_FindSimilar (specification/ai/Face/examples/v1.2): the query faceId, the
    /// candidate faceIds, the mode and the count in the body; the answer a list of candidates with their confidence. The
    /// example's answer names the candidate as <c>persistedFaceId</c> although it was found among faceIds; the reference
    /// (FindSimilarResult) says <c>faceId</c> for those: both are read, and the visitor's match (Requests/VisitorPhotos)
    /// accepts either.
    /// </summary>
    [Fact]
    public async Task Find_similar_sends_the_query_face_and_the_candidates_and_reads_the_confidences()
    {
        var api = new FakeFaceApi(request =>
        {
            Assert.Equal(HttpMethod.Post, request.Method);
            Assert.Equal($"{Base}/findsimilars", request.RequestUri!.AbsoluteUri);
            AssertJson(
                """{"faceId": "c5c24a82-6845-4031-9d5d-978df9175426", "maxNumOfCandidatesReturned": 3, "mode": "matchFace", "faceIds": ["015839fb-fbd9-4f79-ace9-7675fc2f1dd9", "be386ab3-af91-4104-9e6d-4dae4c9fddb7"]}""",
                request);
            return Json("""[{"confidence": 0.9, "persistedFaceId": "015839fb-fbd9-4f79-ace9-7675fc2f1dd9"}, {"confidence": 0.2, "faceId": "be386ab3-af91-4104-9e6d-4dae4c9fddb7"}]""");
        });

        var results = (await api.FaceClient().FindSimilarAsync(
            FaceId, [Guid.Parse("015839fb-fbd9-4f79-ace9-7675fc2f1dd9"), Guid.Parse("be386ab3-af91-4104-9e6d-4dae4c9fddb7")], 3, FindSimilarMatchMode.MatchFace)).Value;

        Assert.Equal(2, results.Count);
        Assert.Equal((0.9, null, Guid.Parse("015839fb-fbd9-4f79-ace9-7675fc2f1dd9")), (results[0].Confidence, results[0].FaceId, results[0].PersistedFaceId));
        Assert.Equal((0.2, Guid.Parse("be386ab3-af91-4104-9e6d-4dae4c9fddb7")), (results[1].Confidence, results[1].FaceId));
    }

    [Fact]
    public async Task Find_similar_without_options_sends_only_the_faces_and_an_expired_face_id_is_a_request_failure()
    {
        var api = new FakeFaceApi(request =>
        {
            AssertJson("""{"faceId": "c5c24a82-6845-4031-9d5d-978df9175426", "faceIds": ["be386ab3-af91-4104-9e6d-4dae4c9fddb7"]}""", request);
            return Error(HttpStatusCode.BadRequest, "FaceNotFound", "Face is not found.");
        });

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => api.FaceClient().FindSimilarAsync(FaceId, [Guid.Parse("be386ab3-af91-4104-9e6d-4dae4c9fddb7")]));

        Assert.Equal((400, "FaceNotFound"), (failure.Status, failure.ErrorCode));
    }

    [Fact]
    public async Task Persons_and_faces_of_a_large_person_group_are_created_and_deleted()
    {
        var api = new FakeFaceApi(request => (request.Method.Method, request.RequestUri!.AbsoluteUri) switch
        {
            ("POST", $"{Base}/largepersongroups/{Group}/persons") =>
                JsonAfter(request, """{"name": "resident-7f3a"}""", """{"personId": "25985303-c537-4467-b41d-bdb45cd95ca1"}"""),
            ("POST", $"{Base}/largepersongroups/{Group}/persons/25985303-c537-4467-b41d-bdb45cd95ca1/persistedfaces?targetFace=10%2C10%2C100%2C100&detectionModel=detection_03") =>
                Json("""{"persistedFaceId": "43897a75-8d6f-42cf-885e-74832febb055"}"""),
            ("DELETE", $"{Base}/largepersongroups/{Group}/persons/25985303-c537-4467-b41d-bdb45cd95ca1/persistedfaces/43897a75-8d6f-42cf-885e-74832febb055") =>
                new HttpResponseMessage(HttpStatusCode.OK),
            ("DELETE", $"{Base}/largepersongroups/{Group}/persons/25985303-c537-4467-b41d-bdb45cd95ca1") =>
                new HttpResponseMessage(HttpStatusCode.OK),
            var other => throw new Xunit.Sdk.XunitException($"unexpected request {other}"),
        });
        var group = api.AdministrationClient().GetLargePersonGroupClient(Group);

        var person = (await group.CreatePersonAsync("resident-7f3a")).Value;
        var face = (await group.AddFaceAsync(person.PersonId, BinaryData.FromBytes([0xFF, 0xD8, 0xFF]), new FaceRectangle(10, 10, 100, 100), FaceDetectionModel.Detection03)).Value;
        var deleteFace = await group.DeleteFaceAsync(person.PersonId, face.PersistedFaceId);
        var deletePerson = await group.DeletePersonAsync(person.PersonId);

        Assert.Equal(PersonId, person.PersonId);
        Assert.Equal(PersistedFaceId, face.PersistedFaceId);
        Assert.Equal(200, deleteFace.Status);
        Assert.Equal(200, deletePerson.Status);
        Assert.Equal(4, api.Requests.Count);
        Assert.Equal("application/octet-stream", api.Requests[1].ContentType);
    }

    [Fact]
    public async Task A_large_person_group_is_created_with_its_recognition_model_and_trained_asynchronously()
    {
        var api = new FakeFaceApi(request => (request.Method.Method, request.RequestUri!.AbsoluteUri) switch
        {
            ("PUT", $"{Base}/largepersongroups/{Group}") =>
                JsonAfter(request, """{"name": "your_large_person_group_name", "recognitionModel": "recognition_04"}""", "{}"),
            ("POST", $"{Base}/largepersongroups/{Group}/train") => Accepted(),
            var other => throw new Xunit.Sdk.XunitException($"unexpected request {other}"),
        });
        var group = api.AdministrationClient().GetLargePersonGroupClient(Group);

        var created = await group.CreateAsync("your_large_person_group_name", FaceRecognitionModel.Recognition04);
        var training = await group.TrainAsync();

        Assert.Equal(200, created.Status);
        Assert.Equal(202, training.Status);
        Assert.Equal("https://contoso.com/operationstatus", training.Headers.TryGetValue("operation-Location", out var location) ? location : null);
        Assert.Null(api.Requests[1].ContentType); // train has no body
    }

    [Fact]
    public async Task Every_request_carries_an_entra_token_for_cognitive_services()
    {
        var api = new FakeFaceApi(_ => Json("""{"isIdentical": false, "confidence": 0.1}"""));

        await api.FaceClient().VerifyFromLargePersonGroupAsync(FaceId, Group, PersonId);

        var request = Assert.Single(api.Requests);
        Assert.Equal("Bearer token-for-https://cognitiveservices.azure.com/.default", request.Authorization);
        Assert.Equal("application/json", request.Accept);
        Assert.NotNull(request.ClientRequestId);
    }

    [Fact]
    public async Task A_throttled_call_is_retried_and_an_error_becomes_a_request_failed_exception_with_the_face_error_code()
    {
        var calls = 0;
        var api = new FakeFaceApi(_ => ++calls switch
        {
            1 => Error(HttpStatusCode.TooManyRequests, "429", "Rate limit is exceeded.", retryAfter: true),
            _ => Error(HttpStatusCode.NotFound, "PersonNotFound", "Person is not found."),
        });

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => api.FaceClient().VerifyFromLargePersonGroupAsync(FaceId, Group, PersonId));

        Assert.Equal(2, calls);
        Assert.Equal(404, error.Status);
        Assert.Equal("PersonNotFound", error.ErrorCode);
    }

    [Fact]
    public async Task Cancellation_reaches_the_transport()
    {
        var api = new FakeFaceApi(_ => Json("[]"));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            api.FaceClient().DetectAsync(BinaryData.FromBytes([1]), FaceDetectionModel.Detection03, FaceRecognitionModel.Recognition04, true, cancellationToken: cancelled.Token));
    }

    private static void AssertJson(string expected, HttpRequestMessage request)
    {
        Assert.Equal("application/json", request.Content!.Headers.ContentType!.MediaType);
        var actual = request.Content.ReadAsStringAsync().Result;
        Assert.True(
            JsonElement.DeepEquals(JsonDocument.Parse(expected).RootElement, JsonDocument.Parse(actual).RootElement),
            $"expected {expected}, sent {actual}");
    }

    private static HttpResponseMessage JsonAfter(HttpRequestMessage request, string expectedBody, string body)
    {
        AssertJson(expectedBody, request);
        return Json(body);
    }

    private static HttpResponseMessage Accepted()
    {
        var response = new HttpResponseMessage(HttpStatusCode.Accepted);
        response.Headers.Add("operation-Location", "https://contoso.com/operationstatus");
        return response;
    }

    private static HttpResponseMessage Json(string body) =>
        new(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    private static HttpResponseMessage Error(HttpStatusCode status, string code, string message, bool retryAfter = false)
    {
        var response = new HttpResponseMessage(status)
        {
            Content = new StringContent(JsonSerializer.Serialize(new { error = new { code, message } }), Encoding.UTF8, "application/json"),
        };
        response.Headers.Add("x-ms-error-code", code);
        if (retryAfter)
        {
            response.Headers.Add("Retry-After", "0");
        }

        return response;
    }

    /// <summary>The test double of the remote Face API: an HTTP handler under Azure.Core's real HttpClientTransport.</summary>
    private sealed class FakeFaceApi(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        public List<(string? Authorization, string? Accept, string? ClientRequestId, string? ContentType)> Requests { get; } = [];

        public FaceClient FaceClient() => new(new Uri(Endpoint), new FakeCredential(), Options());

        public FaceAdministrationClient AdministrationClient() => new(new Uri(Endpoint), new FakeCredential(), Options());

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Requests.Add((
                request.Headers.Authorization?.ToString(),
                request.Headers.Accept.ToString(),
                request.Headers.TryGetValues("x-ms-client-request-id", out var ids) ? ids.Single() : null,
                request.Content?.Headers.ContentType?.MediaType));
            return Task.FromResult(answer(request));
        }

        private FaceClientOptions Options()
        {
            var options = new FaceClientOptions { Transport = new HttpClientTransport(new HttpClient(this, disposeHandler: false)) };
            options.Retry.Delay = TimeSpan.FromMilliseconds(1);
            return options;
        }
    }

    private sealed class FakeCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new("token-for-" + string.Join(" ", requestContext.Scopes), DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
