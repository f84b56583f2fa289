using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Storage.Queues;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;
using Models = OneValet.Client.Models;

namespace OneValet.Tests.EndToEnd;

/// <summary>
/// Issue 13, items 4 and 6, on the real local host with its own SMTP catcher: intake does not tell a prober whether an email
/// and a building match someone on file (the same answer, the same mails to the agent and to the address given, the same
/// course until the request closes); caps per person and per address answer 429 with Retry-After, matched or not; and a
/// one-time code is never in the store, a queue message or a dead letter — it exists in the mail only. The probe compares
/// whole HTTP answers (status, headers, bytes), so it calls raw; the rest goes through the client generated from the
/// OpenAPI document (issue 20.2), and every answer, raw or typed, is checked against the document.
/// </summary>
public sealed partial class PrivacyRequestsEndToEndTests
{
    [Fact]
    public async Task Whether_an_email_and_building_match_someone_on_file_is_not_observable_by_the_requester()
    {
        await using var mail = await MailDevProcess.StartAsync();
        await using var host = await StartAsync("intake-probe", mail, new() { ["OneValet:Requests:VerificationWindow"] = "00:00:08" });
        await ResidentAsync(host, "mia", "b-m", "mia@intake.test", "other");

        // The prober: an authorized agent acting for nobody, the one role that may name anyone by email.
        var prober = await host.ClientAsync(new { role = "authorized-agent", subjectId = "agent-9" });
        var (matched, matchedAnswer) = await ProbeAsync(prober, "mia@intake.test", "agent-a@intake.test");
        var (unmatched, unmatchedAnswer) = await ProbeAsync(prober, "nobody@intake.test", "agent-b@intake.test");

        // 1. The same HTTP answer: status, headers (all but the date), body shape and length.
        Assert.Equal(matchedAnswer.Replace(matched, "REQ", StringComparison.Ordinal), unmatchedAnswer.Replace(unmatched, "REQ", StringComparison.Ordinal));
        Assert.Contains("HTTP 202", matchedAnswer, StringComparison.Ordinal);

        // 2. Looking further answers alike, for an agent acting for nobody (403: not verified) and for a resident (404: not
        // their request): the status and the code routes are refused the same way for both requests.
        var resident = await host.ResidentAsync("r-snoop", "b-m", "u-2");
        foreach (var (caller, refusal) in new[] { (prober, "HTTP 403"), (resident, "HTTP 404") })
        {
            foreach (var (method, path, body) in new (HttpMethod, string, object?)[] { (HttpMethod.Get, "privacy-requests/{0}", null), (HttpMethod.Post, "privacy-requests/{0}/verification", new { code = "000000" }) })
            {
                var answers = new List<string>();
                foreach (var id in new[] { matched, unmatched })
                {
                    using var message = new HttpRequestMessage(method, string.Format(CultureInfo.InvariantCulture, path, id)) { Content = body is null ? null : JsonContent.Create(body, options: ApiJson.Options) };
                    using var response = await caller.SendAsync(message);
                    answers.Add(await DescribeAsync(response, id));
                }

                Assert.Equal(answers[0], answers[1]);
                Assert.Contains(refusal, answers[0], StringComparison.Ordinal);
            }
        }

        // 3. The same mails to the agent and to the address given: one acknowledgement each, word for word.
        var agentA = Assert.Single(await mail.Api.WaitForAsync("agent-a@intake.test", 1, Wait));
        var agentB = Assert.Single(await mail.Api.WaitForAsync("agent-b@intake.test", 1, Wait));
        Assert.Equal(Text(agentA, matched), Text(agentB, unmatched));
        var givenMatched = await mail.Api.WaitForAsync("mia@intake.test", 2, Wait);
        var givenUnmatched = Assert.Single(await mail.Api.WaitForAsync("nobody@intake.test", 1, Wait));
        var ackMatched = Assert.Single(givenMatched, e => e.Subject!.StartsWith("We received", StringComparison.Ordinal));
        Assert.Equal(Text(ackMatched, matched), Text(givenUnmatched, unmatched));

        // The only difference is the code, and it goes only to the mailbox on file: whoever reads that mailbox is the person.
        Assert.Single(givenMatched, e => e.Subject == "Your verification code");

        // 4. The same course: both wait out the code's window and close unverified, and the agent hears the same.
        var closedMatched = await FinalAsync(host, matched);
        var closedUnmatched = await FinalAsync(host, unmatched);
        Assert.Equal(Models.PrivacyRequestStatus_request_status.Unverified, closedMatched.Request!.Status);
        Assert.Equal(Models.PrivacyRequestStatus_request_status.Unverified, closedUnmatched.Request!.Status);
        var closingA = (await mail.Api.WaitForAsync("agent-a@intake.test", 2, Wait)).Single(e => e.Id != agentA.Id);
        var closingB = (await mail.Api.WaitForAsync("agent-b@intake.test", 2, Wait)).Single(e => e.Id != agentB.Id);
        Assert.Equal(Text(closingA, matched), Text(closingB, unmatched));
        Assert.True(closedUnmatched.Request.ClosedAt - closedUnmatched.Request.ReceivedAt >= TimeSpan.FromSeconds(8), "an unmatched request closed before the code's window ended");

        // Only the privacy office's record says why (O18).
        Assert.Equal("not-verified", closedMatched.Request.DenialReason);
        Assert.Equal("no-matching-person-on-file", closedUnmatched.Request.DenialReason);
        Assert.Equal(2, (await mail.Api.ListAsync("mia@intake.test")).Count);
        Assert.Single(await mail.Api.ListAsync("nobody@intake.test"));
    }

