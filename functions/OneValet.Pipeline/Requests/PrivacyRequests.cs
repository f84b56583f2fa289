using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Calendars;
using OneValet.Pipeline.Durable;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Requests;

/// <summary>Privacy request settings (section <c>OneValet:Requests</c>).</summary>
public sealed class RequestOptions
{
    public const string Section = "OneValet:Requests";

    /// <summary>How long a one-time code stays valid; a request never verified in that time closes as unverified.</summary>
    public TimeSpan VerificationWindow { get; set; } = TimeSpan.FromDays(3);

    /// <summary>Wrong codes allowed before the request is locked out (closes as unverified).</summary>
    public int CodeAttempts { get; set; } = 5;

    /// <summary>A second identical request within this window joins the first.</summary>
    public TimeSpan DedupeWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long the read link of an export works.</summary>
    public TimeSpan ExportLinkLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long an export exists before the retention engine deletes it.</summary>
    public TimeSpan ExportRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How soon after a request closes its identity data (the email given, the agent's details, the correction's
    /// values) is removed by the retention engine, with an audit entry; the final notices go out first.</summary>
    public TimeSpan MinimizeAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Open requests this close to their due date alert the privacy officer.</summary>
    public TimeSpan NearDueWarning { get; set; } = TimeSpan.FromDays(5);

    /// <summary>An access answer includes entry-camera footage captured this close (before or after) to each of the person's
    /// door events and verified Facial Entry captures, at the same door (O8).</summary>
    public TimeSpan FootageWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>At most this many recordings (the newest) are redacted into one access answer; the answer says when there
    /// were more. Each takes seconds to minutes of CPU.</summary>
    public int MaxFootageItems { get; set; } = 50;

    /// <summary>The longest the redaction of one recording may take; past it the recording is withheld (reason
    /// <c>timed-out</c>), so one activity stays well inside the Functions timeout.</summary>
    public TimeSpan FootageRedactionTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The secret of the intake's keyed hashes (the email index, the caps, the one-time codes; <see cref="RequestSecrets"/>):
    /// base64 of at least 32 random bytes, never in the record store. In Azure the app setting
    /// <c>OneValet__Requests__SecretKey</c> is a Key Vault reference to the secret <c>request-secret-key</c>; the local host
    /// creates <c>request-secret-key</c> in its data directory, readable by its owner only. Changing it makes every pending
    /// code invalid and every email index entry unfindable until residents are written again.
    /// </summary>
    public string? SecretKey { get; set; }

    /// <summary>The window of the intake caps (issue 13): fixed, starting at the first request a counter sees.</summary>
    public TimeSpan IntakeCapWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Requests per window about one person, as the request names them (a resident id, or an email and a
    /// building): past it, 429 with Retry-After. Each request sends the person an acknowledgement and a code.</summary>
    public int RequestsPerSubject { get; set; } = 5;

    /// <summary>Requests per window that mail one address (the email given for the person, the agent's email).</summary>
    public int RequestsPerAddress { get; set; } = 10;

    /// <summary>
    /// The recourse period of an answered (or refused) access request, per jurisdiction (PIPEDA s.8(8), O6): the person's
    /// data stays held this long after the answer, so they can exhaust their recourse. Canada: six months, the period in
    /// which a complaint about the answer is filed with the Privacy Commissioner (PIPEDA s.11(3)). A jurisdiction not listed
    /// gets none: the CCPA and the TDPA have no such rule, and their data goes by its own deadlines once the answer is out.
    /// The person's own later deletion request ends it (they decide; audited). At most a year.
    /// </summary>
    public Dictionary<string, TimeSpan> AccessRecourse { get; set; } = new(StringComparer.Ordinal) { ["canada"] = TimeSpan.FromDays(183) };

    /// <summary>O11: a correction property management has not answered this close to its due date is escalated to the
    /// privacy office (and property management reminded); at the due date it is answered as not made, with why.</summary>
    public TimeSpan CorrectionEscalation { get; set; } = TimeSpan.FromDays(5);

    /// <summary>How often a deletion request filed while the same person's access request is open looks again whether that
    /// request was answered: it waits, then runs (O6, O9).</summary>
    public TimeSpan DeletionWaitPoll { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The longest time window a request about a person not on file may name (O8): their presence is found by it, and
    /// every recording in it is redacted; a day covers a visit, and bounds what one request may take out of a building.</summary>
    public TimeSpan NotOnFileWindow { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// How long before a not-on-file request's due date the wait for the privacy office's check of the person ends (O10, D1):
    /// the written refusal ("not verified by the due date", PIPEDA s.8(5)) must be sent before the due date, not at it. On a
    /// real task hub the refusal follows the timer by the close activity (retried up to 10 times, at most about 6 minutes),
    /// the notice's queue and the mail server's own retries: an hour covers them with room, and costs the office one hour of
    /// a 30- or 45-day clock. (The start of the due day in the person's zone was the other choice: it takes up to a day from
    /// the office for no more safety, and adds a zone to a rule the law counts in days from receipt.) A check recorded in the
    /// margin is refused as after the due date.
    /// </summary>
    public TimeSpan NotOnFileVerificationMargin { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The recourse period after an access answer in <paramref name="jurisdiction"/>; zero when it has none.</summary>
    public TimeSpan RecourseIn(string jurisdiction) => AccessRecourse.TryGetValue(jurisdiction, out var period) ? period : TimeSpan.Zero;
}

/// <summary>Start-up checks of the access answer's footage settings.</summary>
internal sealed class RequestOptionsValidator : IValidateOptions<RequestOptions>
{
    public ValidateOptionsResult Validate(string? name, RequestOptions options)
    {
        var failures = new List<string>();
        if (options.FootageWindow < TimeSpan.Zero || options.FootageWindow > TimeSpan.FromHours(1))
        {
            failures.Add("OneValet:Requests:FootageWindow must be from 0 to 1 hour.");
        }

        if (options.MaxFootageItems is < 0 or > 500)
        {
            failures.Add("OneValet:Requests:MaxFootageItems must be from 0 to 500.");
        }

        if (options.FootageRedactionTimeout <= TimeSpan.Zero || options.FootageRedactionTimeout > TimeSpan.FromHours(1))
        {
            failures.Add("OneValet:Requests:FootageRedactionTimeout must be positive and at most 1 hour.");
        }

        if (RequestSecrets.DecodeKey(options.SecretKey) is null)
        {
            failures.Add("OneValet:Requests:SecretKey is required: base64 of at least 32 random bytes (in Azure a Key Vault reference).");
        }

        if (options.IntakeCapWindow <= TimeSpan.Zero || options.IntakeCapWindow > TimeSpan.FromDays(31))
        {
            failures.Add("OneValet:Requests:IntakeCapWindow must be positive and at most 31 days.");
        }

        if (options.RequestsPerSubject < 1 || options.RequestsPerAddress < 1)
        {
            failures.Add("OneValet:Requests:RequestsPerSubject and RequestsPerAddress must be at least 1.");
        }

        foreach (var (jurisdiction, period) in options.AccessRecourse)
        {
            if (period < TimeSpan.Zero || period > TimeSpan.FromDays(366))
            {
                failures.Add($"OneValet:Requests:AccessRecourse:{jurisdiction} must be from 0 to 366 days.");
            }
        }

        if (options.CorrectionEscalation < TimeSpan.Zero || options.CorrectionEscalation > TimeSpan.FromDays(90))
        {
            failures.Add("OneValet:Requests:CorrectionEscalation must be from 0 to 90 days (as long as the response period or longer: escalated at once).");
        }

        if (options.DeletionWaitPoll < TimeSpan.FromSeconds(1) || options.DeletionWaitPoll > TimeSpan.FromDays(1))
        {
            failures.Add("OneValet:Requests:DeletionWaitPoll must be from 1 second to 1 day.");
        }

        if (options.NotOnFileVerificationMargin < TimeSpan.Zero || options.NotOnFileVerificationMargin > TimeSpan.FromDays(1))
        {
            failures.Add("OneValet:Requests:NotOnFileVerificationMargin must be from 0 to 1 day.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Body of <c>POST .../verification</c>.</summary>
public sealed record VerificationInput(string Code);

/// <summary>Body of <c>POST .../extension</c>.</summary>
public sealed record ExtensionInput(string Reason);

/// <summary>Body of <c>POST .../correction-outcome</c> (property management's answer, O11).</summary>
public sealed record CorrectionOutcomeInput(string Outcome, string? Note);

/// <summary>What a correct one-time code answers.</summary>
public sealed record VerificationResult(bool Verified);

/// <summary>What property management's correction outcome answers (202: the request's workflow takes it on).</summary>
public sealed record CorrectionAccepted(bool Accepted);

/// <summary>What a submitted privacy request answers (202): its id and where to follow it.</summary>
public sealed record PrivacyRequestAccepted(string RequestId, string Status);

/// <summary>
/// Privacy requests (O8–O11, O15, O18): intake, status, the person's one-time code, the one extension, property management's
/// answer to a correction. Each request runs as one durable orchestration whose instance id is the request id
/// (<see cref="PrivacyRequestOrchestrator"/>); its input is that id and nothing else.
/// </summary>
public sealed class PrivacyRequestsApi(
    IRecordStore store,
    PrivacyRequestService service,
    RequestWork work,
    IntakeCaps caps,
    RequestSecrets secrets,
    AgentPermissions permissions,
    IOptions<RequestOptions> options,
    TimeProvider time)
{
    public const string VerificationEvent = "verification";
    public const string CorrectionEvent = "correction";

    public async Task<IResult> SubmitAsync(HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var (input, problem) = await RequestBody.ReadAsync<PrivacyRequestInput>(request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var invalid = Validate(input!, options.Value.NotOnFileWindow);
        if (invalid is not null)
        {
            return Problems.BadRequest(invalid);
        }

        // O10: the signed permission is the document itself, checked here (type and size), kept under the request.
        var (document, extension, documentError) = input!.Agent is { } withDocument ? AgentPermissions.Decode(withDocument.PermissionDocument) : (null, null, null);
        if (documentError is not null)
        {
            return Problems.BadRequest(documentError);
        }

        // A person nobody's record describes has no account: the privacy office files their request and verifies them itself.
        if (input!.NotOnFile is not null && Api.Auth.Caller.OfRequest(request) is { } filer && !filer.On(ApiRoutes.SubmitPrivacyRequest).HasFlag(Roles.PrivacyOfficer))
        {
            return Problems.Forbidden("A request about a person not on file is filed by the privacy office, which verifies who they are.");
        }

        // A resident asks about themselves; an agent about the person in their acts_for; the office about anyone.
        if (Api.Auth.Caller.OfRequest(request) is { } caller && input!.Subject?.ResidentId is { } named
            && !caller.ReachesSubject(ApiRoutes.SubmitPrivacyRequest, named)
            && !(caller.Roles.HasFlag(Roles.Resident) && await service.IsGuardianOfAsync(caller.SubjectId, named, cancellationToken).ConfigureAwait(false)))
        {
            return Problems.NotFound("No such person.");
        }

        // Issue 13: from here on the work and the answer are the same whether the details match someone on file or not —
        // the caps count what the request names, the lookup is one index query and one read either way, the writes are the
        // same, and the subject's own index is written later, by the orchestration. Nothing tells a prober about a match.
        if (await caps.TryTakeAsync(caps.For(input!), cancellationToken).ConfigureAwait(false) is { } retryAfter)
        {
            request.HttpContext.Response.Headers.RetryAfter = ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return Problems.TooManyRequests("Too many privacy requests for this person or address in this period; try again later.");
        }

        var now = time.GetUtcNow();
        // Not on file: nobody is looked up (the office chose this course, knowing there is no record to match).
        var onFile = input!.Subject is { } named2 ? await service.FindSubjectOnFileAsync(named2, cancellationToken).ConfigureAwait(false) : null;
        var subjectId = onFile?.ResidentId;

        // A duplicate within the window joins the first (same type, same person or same details given, same agent); the
        // key holds addresses only as keyed hashes.
        var key = AuditLog.IdFor(input.Type.ToString(), subjectId ?? input.Subject switch
        {
            { Email: { } given } named3 => $"{secrets.EmailKey(given)}|{named3.BuildingId}",
            { ResidentId: { } id } => "id:" + id,
            _ => $"not-on-file:{secrets.EmailKey(input.NotOnFile!.Email)}|{input.NotOnFile.BuildingId}",
        }, input.Agent?.Email is { } agentEmail ? secrets.EmailKey(agentEmail) : string.Empty);
        var existing = await store.ReadAsync<RequestIndexEntry>(Containers.Requests, "dedupe", key, cancellationToken).ConfigureAwait(false);
        if (existing is not null && now - existing.Document.ReceivedAt < options.Value.DedupeWindow
            && await service.ReadAsync(existing.Document.RequestId, cancellationToken).ConfigureAwait(false) is { Document.Closed: false })
        {
            return Accepted(existing.Document.RequestId);
        }

        var record = service.NewRecord(input, onFile, now);
        if (input.Agent is { } agent && document is not null && extension is not null)
        {
            // Stored before the record names it; the record keeps the blob's name, and its steps the document's hash.
            var (blobName, sha256) = await permissions.StoreAsync(record.RequestId, document, extension, cancellationToken).ConfigureAwait(false);
            record = record with
            {
                Agent = agent with { PermissionDocument = blobName },
                Steps = [.. record.Steps, new RequestStep("agent-permission-received", "sha256:" + sha256, now)],
            };
        }

        var entry = await service.RegisterAsync(record, cancellationToken).ConfigureAwait(false);
        if (record.Agent is not null && record.Steps.LastOrDefault(s => s.Name == "agent-permission-received") is { } permission)
        {
            // O10: the agent's signed permission is on file before anything is released or deleted.
            await service.AuditVerificationAsync(record, "agent-permission", permission.At, "signed-permission-received", cancellationToken).ConfigureAwait(false);
        }

        await store.UpsertAsync(Containers.Requests, "dedupe", key, entry, cancellationToken).ConfigureAwait(false);
        await DurableStarts.StartOnceAsync(client, nameof(PrivacyRequestOrchestrator), record.RequestId, record.RequestId, cancellationToken).ConfigureAwait(false);
        return Accepted(record.RequestId);
    }

    public async Task<IResult> GetAsync(string requestId, CancellationToken cancellationToken)
    {
        var record = UploadName.IsValidId(requestId) ? await service.ReadAsync(requestId, cancellationToken).ConfigureAwait(false) : null;
        if (record is null)
        {
            return Problems.NotFound("No such request.");
        }

        // The export, and its redacted recordings, are handed out as short-lived read-only links, made fresh on each look.
        var (link, files) = record.Document.Outcome is { ExportBlob: { } blob } outcome
            ? await work.ExportLinksAsync(blob, outcome.ExportFiles, cancellationToken).ConfigureAwait(false)
            : (null, []);
        return TypedResults.Json(new PrivacyRequestStatus(record.Document, link, files), ApiJson.Options);
    }

    /// <summary>The person enters the one-time code (O10). Wrong codes count; after the limit the request is locked out.</summary>
    public async Task<IResult> VerifyAsync(string requestId, HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (!UploadName.IsValidId(requestId))
        {
            return Problems.NotFound("No such request.");
        }

        var (input, problem) = await RequestBody.ReadAsync<VerificationInput>(request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var (result, verified) = await service.CheckCodeAsync(requestId, input!.Code ?? string.Empty, cancellationToken).ConfigureAwait(false);
        switch (result)
        {
            case CodeCheck.NotPending:
                return Problems.NotFound("No verification is pending for this request.");
            case CodeCheck.Expired:
                return TypedResults.Problem(detail: "The code has expired; the request closes as unverified.", statusCode: StatusCodes.Status410Gone, title: "Expired.");
            case CodeCheck.Wrong:
                return Problems.BadRequest("The code is not right.", new Dictionary<string, object?> { ["attemptsLeft"] = verified });
            case CodeCheck.LockedOut:
                await client.RaiseEventAsync(requestId, VerificationEvent, false, cancellationToken).ConfigureAwait(false);
                return Problems.TooManyRequests("Too many wrong codes: the request is closed as unverified. Submit a new request to try again.", "Locked out.");
            default:
                await client.RaiseEventAsync(requestId, VerificationEvent, true, cancellationToken).ConfigureAwait(false);
                return TypedResults.Json(new VerificationResult(true), ApiJson.Options);
        }
    }

    /// <summary>The one extension the law allows, with notice to the requester (11 CCR 7021(b); PIPEDA s.8(3)-(5)).</summary>
    public async Task<IResult> ExtendAsync(string requestId, HttpRequest request, CancellationToken cancellationToken)
    {
        var (input, problem) = await RequestBody.ReadAsync<ExtensionInput>(request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (string.IsNullOrWhiteSpace(input!.Reason) || input.Reason.Length > 1000)
        {
            return Problems.BadRequest("'reason' (at most 1000 characters) tells the requester why more time is needed.");
        }

        var (record, error) = await service.ExtendAsync(requestId, input.Reason, cancellationToken).ConfigureAwait(false);
        return error switch
        {
            null => TypedResults.Json(record, ApiJson.Options),
            "not-found" => Problems.NotFound("No such request."),
            _ => Problems.Conflict(error, title: "Cannot extend."),
        };
    }

    /// <summary>Property management's answer to a correction request (O11).</summary>
    public async Task<IResult> ResolveCorrectionAsync(string requestId, HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var (input, problem) = await RequestBody.ReadAsync<CorrectionOutcomeInput>(request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (input!.Outcome is not ("corrected" or "declined") || input.Note is { Length: > 1000 })
        {
            return Problems.BadRequest("'outcome' is corrected or declined; 'note' at most 1000 characters.");
        }

        // O11: a refusal gives its reasons; the note is what the person is told.
        if (input.Outcome == "declined" && string.IsNullOrWhiteSpace(input.Note))
        {
            return Problems.BadRequest("A declined correction needs its reason in 'note': the resident is told it.");
        }

        var record = UploadName.IsValidId(requestId) ? await service.ReadAsync(requestId, cancellationToken).ConfigureAwait(false) : null;
        if (record is null || record.Document.Type != RequestType.Correction)
        {
            return Problems.NotFound("No such correction request.");
        }

        if (record.Document.Status != RequestStatus.AwaitingPropertyManagement)
        {
            return Problems.Conflict("The request is not waiting for property management.", title: "Not waiting.");
        }

        // The note is free text and may name people: it goes to the store, and the orchestration gets the outcome only.
        await store.UpsertAsync(Containers.Requests, requestId, PrivacyRequestService.CorrectionAnswerId, input, cancellationToken).ConfigureAwait(false);
        await client.RaiseEventAsync(requestId, CorrectionEvent, input with { Note = null }, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new CorrectionAccepted(true), ApiJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>The relationships a person not on file may have to the building (what the answer and the report count).</summary>
    public static readonly IReadOnlySet<string> NotOnFileRelationships = new HashSet<string>(StringComparer.Ordinal) { "visitor", "former-resident", "partner", "other" };

    /// <summary>How the privacy office may verify a requester itself (O10; 11 CCR 7060–7062: proportionate to the data).</summary>
    public static readonly IReadOnlySet<string> ManualVerificationMethods = new HashSet<string>(StringComparer.Ordinal)
    {
        "government-id-in-person", "government-id-by-video-call", "details-only-the-person-knows", "signed-declaration", "other",
    };

    private static string? ValidateNotOnFile(PrivacyRequestInput input, NotOnFileInput p, TimeSpan window)
    {
        if (input.Type is not (RequestType.Access or RequestType.Deletion or RequestType.CategoriesShared))
        {
            return "A person not on file may ask for access, deletion or the categories shared: a correction and a child's data concern a record on file.";
        }

        if (input.Agent is not null)
        {
            return "An agent acts for a person on file; the privacy office verifies a person not on file directly.";
        }

        if (p.Email is null || p.Email.Length > 254 || !System.Net.Mail.MailAddress.TryCreate(p.Email, out _))
        {
            return "'notOnFile.email' is where the answer goes: a valid address is required.";
        }

        if (p.Relationship is null || !NotOnFileRelationships.Contains(p.Relationship))
        {
            return "'notOnFile.relationship' is visitor, former-resident, partner or other.";
        }

        if (!UploadName.IsValidId(p.BuildingId) || (p.DoorId is not null && !UploadName.IsValidId(p.DoorId)))
        {
            return "'notOnFile' names the building (and optionally the door) by id.";
        }

        if (p.Description is { Length: > 1000 })
        {
            return "'notOnFile.description' is at most 1000 characters.";
        }

        // How their data is found: the time they were there. Access needs it; the others may give it.
        if ((p.From is null) != (p.To is null) || (input.Type == RequestType.Access && p.From is null))
        {
            return "'notOnFile.from' and 'to' give the time window the person was there (required for access).";
        }

        if (p.From is { } from && p.To is { } to && (to <= from || to - from > window || from < new DateTimeOffset(2022, 1, 1, 0, 0, 0, TimeSpan.Zero)))
        {
            return string.Create(CultureInfo.InvariantCulture, $"'notOnFile.to' must be after 'from', at most {window.TotalHours:0} hours later, and from 2022-01-01 on.");
        }

        return null;
    }

    /// <summary>
    /// The privacy office's own check of who the requester is (O10), for a person not on file, or for one on file whom the
    /// code cannot reach (a phone call, a letter): who did it (the caller's account), when, how, and the outcome go into the
    /// record and the audit trail (O18); the request's workflow goes on as if the code had been entered, or closes as
    /// unverified. A pending code stops working.
    /// </summary>
    public async Task<IResult> VerifyManuallyAsync(string requestId, HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        var (input, problem) = await RequestBody.ReadAsync<ManualVerificationInput>(request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (input!.Outcome is not ("verified" or "not-verified") || input.Method is null || !ManualVerificationMethods.Contains(input.Method) || input.Note is { Length: > 1000 })
        {
            return Problems.BadRequest("'outcome' is verified or not-verified; 'method' is " + string.Join(", ", ManualVerificationMethods.Order(StringComparer.Ordinal)) + "; 'note' at most 1000 characters.");
        }

        if (input.Method == "other" && string.IsNullOrWhiteSpace(input.Note))
        {
            return Problems.BadRequest("A verification by another method says how in 'note'.");
        }

        var by = Api.Auth.Caller.OfRequest(request)?.SubjectId ?? "privacy-office";
        var (record, error) = await service.RecordManualVerificationAsync(requestId, by, input, cancellationToken).ConfigureAwait(false);
        switch (error)
        {
            case "not-found":
                return Problems.NotFound("No such request.");
            case not null:
                return Problems.Conflict(error, title: "Not waiting for verification.");
        }

        await client.RaiseEventAsync(requestId, VerificationEvent, input.Outcome == "verified", cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(record, ApiJson.Options);
    }

    private static IResult Accepted(string requestId) =>
        TypedResults.Json(new PrivacyRequestAccepted(requestId, $"/api/privacy-requests/{requestId}"), ApiJson.Options, statusCode: StatusCodes.Status202Accepted);

    private static string? Validate(PrivacyRequestInput input, TimeSpan window)
    {
        if (!Enum.IsDefined(input.Type))
        {
            return "'type' is access, deletion, correction, categories-shared or child-data-deletion.";
        }

        if (!ResidentsApi.Jurisdictions.Contains(input.Jurisdiction))
        {
            return "'jurisdiction' is california, canada, new-york or other.";
        }

        if (input.Province is not null && (input.Jurisdiction != "canada" || input.Province.Length != 2 || !input.Province.All(char.IsAsciiLetterLower)))
        {
            return "'province' is a two-letter lower-case code, for Canada only.";
        }

        if (input.Channel is not ("app" or "web" or "email" or "phone" or "mail"))
        {
            return "'channel' is app, web, email, phone or mail.";
        }

        if (input.NotOnFile is { } notOnFile)
        {
            return input.Subject is not null ? "A request names a 'subject' on file or a person 'notOnFile', not both." : ValidateNotOnFile(input, notOnFile, window);
        }

        var s = input.Subject;
        if (s is null || (s.ResidentId is null && (s.Email is null || s.BuildingId is null)))
        {
            return "'subject' is a residentId, or the email and buildingId on file (or 'notOnFile' for a person no record describes).";
        }

        if ((s.ResidentId is not null && !UploadName.IsValidId(s.ResidentId)) || (s.BuildingId is not null && !UploadName.IsValidId(s.BuildingId))
            || (s.Email is not null && (s.Email.Length > 254 || !System.Net.Mail.MailAddress.TryCreate(s.Email, out _))))
        {
            return "'subject' has an invalid resident id, building id or email.";
        }

        if (input.Agent is { } agent && (!agent.SignedPermission || string.IsNullOrWhiteSpace(agent.PermissionReference) || agent.PermissionReference.Length > 200
            || string.IsNullOrWhiteSpace(agent.Name) || agent.Name.Length > 200 || !System.Net.Mail.MailAddress.TryCreate(agent.Email, out _)))
        {
            return "An authorized agent needs the person's signed permission ('signedPermission': true, its 'permissionReference' and the document), a name and an email.";
        }

        if (input.Type == RequestType.Correction && (input.Correction is null || string.IsNullOrWhiteSpace(input.Correction.Field) || input.Correction.Field.Length > 100
            || string.IsNullOrWhiteSpace(input.Correction.RequestedValue) || input.Correction.RequestedValue.Length > 1000 || input.Correction.Note is { Length: > 1000 }))
        {
            return "A correction names the 'field' and the 'requestedValue'.";
        }

        if (input.Type != RequestType.Correction && input.Correction is not null)
        {
            return "'correction' goes with type correction only.";
        }

        return input.LookbackFrom is { } from && from < new DateTimeOffset(2022, 1, 1, 0, 0, 0, TimeSpan.Zero)
            ? "'lookbackFrom' goes back to 2022-01-01 at the earliest (11 CCR 7024(h))."
            : null;
    }
}

/// <summary>What <c>GET /api/privacy-requests/{id}</c> answers: the record (status, due date, steps, outcome) and, for an
/// access request, a read link to the export and one to each redacted recording, working for minutes.</summary>
public sealed record PrivacyRequestStatus(PrivacyRequestRecord Request, Uri? ExportLink, IReadOnlyList<ExportFileLink>? FileLinks = null);

/// <summary>A read link to one file of an export (a redacted recording), by its blob name as the export lists it.</summary>
public sealed record ExportFileLink(string Blob, Uri Link);

/// <summary>The outcome of a code check.</summary>
public enum CodeCheck
{
    Verified,
    Wrong,
    LockedOut,
    Expired,
    NotPending,
}

/// <summary>What the orchestration needs after acknowledging a request.</summary>
public sealed record RequestPlan(bool HasSubject, RequestType Type, bool NotOnFile = false);

/// <summary>The close of a request: its final status and any denial reason.</summary>
public sealed record RequestClose(string RequestId, RequestStatus Status, string? DenialReason);

/// <summary>The service a request's person got when it was received (O17): service field to value, when it was read, and
/// how many service changes the person's log had counted then (a change after that one is made while the request is open).</summary>
public sealed record ServiceAtReceipt(IReadOnlyDictionary<string, string> Profile, DateTimeOffset At, long ChangesSeen);

/// <summary>
/// The request's steps as services: everything the activities do, and the clocks. Identity data is read from the store
/// when needed and never put into orchestration inputs, queue messages or logs.
/// </summary>
public sealed class PrivacyRequestService(
    IRecordStore store,
    NotificationPublisher notifications,
    ResidentEmailIndex emailIndex,
    VerificationCodes codes,
    BusinessCalendars calendars,
    RetentionSchedule schedule,
    IOptions<RequestOptions> options,
    TimeProvider time,
    AuditLog audit,
    HoldRegistry holds,
    Residents.ServiceChanges serviceChanges,
    Telemetry.PipelineMetrics metrics)
{
    /// <summary>The partition of the requests received in one UTC month (ids only): how a report finds every request whose
    /// clock fell in its period, open or closed. The ':' keeps it out of reach of any id a client can choose.</summary>
    /// <summary>The id of property management's answer to a correction (O11) in the request's partition.</summary>
    public const string CorrectionAnswerId = "correction-answer";

    public static string ReceivedPartition(DateTimeOffset receivedAt) => "received:" + receivedAt.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    /// <summary>The obligation a request type answers to (O8 access and categories shared, O9 deletion, O11 correction, O15 a child's data).</summary>
    public static string ObligationOf(RequestType type) => type switch
    {
        RequestType.Access or RequestType.CategoriesShared => "O8",
        RequestType.Deletion => "O9",
        RequestType.Correction => "O11",
        _ => "O15",
    };

    /// <summary>The audit entry of one step of a request's clock (D1): its id is fixed by the step and the request, so a retry
    /// writes it once and a report can look it up. Ids and times only (O18: the request is a record, nothing personal here).</summary>
    public static string StepAuditId(string step, string requestId) => AuditLog.IdFor("request-" + step, requestId);

    public Task AuditStepAsync(PrivacyRequestRecord record, string step, DateTimeOffset at, DateTimeOffset? deadline, string? outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        return audit.WriteAsync(StepAuditId(step, record.RequestId), new AuditRecord
        {
            Action = "request-" + step,
            ItemRef = "requests/" + record.RequestId,
            Category = record.Type.ToString(),
            RuleId = "D1-" + record.Jurisdiction,
            Obligation = ObligationOf(record.Type),
            Deadline = deadline,
            Outcome = outcome,
            At = at,
            DoneAt = at,
            LagSeconds = deadline is { } d ? (at - d).TotalSeconds : null,
        }, cancellationToken);
    }

    /// <summary>The request steps that prove verification came first (O10), each with its audit entry (fixed id, obligation
    /// O10): the audit step's name to the record step whose time it carries. "work-started" is when the work step began,
    /// before any data of the person is read out or deleted.</summary>
    public static IReadOnlyDictionary<string, string> VerificationSteps { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["agent-permission"] = "agent-permission-received",
        ["code-verified"] = "code-verified",
        ["manually-verified"] = "manually-verified",
        ["work-started"] = "verified",
    };

    /// <summary>O10's audit entry of one verification step: ids, the method and the outcome only.</summary>
    public Task AuditVerificationAsync(PrivacyRequestRecord record, string step, DateTimeOffset at, string outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        return audit.WriteAsync(StepAuditId(step, record.RequestId), new AuditRecord
        {
            Action = "request-" + step,
            ItemRef = "requests/" + record.RequestId,
            Category = record.Type.ToString(),
            Obligation = "O10",
            Outcome = outcome,
            At = at,
            DoneAt = at,
        }, cancellationToken);
    }

    /// <summary>Stores a new request (O18): its record, the open, month and subject indexes, and its "received" audit entry
    /// (D1). Returns the index entry.</summary>
    public async Task<RequestIndexEntry> RegisterAsync(PrivacyRequestRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await store.CreateAsync(Containers.Requests, record.RequestId, PrivacyRequestRecord.DocumentId, record, cancellationToken).ConfigureAwait(false);
        var entry = new RequestIndexEntry(record.RequestId, record.Type, record.ReceivedAt, record.DueAt, record.Status.ToString());
        await store.UpsertAsync(Containers.Requests, "open", record.RequestId, entry, cancellationToken).ConfigureAwait(false);
        await store.UpsertAsync(Containers.Requests, ReceivedPartition(record.ReceivedAt), record.RequestId, entry, cancellationToken).ConfigureAwait(false);

        // The subject's own index is written by the acknowledgement step, not here: intake does the same writes whether the
        // details matched someone on file or not (issue 13).

        await AuditStepAsync(record, "received", record.ReceivedAt, record.DueAt, null, cancellationToken).ConfigureAwait(false);
        return entry;
    }

    public Task<StoredRecord<PrivacyRequestRecord>?> ReadAsync(string requestId, CancellationToken cancellationToken) =>
        store.ReadAsync<PrivacyRequestRecord>(Containers.Requests, requestId, PrivacyRequestRecord.DocumentId, cancellationToken);

    /// <summary>The resident the request is about: by id, or by the email on file in the building given. The same work
    /// whether someone matches or not (<see cref="ResidentEmailIndex.FindAsync"/>).</summary>
    public async Task<string?> FindSubjectAsync(SubjectInput subject, CancellationToken cancellationToken) =>
        (await FindSubjectOnFileAsync(subject, cancellationToken).ConfigureAwait(false))?.ResidentId;

    /// <summary>
    /// The resident the request is about, with the jurisdiction their record holds (D1: the clocks follow the person on
    /// file, not what a request says). One point read of the residents container whether someone matched or not (issue
    /// 13: the work does not tell a match).
    /// </summary>
    public async Task<SubjectOnFile?> FindSubjectOnFileAsync(SubjectInput subject, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subject);
        // By the email index (one small partition), never by reading the building (issue 13).
        var id = subject.ResidentId ?? await emailIndex.FindAsync(subject.Email!, subject.BuildingId!, cancellationToken).ConfigureAwait(false);
        var resident = await store.ReadAsync<ResidentRecord>(Containers.Residents, id ?? "~nobody", ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false);
        return resident is null || id is null ? null : new SubjectOnFile(id, resident.Document.Jurisdiction);
    }

    /// <summary>O15: whether <paramref name="guardianId"/> is the guardian on file of the minor <paramref name="residentId"/>
    /// (a resident acts for their ward: files and follows requests about them).</summary>
    public async Task<bool> IsGuardianOfAsync(string? guardianId, string residentId, CancellationToken cancellationToken) =>
        guardianId is not null && UploadName.IsValidId(residentId)
        && (await store.ReadAsync<ResidentRecord>(Containers.Residents, residentId, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document is { Minor: true, Guardian.ResidentId: { } guardian }
        && guardian == guardianId;

    /// <summary>A new request's record from the body, for a subject known by id only (the jurisdiction as the body gives it).</summary>
    public PrivacyRequestRecord NewRecord(PrivacyRequestInput input, string? subjectId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(input);
        return NewRecord(input, subjectId is null ? null : new SubjectOnFile(subjectId, input.Jurisdiction), now);
    }

    /// <summary>
    /// A new request's record and its clocks (D1). The jurisdiction is the person's record's when they are on file; the
    /// body may only narrow it where the law allows (a Canadian resident's province: PIPEDA applies in every province, and
    /// the province's holidays decide its business days); a body that says otherwise is recorded beside the choice and
    /// does not move the clocks. Nobody on file: the body's, recorded as such. Receipt is confirmed within 10 business days
    /// counted on the jurisdiction's calendar in its local time zone (<see cref="BusinessCalendars.ZoneFor"/>).
    /// </summary>
    public PrivacyRequestRecord NewRecord(PrivacyRequestInput input, SubjectOnFile? subject, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(input);
        var jurisdiction = subject?.Jurisdiction ?? input.Jurisdiction;
        var givenEmail = input.NotOnFile?.Email ?? (input.Subject is { ResidentId: null } s ? s.Email : null);
        var province = jurisdiction == "canada" ? input.Province : null;
        var calendar = calendars.CalendarFor(jurisdiction, province);
        return new PrivacyRequestRecord
        {
            RequestId = "req-" + Guid.NewGuid().ToString("N")[..16],
            Type = input.Type,
            Jurisdiction = jurisdiction,
            Province = province,
            JurisdictionSource = subject is null ? "request" : "record",
            RequestedJurisdiction = subject is not null && (input.Jurisdiction != jurisdiction || input.Province != province) ? input.Jurisdiction + (input.Province is null ? string.Empty : "/" + input.Province) : null,
            Calendar = calendar,
            Channel = input.Channel,
            SubjectId = subject?.ResidentId,
            // Kept only when the email is how the request names the person (it is where the acknowledgement goes); beside a
            // resident id it would be an address nobody checked, so it is not kept (O1).
            GivenEmail = givenEmail,
            NotOnFile = input.NotOnFile,
            Agent = input.Agent,
            Correction = input.Correction,
            LookbackFrom = input.LookbackFrom,
            ReceivedAt = now,
            AcknowledgeBy = AcknowledgeBy(calendars, calendar, now),
            DueAt = now + ResponsePeriod(jurisdiction),
            Status = RequestStatus.Received,
            Steps = [new RequestStep("received", "done", now)],
        };
    }

    /// <summary>D1: receipt is confirmed within 10 business days of <paramref name="receivedAt"/>, counted on the request's
    /// calendar in its local time zone.</summary>
    public static DateTimeOffset AcknowledgeBy(BusinessCalendars calendars, string calendar, DateTimeOffset receivedAt)
    {
        ArgumentNullException.ThrowIfNull(calendars);
        return calendars.Get(calendar).AddBusinessDays(receivedAt, 10, calendars.ZoneFor(calendar));
    }

    /// <summary>California: 45 days whatever verification takes (11 CCR 7021(b)); Canada: 30 days (PIPEDA s.8(3)).
    /// New York and others follow the stricter of the policy's promises for everyone, 45 days.</summary>
    public static TimeSpan ResponsePeriod(string jurisdiction) => jurisdiction == "canada" ? TimeSpan.FromDays(30) : TimeSpan.FromDays(45);

    /// <summary>The due date once extended (the law allows one extension of one more response period): what an extension
    /// sets, and the latest a request can be due.</summary>
    public static DateTimeOffset DueAtIfExtended(PrivacyRequestRecord request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.DueAt + ResponsePeriod(request.Jurisdiction);
    }

    /// <summary>The one extension: 45 more days in California (and elsewhere under the policy), 30 in Canada.</summary>
    public async Task<(PrivacyRequestRecord? Record, string? Error)> ExtendAsync(string requestId, string reason, CancellationToken cancellationToken)
    {
        if (!UploadName.IsValidId(requestId))
        {
            return (null, "not-found");
        }

        string? error = null;
        var updated = await UpdateAsync(requestId, r =>
        {
            if (r.Closed)
            {
                error = "The request is closed.";
                return r;
            }

            if (r.ExtendedDueAt is not null)
            {
                error = "The request was extended once already; the law allows one extension.";
                return r;
            }

            // D1: the extension is taken within the first period, with notice (PIPEDA s.8(3): "within 30 days after the
            // receipt ... the organization may extend"; 11 CCR 7021(b): notice within the first 45 days).
            if (time.GetUtcNow() > r.DueAt)
            {
                error = "The request's due date has passed; an extension can only be taken before it.";
                return r;
            }

            return r with { ExtendedDueAt = DueAtIfExtended(r), ExtensionReason = reason, Steps = [.. r.Steps, new RequestStep("extended", "done", time.GetUtcNow())] };
        }, cancellationToken).ConfigureAwait(false);
        if (updated is null)
        {
            return (null, "not-found");
        }

        if (error is null)
        {
            await AuditStepAsync(updated, "extended", updated.Steps.Last(x => x.Name == "extended").At, updated.ExtendedDueAt, null, cancellationToken).ConfigureAwait(false);
            await NotifyRequesterAsync(updated, "request-extended", new Dictionary<string, string>
            {
                ["requestId"] = requestId,
                ["dueAt"] = updated.EffectiveDueAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["jurisdiction"] = updated.Jurisdiction,
            }, cancellationToken).ConfigureAwait(false); // the reason is read from the record at send time (free text stays out of messages)
        }

        return (updated, error);
    }

    /// <summary>Step 1: confirm receipt (within 10 business days; done at once) to the person, and to the agent if any.</summary>
    public async Task<RequestPlan> AcknowledgeAsync(string requestId, CancellationToken cancellationToken)
    {
        var record = (await ReadAsync(requestId, cancellationToken).ConfigureAwait(false))?.Document ?? throw new InvalidOperationException("The request record is missing.");
        if (record.SubjectId is { } subject)
        {
            // The subject's index of requests (the twice-a-year limit, an open access request as a hold), written here rather
            // than at intake so that intake does the same writes whether the details matched someone or not.
            await store.UpsertAsync(Containers.Requests, "subject-" + subject, requestId,
                new RequestIndexEntry(requestId, record.Type, record.ReceivedAt, record.DueAt, record.Status.ToString()), cancellationToken).ConfigureAwait(false);
            await KeepServiceAtReceiptAsync(requestId, subject, cancellationToken).ConfigureAwait(false);
        }

        if (record.AcknowledgedAt is null)
        {
            // Issue 13: the same acknowledgement, matched or not — to the address given (when the request named the person
            // by email), else to the resident named by id, and to the agent.
            await NotifyRequesterAsync(record, "request-received", new Dictionary<string, string>
            {
                ["requestId"] = requestId,
                ["type"] = record.Type.ToString(),
                ["dueAt"] = record.DueAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["notOnFile"] = record.NotOnFile is null ? "false" : "true",
            }, cancellationToken, toGivenAddress: true).ConfigureAwait(false);
            var acknowledged = await UpdateAsync(requestId, r => r.AcknowledgedAt is not null ? r : r with { AcknowledgedAt = time.GetUtcNow(), Steps = [.. r.Steps, new RequestStep("acknowledged", "done", time.GetUtcNow())] }, cancellationToken).ConfigureAwait(false);
            if (acknowledged?.AcknowledgedAt is { } at)
            {
                // D1, asserted: the step's audit entry says whether receipt was confirmed by the deadline (a late one is
                // what the compliance report lists), never silently.
                await AuditStepAsync(acknowledged, "acknowledged", at, acknowledged.AcknowledgeBy, at <= acknowledged.AcknowledgeBy ? "on-time" : "late", cancellationToken).ConfigureAwait(false);
            }
        }

        return new RequestPlan(record.SubjectId is not null, record.Type, record.NotOnFile is not null);
    }

    /// <summary>
    /// Step 2: a one-time code to the address on file (the person, never the agent: the person confirms directly). The
    /// notification carries ids only; the dispatcher renders the code at send time (<see cref="VerificationCodes"/>). When
    /// nobody on file matched, a code is still started (nobody receives it) and the request waits out the same window, so
    /// its course, its timing and the agent's mails are those of a request whose person never answered (issue 13).
    /// Returns when the code expires.
    /// </summary>
    public async Task<DateTime> IssueCodeAsync(string requestId, CancellationToken cancellationToken)
    {
        var record = (await ReadAsync(requestId, cancellationToken).ConfigureAwait(false))?.Document ?? throw new InvalidOperationException("The request record is missing.");
        var (issue, expires) = await codes.IssueAsync(requestId, cancellationToken).ConfigureAwait(false);
        if (record.SubjectId is { } subject)
        {
            // O15: a request about a minor is verified through their guardian: the code goes to the guardian's address.
            await notifications.PublishAsync(new NotificationRequest(
                $"verify-{requestId}-{issue}", "request-" + requestId, VerificationCodeTemplate, await PersonKindAsync(subject, cancellationToken).ConfigureAwait(false), subject, MessageClass.Service,
                new Dictionary<string, string> { ["requestId"] = requestId, ["issue"] = issue, ["expiresAt"] = RecordJson.Timestamp(expires) }), cancellationToken).ConfigureAwait(false);
        }

        await UpdateAsync(requestId, r => r with
        {
            Status = RequestStatus.AwaitingVerification,
            Steps = [.. r.Steps, new RequestStep("verification-sent", r.SubjectId is null ? "nobody-on-file" : "done", time.GetUtcNow())],
        }, cancellationToken).ConfigureAwait(false);
        return expires.UtcDateTime;
    }

    /// <summary>
    /// A request about a person not on file waits for the privacy office to verify them (O10): the status says so, once.
    /// Returns when the wait ends: <see cref="RequestOptions.NotOnFileVerificationMargin"/> before the due date as it stands
    /// now (an extension moves it), so that the refusal is sent before the due date.
    /// </summary>
    public async Task<DateTime> AwaitManualVerificationAsync(string requestId, CancellationToken cancellationToken)
    {
        var updated = await UpdateAsync(requestId, r => r.Closed || r.Steps.Any(s => s.Name == "manual-verification") ? r : r with
        {
            Status = RequestStatus.AwaitingVerification,
            Steps = [.. r.Steps, new RequestStep("manual-verification", "waiting-for-privacy-office", time.GetUtcNow())],
        }, cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException("The request record is missing.");
        return VerificationEndsAt(updated).UtcDateTime;
    }

    /// <summary>When the privacy office's check of a person not on file can no longer be recorded (O10, D1).</summary>
    private DateTimeOffset VerificationEndsAt(PrivacyRequestRecord record) => record.EffectiveDueAt - options.Value.NotOnFileVerificationMargin;

    /// <summary>Records the privacy office's check of the requester (who, when, how, outcome) and audits it; a pending code
    /// stops working. Errors: <c>not-found</c>, or why the request is not waiting for it.</summary>
    public async Task<(PrivacyRequestRecord? Record, string? Error)> RecordManualVerificationAsync(string requestId, string by, ManualVerificationInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!UploadName.IsValidId(requestId))
        {
            return (null, "not-found");
        }

        string? error = null;
        var now = time.GetUtcNow();
        var verified = input.Outcome == "verified";
        var updated = await UpdateAsync(requestId, r =>
        {
            if (r.Closed || r.Status is not (RequestStatus.Received or RequestStatus.AwaitingVerification))
            {
                error = "The request is not waiting for the requester's verification.";
                return r;
            }

            if (r.ManualVerification is not null)
            {
                error = "The privacy office has verified this request already.";
                return r;
            }

            // The wait for the check ended before the due date, so that the refusal goes out before it: a check recorded in
            // that margin comes too late, as one after the due date (O10, D1).
            if (r.NotOnFile is not null && now >= VerificationEndsAt(r))
            {
                error = "The request's due date is too near: it is being refused as not verified by its due date.";
                return r;
            }

            return r with
            {
                ManualVerification = new ManualVerificationRecord(by, now, input.Method, verified, input.Note),
                Steps = [.. r.Steps, new RequestStep("manually-verified", verified ? "verified" : "not-verified", now)],
            };
        }, cancellationToken).ConfigureAwait(false);
        if (updated is null)
        {
            return (null, "not-found");
        }

        if (error is null)
        {
            await store.DeleteAsync(Containers.Requests, requestId, VerificationCodes.DocumentId, cancellationToken).ConfigureAwait(false);
            await AuditStepAsync(updated, "manually-verified", now, null, verified ? "verified:" + input.Method : "not-verified:" + input.Method, cancellationToken).ConfigureAwait(false);
        }

        return (updated, error);
    }

    /// <summary>The template of the code's mail; its code is rendered at send time, never queued.</summary>
    public const string VerificationCodeTemplate = "verification-code";

    /// <summary>Checks a code; the int is attempts left on a wrong code.</summary>
    /// <summary>Checks a one-time code; a right one (the person confirming directly, O10) or a lock-out is a step of the
    /// request with its audit entry.</summary>
    public async Task<(CodeCheck Result, int AttemptsLeft)> CheckCodeAsync(string requestId, string code, CancellationToken cancellationToken)
    {
        var result = await codes.CheckAsync(requestId, code, cancellationToken).ConfigureAwait(false);
        if (result.Result is CodeCheck.Verified or CodeCheck.LockedOut)
        {
            var verified = result.Result == CodeCheck.Verified;
            var now = time.GetUtcNow();
            var updated = await UpdateAsync(requestId, r => r.Steps.Any(s => s.Name == "code-verified")
                ? r
                : r with { Steps = [.. r.Steps, new RequestStep("code-verified", verified ? "verified" : "locked-out", now)] }, cancellationToken).ConfigureAwait(false);
            if (updated?.Steps.LastOrDefault(s => s.Name == "code-verified") is { } step)
            {
                await AuditVerificationAsync(updated, "code-verified", step.At, step.Status == "verified" ? "verified:one-time-code" : "not-verified:locked-out", cancellationToken).ConfigureAwait(false);
            }
        }

        return result;
    }

    /// <summary>Closes a request (O18): final status, identity data minimized, the code and indexes removed, the record
    /// scheduled for deletion 24 months on, and the requester told.</summary>
    public async Task CloseAsync(RequestClose close, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(close);
        var now = time.GetUtcNow();
        var before = (await ReadAsync(close.RequestId, cancellationToken).ConfigureAwait(false))?.Document ?? throw new InvalidOperationException("The request record is missing.");
        if (!before.Closed)
        {
            var template = close.Status switch
            {
                RequestStatus.Completed => "request-completed",
                RequestStatus.Denied => "request-denied",
                _ => "request-unverified",
            };
            // An unverified close tells the agent only, and never why (no one on file, or the person did not answer: the
            // same notice either way, issue 13). A person not on file, whom the privacy office could not verify, is told.
            // A person not on file is told why it closed unverified: the office found them not to be who they said, or did
            // not verify them by the due date, which counts as a refusal (PIPEDA s.8(5); D1), with the right to complain.
            await NotifyRequesterAsync(before, template, new Dictionary<string, string>
            {
                ["requestId"] = close.RequestId,
                ["reason"] = close.Status == RequestStatus.Denied || (close.Status == RequestStatus.Unverified && before.NotOnFile is not null) ? close.DenialReason ?? string.Empty : string.Empty,
                ["notOnFile"] = before.NotOnFile is null ? "false" : "true",
                ["dueAt"] = RecordJson.Timestamp(before.EffectiveDueAt),
                ["jurisdiction"] = before.Jurisdiction,
            }, cancellationToken, toPerson: close.Status != RequestStatus.Unverified || before.NotOnFile is not null).ConfigureAwait(false);
        }

        var keep = new RetentionRule("request-record-24m", "O18", TimeSpan.FromDays(730), RetentionAction.Delete);
        await schedule.AddAsync(new ScheduleEntry
        {
            Kind = ItemKind.PrivacyRequest,
            ItemPartition = close.RequestId,
            ItemId = PrivacyRequestRecord.DocumentId,
            SubjectId = before.SubjectId,
            BuildingId = "requests",
            EventAt = now,
            Category = "request-record",
            Rule = keep,
            Deadline = keep.DeadlineFrom(now),
        }, cancellationToken).ConfigureAwait(false);
        // Identity data goes once the final notices are out: a schedule entry, so the engine does it with an audit entry.
        await schedule.AddAsync(new ScheduleEntry
        {
            Kind = ItemKind.RequestIdentity,
            ItemPartition = close.RequestId,
            ItemId = PrivacyRequestRecord.DocumentId,
            SubjectId = before.SubjectId,
            BuildingId = "requests",
            EventAt = now,
            Category = "identifiers",
            Rule = new RetentionRule("request-identity-minimized", "O18", options.Value.MinimizeAfter, RetentionAction.Anonymize),
            Deadline = now + options.Value.MinimizeAfter,
        }, cancellationToken).ConfigureAwait(false);
        var closed = await UpdateAsync(close.RequestId, r => r.Closed ? r : r with
        {
            Status = close.Status,
            DenialReason = close.DenialReason,
            ClosedAt = now,
            Steps = [.. r.Steps, new RequestStep("closed", close.Status.ToString(), now)],
        }, cancellationToken).ConfigureAwait(false);
        if (closed?.ClosedAt is { } closedAt)
        {
            // The outcome names why an unanswered request closed (a code, never personal data): "unverified:" and the reason.
            var outcome = System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(closed.Status.ToString());
            await AuditStepAsync(closed, "closed", closedAt, closed.EffectiveDueAt, closed.Status == RequestStatus.Unverified && closed.DenialReason is { } why ? outcome + ":" + why : outcome, cancellationToken).ConfigureAwait(false);
            await CompareServiceAsync(closed, closedAt, cancellationToken).ConfigureAwait(false);
        }

        // An answered or refused access request keeps holding the person's data for its recourse period (PIPEDA s.8(8),
        // O6), as an ordinary hold with an end: placed before the open entry goes, so the data is never free in between.
        if (closed is { Type: RequestType.Access, SubjectId: { } heldSubject, ClosedAt: { } answeredAt, Status: RequestStatus.Completed or RequestStatus.Denied }
            && options.Value.RecourseIn(closed.Jurisdiction) is var recourse && recourse > TimeSpan.Zero)
        {
            await holds.PlaceAsync(new HoldRecord
            {
                HoldId = HoldRegistry.RecoursePrefix + closed.RequestId,
                Reason = HoldReason.OpenRequest,
                Scope = new HoldScope { SubjectId = heldSubject },
                Owner = "privacy-office",
                ReviewBy = answeredAt + recourse,
                Until = answeredAt + recourse,
                Note = "PIPEDA s.8(8): the data an access request answered is kept until the person's recourse is exhausted (PIPEDA s.11(3)).",
                PlacedAt = answeredAt,
            }, cancellationToken).ConfigureAwait(false);
        }

        await store.DeleteAsync(Containers.Requests, close.RequestId, VerificationCodes.DocumentId, cancellationToken).ConfigureAwait(false);
        await store.DeleteAsync(Containers.Requests, "open", close.RequestId, cancellationToken).ConfigureAwait(false);
        if (closed?.SubjectId is { } subject)
        {
            await store.UpsertAsync(Containers.Requests, "subject-" + subject, close.RequestId,
                new RequestIndexEntry(close.RequestId, closed.Type, closed.ReceivedAt, closed.EffectiveDueAt, closed.Status.ToString()), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The id, in a request's partition, of the service its person got when it was received (O17).</summary>
    public const string ServiceAtReceiptId = "service-at-receipt";

    /// <summary>The step whose audit entry compares the service before and after a request (O17).</summary>
    public const string ServiceComparedStep = "service-compared";

    /// <summary>O17: the service the person gets as the request is received (their record's service fields, no identifiers),
    /// kept in the request's partition until its close compares it. The first one stays (a retried step keeps it).</summary>
    private async Task KeepServiceAtReceiptAsync(string requestId, string subject, CancellationToken cancellationToken)
    {
        if (await store.ReadAsync<ServiceAtReceipt>(Containers.Requests, requestId, ServiceAtReceiptId, cancellationToken).ConfigureAwait(false) is not null)
        {
            return;
        }

        // The log before the record: its writers write the record first, so a change in flight is in the record read here
        // or counted after the log's count read here, never neither.
        var log = await serviceChanges.ReadAsync(subject, cancellationToken).ConfigureAwait(false);
        if ((await store.ReadAsync<Residents.ResidentRecord>(Containers.Residents, subject, Residents.ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document is not { } resident)
        {
            return;
        }

        try
        {
            await store.CreateAsync(Containers.Requests, requestId, ServiceAtReceiptId, new ServiceAtReceipt(Residents.ServiceProfile.Of(resident), time.GetUtcNow(), log.Sequence), cancellationToken).ConfigureAwait(false);
        }
        catch (RecordConflictException)
        {
        }
    }

    /// <summary>
    /// O17, at the close: the person's service now against the service at receipt. A field that changed is explained when
    /// the person, their guardian or property management changed it through the residents' routes, or the audited deletion
    /// path did, while the request was open (<see cref="Residents.ServiceChanges"/>); any other change is a change the request
    /// made. The audit entry (fixed id, the step <see cref="ServiceComparedStep"/>) holds the outcome and field names only,
    /// never values; then the kept service goes. A request closed without its kept service (received before this was
    /// recorded) gets no entry, and the compliance report says the proof is missing.
    /// </summary>
    private async Task CompareServiceAsync(PrivacyRequestRecord closed, DateTimeOffset closedAt, CancellationToken cancellationToken)
    {
        if (closed.SubjectId is not { } subject
            || (await store.ReadAsync<ServiceAtReceipt>(Containers.Requests, closed.RequestId, ServiceAtReceiptId, cancellationToken).ConfigureAwait(false))?.Document is not { } atReceipt)
        {
            return;
        }

        var now = time.GetUtcNow();
        var resident = (await store.ReadAsync<Residents.ResidentRecord>(Containers.Residents, subject, Residents.ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document;
        string outcome;
        string how;
        if (resident is null)
        {
            (outcome, how) = ("subject-gone", "the person's record is gone (deleted through the retention engine's audited path)");
        }
        else
        {
            var changed = Residents.ServiceProfile.Changed(atReceipt.Profile, Residents.ServiceProfile.Of(resident));
            var log = await serviceChanges.ReadAsync(subject, cancellationToken).ConfigureAwait(false);
            var explained = changed.Where(f => log.Changes.Any(c => c.Field == f && c.Sequence > atReceipt.ChangesSeen)).ToList();
            var unexplained = changed.Except(explained, StringComparer.Ordinal).ToList();
            outcome = changed.Count == 0 ? "unchanged" : unexplained.Count == 0 ? "changed-by-person-or-deletion" : "changed-unexplained";
            how = changed.Count == 0
                ? "the same service at the close as at receipt"
                : $"changed through the residents' routes or the deletion path: {(explained.Count == 0 ? "none" : string.Join(", ", explained))}; changed by nothing that may: {(unexplained.Count == 0 ? "none" : string.Join(", ", unexplained))}";
        }

        await audit.WriteAsync(StepAuditId(ServiceComparedStep, closed.RequestId), new AuditRecord
        {
            Action = "request-" + ServiceComparedStep,
            ItemRef = "requests/" + closed.RequestId,
            Category = closed.Type.ToString(),
            Obligation = "O17",
            Outcome = outcome,
            How = how,
            At = closedAt,
            DoneAt = now,
        }, cancellationToken).ConfigureAwait(false);
        await store.DeleteAsync(Containers.Requests, closed.RequestId, ServiceAtReceiptId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// O6, O9: whether a deletion request waits for the same person's open access request (PIPEDA s.8(8): the data is what
    /// that request answers). Returns when to look again, or null to go on. The wait is a step of the request, so its status
    /// says why. It never waits past a day before its own due date: then it runs, and what the open request still holds is
    /// kept, listed, and deleted by itself once that request is answered.
    /// </summary>
    public async Task<DateTime?> AwaitOpenAccessAsync(string requestId, CancellationToken cancellationToken)
    {
        const string Step = "waiting-for-access-request";
        var record = (await ReadAsync(requestId, cancellationToken).ConfigureAwait(false))?.Document ?? throw new InvalidOperationException("The request record is missing.");
        var now = time.GetUtcNow();
        var latest = record.EffectiveDueAt - TimeSpan.FromDays(1);
        var waiting = record.SubjectId is { } subject && !record.Closed && now < latest
            && (await holds.OpenRequestHoldsAsync(cancellationToken).ConfigureAwait(false)).Any(h => h.Scope.SubjectId == subject && h.HoldId != HoldRegistry.OpenRequestPrefix + requestId);
        // One step when the wait starts, one when it ends: the status shows the person why nothing happened meanwhile.
        var wasWaiting = record.Steps.LastOrDefault(s => s.Name == Step)?.Status == "waiting";
        if (waiting != wasWaiting)
        {
            await UpdateAsync(requestId, r => r with { Steps = [.. r.Steps, new RequestStep(Step, waiting ? "waiting" : "done", now)] }, cancellationToken).ConfigureAwait(false);
        }

        if (!waiting)
        {
            return null;
        }

        var next = now + options.Value.DeletionWaitPoll;
        return (next < latest ? next : latest).UtcDateTime;
    }

    /// <summary>Open requests near their due date alert the privacy officer, once each (run with the hourly sweep). The
    /// counts of open, near-due and overdue requests it saw go to the product's gauges (D1; alerts.bicep).</summary>
    public async Task<int> AlertNearDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var alerts = 0;
        long open = 0, nearDue = 0, overdue = 0;
        string? continuation = null;
        do
        {
            var page = await store.QueryAsync<RequestIndexEntry>(Containers.Requests, "open", RecordQuery.All, 500, continuation, cancellationToken).ConfigureAwait(false);
            foreach (var entry in page.Items)
            {
                var record = (await ReadAsync(entry.Id, cancellationToken).ConfigureAwait(false))?.Document;
                if (record is null || record.Closed)
                {
                    continue;
                }

                open++;
                var left = record.EffectiveDueAt - now;
                overdue += left < TimeSpan.Zero ? 1 : 0;
                nearDue += left >= TimeSpan.Zero && left <= options.Value.NearDueWarning ? 1 : 0;
                if (record.NearDueAlertedAt is not null || left > options.Value.NearDueWarning)
                {
                    continue;
                }

                await notifications.PublishAsync(new NotificationRequest(
                    $"near-due-{record.RequestId}", "request-" + record.RequestId, "request-near-due", RecipientKind.PrivacyOfficer, "privacy-office", MessageClass.Service,
                    new Dictionary<string, string> { ["requestId"] = record.RequestId, ["dueAt"] = RecordJson.Timestamp(record.EffectiveDueAt), ["status"] = record.Status.ToString() }), cancellationToken).ConfigureAwait(false);
                await UpdateAsync(record.RequestId, r => r with { NearDueAlertedAt = now }, cancellationToken).ConfigureAwait(false);
                alerts++;
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);
        metrics.RecordRequests(open, nearDue, overdue);
        return alerts;
    }

    /// <summary>Removes a closed request's identity data; the record keeps date, type, channel, outcome and any denial reason.</summary>
    public static PrivacyRequestRecord Minimize(PrivacyRequestRecord r, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(r);
        return r with
        {
            MinimizedAt = now,
            GivenEmail = null,
            Agent = r.Agent is null ? null : r.Agent with { Email = "(removed at close)", Name = "(removed at close)" },
            Correction = r.Correction is null ? null : r.Correction with { RequestedValue = "(removed at close)", Note = null },
            NotOnFile = r.NotOnFile is null ? null : r.NotOnFile with { Email = "(removed at close)", Description = null },
            ManualVerification = r.ManualVerification is null ? null : r.ManualVerification with { Note = null },
            VisitorPhoto = r.VisitorPhoto is null ? null : r.VisitorPhoto with { DeletedAt = r.VisitorPhoto.DeletedAt ?? now },
        };
    }

    /// <summary>Records a request's answer and its "answered" step: the one way each kind of requester's work ends (RequestWork,
    /// NotOnFileWork). Not cancellable: an answer half-recorded would be sent as nothing.</summary>
    public Task AnswerAsync(string requestId, RequestOutcome outcome) =>
        UpdateAsync(requestId, r => r with { Outcome = outcome, Steps = [.. r.Steps, new RequestStep("answered", "done", time.GetUtcNow())] }, CancellationToken.None);

    public async Task<PrivacyRequestRecord?> UpdateAsync(string requestId, Func<PrivacyRequestRecord, PrivacyRequestRecord> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var stored = await ReadAsync(requestId, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                return null;
            }

            var updated = change(stored.Document);
            if (updated == stored.Document)
            {
                return updated;
            }

            try
            {
                await store.ReplaceAsync(Containers.Requests, requestId, PrivacyRequestRecord.DocumentId, updated, stored.ETag, cancellationToken).ConfigureAwait(false);
                return updated;
            }
            catch (RecordPreconditionFailedException)
            {
            }
        }

        throw new InvalidOperationException("A request kept changing under concurrent writers.");
    }

    /// <summary>Tells the person (by resident id) and the agent (by request id) — never by an address in the message. With
    /// <paramref name="toGivenAddress"/>, a request that named the person by email tells that address instead (by request
    /// id), whether or not it matched someone on file.</summary>
    /// <summary>Who receives what a request sends "to the person": the resident, or for a minor their guardian (O15).</summary>
    private async Task<RecipientKind> PersonKindAsync(string subjectId, CancellationToken cancellationToken) =>
        (await store.ReadAsync<ResidentRecord>(Containers.Residents, subjectId, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document is { Minor: true, Guardian: not null }
            ? RecipientKind.Guardian
            : RecipientKind.Resident;

    public async Task NotifyRequesterAsync(PrivacyRequestRecord record, string template, Dictionary<string, string> values, CancellationToken cancellationToken, bool toPerson = true, bool toGivenAddress = false)
    {
        ArgumentNullException.ThrowIfNull(record);
        // A person not on file has no other address: everything "to the person" goes to the one they gave.
        if (toPerson && (toGivenAddress || record.NotOnFile is not null) && record.GivenEmail is not null)
        {
            await notifications.PublishAsync(new NotificationRequest($"{template}-{record.RequestId}", "request-" + record.RequestId, template, RecipientKind.RequestGivenAddress, record.RequestId, MessageClass.Service, values), cancellationToken).ConfigureAwait(false);
        }
        else if (toPerson && record.SubjectId is not null)
        {
            await notifications.PublishAsync(new NotificationRequest($"{template}-{record.RequestId}", "request-" + record.RequestId, template, await PersonKindAsync(record.SubjectId, cancellationToken).ConfigureAwait(false), record.SubjectId, MessageClass.Service, values), cancellationToken).ConfigureAwait(false);
        }

        if (record.Agent is not null)
        {
            await notifications.PublishAsync(new NotificationRequest($"{template}-{record.RequestId}-agent", "request-" + record.RequestId, template, RecipientKind.RequestAgent, record.RequestId, MessageClass.Service, values), cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>
/// One request, end to end (instance id = request id; input = that id): acknowledge; verify the person with a one-time code
/// (external event, with a timeout: never verified closes as unverified); do the work; for a correction, wait for property
/// management's answer (external event, until the due date); close. Deterministic: all I/O is in activities.
/// </summary>
public sealed class PrivacyRequestOrchestrator : TaskOrchestrator<string, string>
{
    private static async Task<CorrectionOutcomeInput?> CorrectionAnswerByAsync(TaskOrchestrationContext context, DateTime until)
    {
        try
        {
            var wait = until - context.CurrentUtcDateTime;
            return await context.WaitForExternalEvent<CorrectionOutcomeInput>(PrivacyRequestsApi.CorrectionEvent, wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1));
        }
        catch (TaskCanceledException)
        {
            return null;
        }
    }

    public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
    {
        ArgumentNullException.ThrowIfNull(context);
        var retry = TaskOptions.FromRetryPolicy(new RetryPolicy(10, TimeSpan.FromSeconds(2), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(1)));
        var plan = await context.CallActivityAsync<RequestPlan>(nameof(AcknowledgeRequestActivity), input, retry);
        if (plan.NotOnFile)
        {
            // O8-O10: a person nobody's record describes is verified by the privacy office itself, until shortly before the
            // due date (RequestOptions.NotOnFileVerificationMargin; an extension moves it), so that a refusal is sent before
            // the due date; not verified by then, or found not to be who they say, the request closes unverified and they
            // are told. The clock ran from receipt all along.
            // At most three looks: the wait ends before the due date, which the one extension may move once.
            for (var look = 0; look < 3; look++)
            {
                var until = await context.CallActivityAsync<DateTime>(nameof(AwaitManualVerificationActivity), input, retry);
                var left = until - context.CurrentUtcDateTime;
                if (left <= TimeSpan.Zero)
                {
                    break;
                }

                try
                {
                    if (!await context.WaitForExternalEvent<bool>(PrivacyRequestsApi.VerificationEvent, left))
                    {
                        await context.CallActivityAsync(nameof(CloseRequestActivity), new RequestClose(input, RequestStatus.Unverified, "identity-not-verified"), retry);
                        return nameof(RequestStatus.Unverified);
                    }

                    return await WorkAndCloseAsync(context, input, plan, retry);
                }
                catch (TaskCanceledException)
                {
                    // The wait's end came: look again (the due date may have been extended).
                }
            }

            await context.CallActivityAsync(nameof(CloseRequestActivity), new RequestClose(input, RequestStatus.Unverified, "identity-not-verified-by-due-date"), retry);
            return nameof(RequestStatus.Unverified);
        }

        // Nobody on file matching takes the same course as a person who never answers (issue 13): a code nobody receives,
        // the same wait, the same close and the same notice to the agent. Only the record says which (O18).
        var expires = await context.CallActivityAsync<DateTime>(nameof(IssueVerificationCodeActivity), input, retry);
        bool verified;
        try
        {
            var wait = expires - context.CurrentUtcDateTime;
            verified = await context.WaitForExternalEvent<bool>(PrivacyRequestsApi.VerificationEvent, wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1));
        }
        catch (TaskCanceledException)
        {
            verified = false;
        }

        if (!verified || !plan.HasSubject)
        {
            await context.CallActivityAsync(nameof(CloseRequestActivity), new RequestClose(input, RequestStatus.Unverified, plan.HasSubject ? "not-verified" : "no-matching-person-on-file"), retry);
            return nameof(RequestStatus.Unverified);
        }

        return await WorkAndCloseAsync(context, input, plan, retry);
    }

    private static async Task<string> WorkAndCloseAsync(TaskOrchestrationContext context, string input, RequestPlan plan, TaskOptions retry)
    {
        if (plan.Type is RequestType.Deletion or RequestType.ChildDataDeletion)
        {
            // O6, O9: while the same person's access request is open, their data is what that request answers (PIPEDA
            // s.8(8)): the deletion waits for the answer, then runs. The activity says when to look again, or null to go.
            while (await context.CallActivityAsync<DateTime?>(nameof(AwaitOpenAccessActivity), input, retry) is { } next)
            {
                await context.CreateTimer(next, CancellationToken.None);
            }
        }

        var work = await context.CallActivityAsync<WorkResult>(nameof(DoRequestWorkActivity), input, retry);
        if (work.FootageItems is { } items)
        {
            // An access answer's recordings, one activity each (a video takes seconds to minutes; a retry redoes one item,
            // not all), one at a time: the answer is due in weeks, and CPU and memory stay bounded. Inputs: ids only.
            for (var index = 0; index < items; index++)
            {
                await context.CallActivityAsync<bool>(nameof(RedactAccessFootageActivity), new FootageItemRef(input, index), retry);
            }

            work = await context.CallActivityAsync<WorkResult>(nameof(CompleteAccessActivity), input, retry);
        }

        if (work.AwaitCorrection)
        {
            // O11: property management's answer until near the due date; then the privacy office is alerted and the wait
            // goes on until the due date; silence then is answered as "not made", with why.
            var escalateAt = work.EscalateAtUtc is { } at && at < work.DueAtUtc ? at : work.DueAtUtc;
            var answer = await CorrectionAnswerByAsync(context, escalateAt);
            var due = work.DueAtUtc;
            if (answer is null && escalateAt < due)
            {
                due = await context.CallActivityAsync<DateTime>(nameof(EscalateCorrectionActivity), input, retry);
                answer = await CorrectionAnswerByAsync(context, due);
            }

            work = await context.CallActivityAsync<WorkResult>(nameof(RecordCorrectionOutcomeActivity), new CorrectionAnswer(input, answer?.Outcome ?? "no-answer"), retry);
        }

        await context.CallActivityAsync(nameof(CloseRequestActivity), new RequestClose(input, work.Status, work.DenialReason), retry);
        return work.Status.ToString();
    }
}

/// <summary>What the work step produced. <see cref="FootageItems"/>: an access answer still to assemble, with that many
/// recordings to redact first (null for every other step, and in histories written before it existed).</summary>
public sealed record WorkResult(RequestStatus Status, string? DenialReason, bool AwaitCorrection, DateTime DueAtUtc, int? FootageItems = null)
{
    /// <summary>A correction: when to escalate to the privacy office if property management has not answered (O11).</summary>
    public DateTime? EscalateAtUtc { get; init; }
}

/// <summary>One recording of an access answer: the request id and the item's index in its plan (ids only).</summary>
public sealed record FootageItemRef(string RequestId, int Index);

/// <summary>Property management's answer, as the correction step receives it (its note stays in the store).</summary>
public sealed record CorrectionAnswer(string RequestId, string Outcome);

public sealed class AcknowledgeRequestActivity(PrivacyRequestService service) : TaskActivity<string, RequestPlan>
{
    public override Task<RequestPlan> RunAsync(TaskActivityContext context, string input) => service.AcknowledgeAsync(input, CancellationToken.None);
}

public sealed class IssueVerificationCodeActivity(PrivacyRequestService service) : TaskActivity<string, DateTime>
{
    public override Task<DateTime> RunAsync(TaskActivityContext context, string input) => service.IssueCodeAsync(input, CancellationToken.None);
}

public sealed class AwaitManualVerificationActivity(PrivacyRequestService service) : TaskActivity<string, DateTime>
{
    public override Task<DateTime> RunAsync(TaskActivityContext context, string input) => service.AwaitManualVerificationAsync(input, CancellationToken.None);
}

public sealed class AwaitOpenAccessActivity(PrivacyRequestService service) : TaskActivity<string, DateTime?>
{
    public override Task<DateTime?> RunAsync(TaskActivityContext context, string input) => service.AwaitOpenAccessAsync(input, CancellationToken.None);
}

public sealed class DoRequestWorkActivity(RequestWork work) : TaskActivity<string, WorkResult>
{
    public override Task<WorkResult> RunAsync(TaskActivityContext context, string input) => work.RunAsync(input, CancellationToken.None);
}

public sealed class RedactAccessFootageActivity(AccessFootage footage) : TaskActivity<FootageItemRef, bool>
{
    public override Task<bool> RunAsync(TaskActivityContext context, FootageItemRef input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return footage.RedactAsync(input.RequestId, input.Index, CancellationToken.None);
    }
}

public sealed class CompleteAccessActivity(RequestWork work) : TaskActivity<string, WorkResult>
{
    public override Task<WorkResult> RunAsync(TaskActivityContext context, string input) => work.CompleteAccessAsync(input, CancellationToken.None);
}

public sealed class EscalateCorrectionActivity(RequestWork work) : TaskActivity<string, DateTime>
{
    public override Task<DateTime> RunAsync(TaskActivityContext context, string input) => work.EscalateCorrectionAsync(input, CancellationToken.None);
}

public sealed class RecordCorrectionOutcomeActivity(RequestWork work) : TaskActivity<CorrectionAnswer, WorkResult>
{
    public override Task<WorkResult> RunAsync(TaskActivityContext context, CorrectionAnswer input) => work.RecordCorrectionAsync(input, CancellationToken.None);
}

public sealed class CloseRequestActivity(PrivacyRequestService service) : TaskActivity<RequestClose, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, RequestClose input)
    {
        await service.CloseAsync(input, CancellationToken.None).ConfigureAwait(false);
        return true;
    }
}