    [Fact]
    public async Task Intake_caps_per_person_and_per_address_answer_429_with_Retry_After_whether_or_not_anyone_matches()
    {
        await using var mail = await MailDevProcess.StartAsync();
        await using var host = await StartAsync("intake-caps", mail, new()
        {
            ["OneValet:Requests:RequestsPerSubject"] = "2",
            ["OneValet:Requests:RequestsPerAddress"] = "3",
            ["OneValet:Requests:IntakeCapWindow"] = "01:00:00",
        });
        await ResidentAsync(host, "noa", "b-k", "noa@intake.test", "other");
        var agent = await host.ApiAsync(new { role = "authorized-agent", subjectId = "agent-7" });
        Task<Models.PrivacyRequestAccepted> AcceptedAsync(Models.PrivacyRequestInput request) =>
            ApiAssert.AnswersAsync(HttpStatusCode.Accepted, s => agent.Api.PrivacyRequests.PostAsync(request, c => c.Options.Add(s)));
        Task<string> CappedAsync(Models.PrivacyRequestInput request) => AssertCappedAsync(() => agent.Api.PrivacyRequests.PostAsync(request));

        // Per person: the third request about the same person is refused, on file or not, with the same answer.
        var refusals = new List<string>();
        foreach (var email in new[] { "noa@intake.test", "nobody@intake.test" })
        {
            for (var i = 0; i < 2; i++)
            {
                await AcceptedAsync(Typed(i == 0 ? Models.PrivacyRequestInput_type.Access : Models.PrivacyRequestInput_type.Deletion, email, "b-k", null));
            }

            refusals.Add(await CappedAsync(Typed(Models.PrivacyRequestInput_type.CategoriesShared, email, "b-k", null)));
        }

        Assert.Equal(refusals[0], refusals[1]);

        // Per address: one agent address may be mailed three times a window, however it is spelled, whoever the person is.
        for (var i = 0; i < 3; i++)
        {
            await AcceptedAsync(Typed(Models.PrivacyRequestInput_type.Access, $"p{i}@intake.test", "b-k", "flood@intake.test"));
        }

        await CappedAsync(Typed(Models.PrivacyRequestInput_type.Access, "p9@intake.test", "b-k", "FLOOD@Intake.TEST"));

        // A refused request leaves nothing behind: no request, no mail to the person or the agent.
        Assert.Empty(await mail.Api.ListAsync("p9@intake.test"));

        // Another building is another person, but the address given is still capped (it would be mailed again).
        await AcceptedAsync(Typed(Models.PrivacyRequestInput_type.Access, "noa@intake.test", "b-other", null));
        await CappedAsync(Typed(Models.PrivacyRequestInput_type.Access, "Noa@Intake.test", "b-third", null));

        // The counters are keyed hashes: no address in the store's intake-caps partition.
        var counters = await host.OpenStore().QueryAsync<JsonElement>(Containers.Requests, IntakeCaps.Partition, RecordQuery.All, 100, null);
        Assert.NotEmpty(counters.Items);
        Assert.All(counters.Items, c => Assert.Matches("^[0-9a-f]{64}$", c.Id));
        Assert.DoesNotContain("@", JsonSerializer.Serialize(counters.Items), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_verification_code_is_in_no_queue_message_no_dead_letter_and_not_in_the_store_only_in_the_mail()
    {
        await using var mail = await MailDevProcess.StartAsync();

        // First run: the queues are not consumed, so the code's notification stays in the queue to be read.
        // (Disposed last: disposing a host deletes its data folder, which the second run reuses.)
        await using var first = await StartAsync("code-at-rest", mail, new() { ["Local:ProcessQueues"] = "false" });
        await ResidentAsync(first, "oli", "b-o", "oli@intake.test", "other");
        var id = await SubmitAsync(first, Request(Models.PrivacyRequestInput_type.Access, "other", "app", "oli"));
        var queued = string.Empty;
        await first.WaitUntilAsync(async () => (queued = await Privacy.NoPersonalDataTests.QueueTextAsync(first.QueuePrefix)).Contains(PrivacyRequestService.VerificationCodeTemplate, StringComparison.Ordinal), Wait);
        await first.StopAsync();

        Assert.Contains(id, queued, StringComparison.Ordinal);
        var message = queued.Split('\n').Single(m => m.Contains(PrivacyRequestService.VerificationCodeTemplate, StringComparison.Ordinal));
        var queuedNotification = JsonDocument.Parse(message).RootElement.GetProperty("body");
        var values = queuedNotification.GetProperty("values");
        Assert.Equal(["expiresAt", "issue", "requestId"], values.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));

        // Second run on the same data: the dispatcher renders the code at send time; the person gets it and it works.
        var second = new LocalHostProcess(first.Name, new Dictionary<string, string>(first.Settings) { ["Local:ProcessQueues"] = "true" });
        await using (second)
        {
            // (first is stopped; second takes its data, containers, queues and task hub)
            LocalHostProcess.Reuse(second, first);
            await second.StartAsync();
            var code = await CodeAsync(mail, "oli@intake.test", id, 1);
            Assert.DoesNotMatch(Standalone(code), queued);

            // The store, read raw (the SQLite files, not through the code): the code is not there in any spelling.
            var raw = RawFiles(first.DataDirectory, "records.db");
            Assert.DoesNotMatch(Standalone(code), raw);
            var verification = await first.OpenStore().ReadAsync<VerificationRecord>(Containers.Requests, id, VerificationCodes.DocumentId);
            Assert.NotNull(verification);
            Assert.DoesNotContain(code, JsonSerializer.Serialize(verification.Document), StringComparison.Ordinal);

            // The key the code is made from is a separate owner-only file, never in the store.
            var keyFile = Path.Combine(first.DataDirectory, "request-secret-key");
            Assert.True(File.Exists(keyFile));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            }

            Assert.DoesNotContain(File.ReadAllText(keyFile).Trim(), raw, StringComparison.Ordinal);

            await VerifyAsync(second, id, code);
            Assert.Equal(Models.PrivacyRequestStatus_request_status.Completed, (await FinalAsync(second, id)).Request!.Status);

            // A replayed copy of the code's message (a dead letter put back, say) sends nothing once the code was used.
            var transport = new QueueServiceClient(AzuriteFixture.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 })
                .GetQueueClient(first.QueuePrefix + Queues.Notifications);
            var replayed = JsonSerializer.Deserialize<NotificationRequest>(queuedNotification.GetRawText(), ApiJson.Options)! with { NotificationId = "replayed-" + id };
            await transport.SendMessageAsync(StorageEnvelope.Wrap(replayed.NotificationId, BinaryData.FromObjectAsJson(replayed, ApiJson.Options)));
            await second.WaitUntilAsync(async () => (await first.OpenStore().ReadAsync<JsonElement>(Containers.Deliveries, replayed.Campaign, replayed.NotificationId)) is { } d
                && d.Document.GetProperty("status").GetString() == "skipped", Wait);
            Assert.Single(await mail.Api.ListAsync("oli@intake.test"), e => e.Subject == "Your verification code");
        }
    }

    /// <summary>A request about someone named by email and building, as the generated client sends it.</summary>
    private static Models.PrivacyRequestInput Typed(Models.PrivacyRequestInput_type type, string email, string building, string? agentEmail) =>
        Request(type, "other", "web", email: email, buildingId: building, agent: agentEmail is null ? null : new()
        {
            Name = "Agent", Email = agentEmail, PermissionReference = "signed", SignedPermission = true, PermissionDocument = SignedPermissionPdf,
        });

    /// <summary>The same request as raw JSON, for the probe that compares whole HTTP answers.</summary>
    private static object Body(string type, string email, string building, string? agentEmail) => agentEmail is null
        ? new { type, jurisdiction = "other", subject = new { email, buildingId = building }, channel = "web" }
        : new { type, jurisdiction = "other", subject = new { email, buildingId = building }, channel = "web", agent = new { name = "Agent", email = agentEmail, permissionReference = "signed", signedPermission = true, permissionDocument = "JVBERi0xLjQKJSBzaWduZWQgcGVybWlzc2lvbgo=" } };

    private static async Task<(string Id, string Answer)> ProbeAsync(HttpClient prober, string email, string agentEmail)
    {
        using var response = await prober.PostAsJsonAsync("privacy-requests", Body("access", email, "b-m", agentEmail), ApiJson.Options);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        var id = JsonDocument.Parse(text).RootElement.GetProperty("requestId").GetString()!;
        Assert.Matches("^req-[0-9a-f]{16}$", id);
        return (id, await DescribeAsync(response, id));
    }

    /// <summary>Status, every header but the date (names and values, sorted), and the body with the request id masked.</summary>
    private static async Task<string> DescribeAsync(HttpResponseMessage response, string requestId)
    {
        var headers = response.Headers.Concat(response.Content.Headers)
            .Where(h => !h.Key.Equals("Date", StringComparison.OrdinalIgnoreCase))
            .Select(h => h.Key + ": " + string.Join(",", h.Value))
            .Order(StringComparer.Ordinal);
        var body = (await response.Content.ReadAsStringAsync()).Replace(requestId, "REQ", StringComparison.Ordinal);
        body = TraceId().Replace(body, "\"traceId\":\"T\"");
        return $"HTTP {(int)response.StatusCode}\n{string.Join('\n', headers)}\n\n{body}";
    }

    private static string Text(CaughtEmail email, string requestId) =>
        $"{email.Subject}\n{email.Text}".Replace(requestId, "REQ", StringComparison.Ordinal);

    /// <summary>A 429 with Retry-After in seconds (50 minutes to an hour); returns the problem without its trace id.</summary>
    private static async Task<string> AssertCappedAsync(Func<Task> call)
    {
        var problem = await ApiAssert.RefusedAsync(HttpStatusCode.TooManyRequests, null, call);
        var retryAfter = problem.ResponseHeaders.FirstOrDefault(h => h.Key.Equals("Retry-After", StringComparison.OrdinalIgnoreCase)).Value?.SingleOrDefault()
            ?? throw new Xunit.Sdk.XunitException("no Retry-After");
        Assert.InRange(TimeSpan.FromSeconds(int.Parse(retryAfter, CultureInfo.InvariantCulture)), TimeSpan.FromMinutes(50), TimeSpan.FromHours(1));
        problem.TraceId = null;
        return await Microsoft.Kiota.Abstractions.Serialization.KiotaJsonSerializer.SerializeAsStringAsync(problem);
    }

    /// <summary>A SQLite database and its journal files, as bytes read as text (Latin-1 keeps every byte).</summary>
    private static string RawFiles(string folder, string name) =>
        string.Concat(new[] { name, name + "-wal", name + "-journal" }
            .Select(f => Path.Combine(folder, f))
            .Where(File.Exists)
            .Select(f =>
            {
                using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream, Encoding.Latin1);
                return reader.ReadToEnd();
            }));

    /// <summary>The code as a number of its own (not a piece of a longer run of digits, such as a timestamp).</summary>
    private static Regex Standalone(string code) => new($"(?<![0-9]){Regex.Escape(code)}(?![0-9])", RegexOptions.None, TimeSpan.FromSeconds(10));

    [GeneratedRegex("\"traceId\":\"[^\"]*\"")]
    private static partial Regex TraceId();
}
