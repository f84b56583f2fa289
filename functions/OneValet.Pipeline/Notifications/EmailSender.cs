using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;

namespace OneValet.Pipeline.Notifications;

/// <summary>
/// The SMTP server notifications are sent through (section <c>OneValet:Email</c>). Locally: maildev on 127.0.0.1:1025
/// without TLS or credentials (<c>infra/start-emulators.sh</c>). In Azure: a relay on port 587 with STARTTLS and a user
/// name and password.
/// </summary>
public sealed class EmailOptions
{
    public const string Section = "OneValet:Email";

    public string? SmtpHost { get; set; }

    public int SmtpPort { get; set; } = 587;

    /// <summary>True: STARTTLS is required (the connection fails without it). False: no TLS at all, for the local catcher only.</summary>
    public bool UseTls { get; set; } = true;

    /// <summary>The sender's address, e.g. no-reply@onevalet.example.</summary>
    public string? FromAddress { get; set; }

    public string FromName { get; set; } = "OneValet";

    /// <summary>Optional; set together with <see cref="Password"/>.</summary>
    public string? UserName { get; set; }

    /// <summary>
    /// Optional; set together with <see cref="UserName"/>. In Azure the value comes from Key Vault: the app setting
    /// <c>OneValet__Email__Password</c> is a Key Vault reference (<c>@Microsoft.KeyVault(SecretUri=...)</c>) resolved by
    /// the platform with the app's managed identity. It is never written in code, in appsettings or in a Bicep output.
    /// </summary>
    public string? Password { get; set; }

    /// <summary>The privacy office's mailbox (<c>RecipientKind.PrivacyOfficer</c>).</summary>
    public string? PrivacyOfficerAddress { get; set; }

    /// <summary>Property management's mailbox for buildings not listed in <see cref="PropertyManagementByBuilding"/>
    /// (<c>RecipientKind.PropertyManagement</c>, O11). Unset: correction tasks go to the privacy office.</summary>
    public string? PropertyManagementAddress { get; set; }

    /// <summary>Property management's mailbox per building id (a staff mailbox, not a person's).</summary>
    public Dictionary<string, string> PropertyManagementByBuilding { get; set; } = new(StringComparer.Ordinal);

    /// <summary>For connecting and for each SMTP command.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Start-up checks of <see cref="EmailOptions"/>. The messages name settings, never their values.</summary>
internal sealed class EmailOptionsValidator : IValidateOptions<EmailOptions>
{
    public ValidateOptionsResult Validate(string? name, EmailOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.SmtpHost))
        {
            failures.Add("OneValet:Email:SmtpHost is required.");
        }

        if (options.SmtpPort is < 1 or > 65535)
        {
            failures.Add("OneValet:Email:SmtpPort must be from 1 to 65535.");
        }

        if (!EmailSender.TryParseAddress(options.FromAddress, out _))
        {
            failures.Add("OneValet:Email:FromAddress is required and must be one email address.");
        }

        if (!EmailSender.TryParseAddress(options.PrivacyOfficerAddress, out _))
        {
            failures.Add("OneValet:Email:PrivacyOfficerAddress is required and must be one email address.");
        }

        bool hasUser = !string.IsNullOrEmpty(options.UserName);
        bool hasPassword = !string.IsNullOrEmpty(options.Password);
        if (hasUser != hasPassword)
        {
            failures.Add("OneValet:Email:UserName and OneValet:Email:Password are set together or not at all.");
        }

        if (hasUser && !options.UseTls && !IsLoopback(options.SmtpHost))
        {
            failures.Add("OneValet:Email:UseTls must be true when credentials are sent to a host other than loopback.");
        }

        if (options.Timeout <= TimeSpan.Zero || options.Timeout > TimeSpan.FromMinutes(5))
        {
            failures.Add("OneValet:Email:Timeout must be positive and at most 5 minutes.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsLoopback(string? host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(host, out var address) && System.Net.IPAddress.IsLoopback(address));
}

/// <summary>
/// What became of one email. <see cref="PermanentFailure"/> means the server (or the address itself) said no and sending
/// it again will not help: a bounce. <see cref="TransientFailure"/> means try again later. Reasons hold an SMTP status
/// code and a short category, never an address.
/// </summary>
#pragma warning disable CA1034 // A closed set of outcomes: the cases are nested so that they read EmailOutcome.Delivered.
public abstract record EmailOutcome
{
    private EmailOutcome()
    {
    }

    /// <summary>The server accepted the message (250 after DATA).</summary>
    public sealed record Delivered : EmailOutcome;

    /// <summary>Not sent this time: a 4xx reply, or the server could not be reached or timed out.</summary>
    public sealed record TransientFailure(string Reason) : EmailOutcome;

    /// <summary>Never deliverable as it is: an invalid recipient address, or a 5xx reply (e.g. 550, 553, 552, 530).</summary>
    public sealed record PermanentFailure(string Reason) : EmailOutcome;
}
#pragma warning restore CA1034

/// <summary>
/// One email to one recipient. <see cref="NotificationId"/> is the notification's stable id; it becomes the
/// Message-ID (<c>&lt;{id}@onevalet&gt;</c>) and the <c>X-OneValet-Notification</c> header, so a resend is recognisable.
/// Ids are letters, digits, '-', '_' and '.', at most 200 characters.
/// </summary>
public sealed record OutgoingEmail(string NotificationId, string To, string Subject, string TextBody, string? HtmlBody = null)
{
    /// <summary>Only the id: the address and the contents stay out of logs and exception messages.</summary>
    public override string ToString() => $"OutgoingEmail {NotificationId}";
}

/// <summary>
/// Sends notification emails over SMTP (MailKit) and classifies every failure as transient or permanent. One connection
/// is kept open and reused by the sends, one at a time; it is reopened after a failure, after a minute idle, and once
/// more when a reused connection turns out to be dead. Measured against maildev (tests/OneValet.Benchmarks, email): a kept
/// connection sends ~500-800 messages/s, a new connection per message ~10/s; four parallel connections gain under 20%,
/// so there is no pool. Addresses are never logged.
/// </summary>
public sealed partial class EmailSender : IAsyncDisposable, IDisposable
{
    /// <summary>The domain part of every Message-ID this sender writes.</summary>
    public const string MessageIdDomain = "onevalet";

    /// <summary>The header that carries the notification id.</summary>
    public const string NotificationHeader = "X-OneValet-Notification";

    /// <summary>A connection idle longer than this is closed rather than reused: servers and NAT (Azure SNAT: 4 minutes)
    /// drop idle connections, sometimes silently, and a silent drop costs a full timeout to notice.</summary>
    private static readonly TimeSpan MaxIdle = TimeSpan.FromMinutes(1);

    private readonly EmailOptions options;
    private readonly ILogger<EmailSender> logger;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly MailboxAddress from;
    private readonly string host;
    private SmtpClient? client;
    private long lastUsed;
    private bool disposed;

    public EmailSender(IOptions<EmailOptions> options, ILogger<EmailSender> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        this.options = options.Value;
        this.logger = logger;
        var validation = new EmailOptionsValidator().Validate(null, this.options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(EmailOptions.Section, typeof(EmailOptions), validation.Failures);
        }

        if (!TryParseAddress(this.options.FromAddress, out var address))
        {
            throw new UnreachableException("FromAddress was validated.");
        }

        from = new MailboxAddress(this.options.FromName, address.Address);
        host = this.options.SmtpHost!;
    }

    /// <summary>
    /// Sends one email. Returns the outcome; throws only for a malformed <paramref name="email"/> (a bad notification id)
    /// and for <paramref name="cancellationToken"/>.
    /// </summary>
    public async Task<EmailOutcome> SendAsync(OutgoingEmail email, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(email);
        if (!IsValidNotificationId(email.NotificationId))
        {
            throw new ArgumentException("A notification id is 1 to 200 letters, digits, '-', '_' or '.'.", nameof(email));
        }

        if (!TryParseAddress(email.To, out var to))
        {
            return Refused(email.NotificationId, new EmailOutcome.PermanentFailure("invalid recipient address"));
        }

        using var message = BuildMessage(email, to);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            bool reused = await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await SendOnceAsync(message, email.NotificationId, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (reused && IsDeadConnection(e) && !cancellationToken.IsCancellationRequested)
            {
                // The server or the network closed the kept connection while it sat idle, almost always before this
                // message went out. Were it accepted just before the drop, the copy sent now has the same Message-ID.
                string error = e.GetType().Name;
                LogReconnecting(logger, error);

                await CloseAsync(graceful: false).ConfigureAwait(false);
                await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
                return await SendOnceAsync(message, email.NotificationId, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (Classify(e, cancellationToken) is { } outcome)
        {
            // After a failure the connection's state is unknown (e.g. a 5xx after DATA or a timeout mid-command): start anew.
            await CloseAsync(graceful: e is SmtpCommandException).ConfigureAwait(false);
            return outcome is EmailOutcome.PermanentFailure
                ? Refused(email.NotificationId, outcome)
                : NotSent(email.NotificationId, outcome);
        }
        finally
        {
            gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!disposed)
            {
                disposed = true;
                await CloseAsync(graceful: true).ConfigureAwait(false);
            }
        }
        finally
        {
            gate.Release();
        }

        gate.Dispose();
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        client?.Dispose();
        client = null;
        gate.Dispose();
    }

    /// <summary>One mailbox with a local part and a domain; no groups, lists or bare names.</summary>
    internal static bool TryParseAddress(string? text, [NotNullWhen(true)] out MailboxAddress? address)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(text) || text.Any(char.IsControl))
        {
            return false;
        }

        if (!MailboxAddress.TryParse(ParserOptions.Default, text, out var parsed))
        {
            return false;
        }

        int at = parsed.Address.LastIndexOf('@');
        if (at <= 0 || at == parsed.Address.Length - 1 || parsed.Address.Any(char.IsWhiteSpace))
        {
            return false;
        }

        address = parsed;
        return true;
    }

    internal static bool IsValidNotificationId(string? id) =>
        id is { Length: > 0 and <= 200 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
        && id[0] != '.' && id[^1] != '.' && !id.Contains("..", StringComparison.Ordinal);

    private MimeMessage BuildMessage(OutgoingEmail email, MailboxAddress to)
    {
        var body = new BodyBuilder { TextBody = email.TextBody, HtmlBody = email.HtmlBody };
        var message = new MimeMessage
        {
            Subject = email.Subject,
            MessageId = $"{email.NotificationId}@{MessageIdDomain}",
            Body = body.ToMessageBody(),
        };
        message.From.Add(from);
        message.To.Add(to);
        message.Headers.Add(NotificationHeader, email.NotificationId);
        return message;
    }

    private async Task<EmailOutcome> SendOnceAsync(MimeMessage message, string notificationId, CancellationToken cancellationToken)
    {
        await client!.SendAsync(message, cancellationToken).ConfigureAwait(false);
        lastUsed = Stopwatch.GetTimestamp();
        LogDelivered(logger, notificationId);
        return new EmailOutcome.Delivered();
    }

    /// <summary>Opens (and authenticates) a connection unless a live, recently used one is kept. True when one is reused.</summary>
    private async Task<bool> EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        if (client is { IsConnected: true } && Stopwatch.GetElapsedTime(lastUsed) < MaxIdle)
        {
            return true;
        }

        await CloseAsync(graceful: client?.IsConnected == true).ConfigureAwait(false);
        var fresh = new SmtpClient { Timeout = (int)options.Timeout.TotalMilliseconds };
        try
        {
            await fresh.ConnectAsync(
                host,
                options.SmtpPort,
                options.UseTls ? SecureSocketOptions.StartTls : SecureSocketOptions.None,
                cancellationToken).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(options.UserName))
            {
                await fresh.AuthenticateAsync(options.UserName, options.Password ?? string.Empty, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            fresh.Dispose();
            throw;
        }

        client = fresh;
        lastUsed = Stopwatch.GetTimestamp();
        return false;
    }

    private async Task CloseAsync(bool graceful)
    {
        if (client is not { } closing)
        {
            return;
        }

        client = null;
        try
        {
            if (graceful && closing.IsConnected)
            {
                using var quit = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await closing.DisconnectAsync(quit: true, quit.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or TimeoutException or MailKit.ProtocolException or SmtpCommandException)
        {
            // Closing is best effort: the connection is abandoned either way.
        }
        finally
        {
            closing.Dispose();
        }
    }

    /// <summary>Errors that mean the kept connection was dead before this send wrote anything that mattered.</summary>
    private static bool IsDeadConnection(Exception e) =>
        e is ServiceNotConnectedException or SmtpProtocolException or IOException or SocketException
        || (e is SmtpCommandException { StatusCode: SmtpStatusCode.ServiceNotAvailable });

    /// <summary>The outcome of a failed send, or null for exceptions that are not about delivery (they propagate).</summary>
    private static EmailOutcome? Classify(Exception e, CancellationToken cancellationToken)
    {
        switch (e)
        {
            case OperationCanceledException when cancellationToken.IsCancellationRequested:
                return null;
            case SmtpCommandException command:
                int code = (int)command.StatusCode;
                string category = (code, command.ErrorCode) switch
                {
                    (421, _) => "service not available",
                    (530, _) => "authentication required",
                    (552, not SmtpErrorCode.RecipientNotAccepted) => "message too large",
                    (_, SmtpErrorCode.RecipientNotAccepted) => "recipient rejected",
                    (_, SmtpErrorCode.SenderNotAccepted) => "sender rejected",
                    (_, SmtpErrorCode.MessageNotAccepted) => "message rejected",
                    _ => "unexpected reply",
                };
                string reason = string.Create(CultureInfo.InvariantCulture, $"smtp {code}: {category}");
                return code is >= 500 and < 600
                    ? new EmailOutcome.PermanentFailure(reason)
                    : new EmailOutcome.TransientFailure(reason);
            case ServiceNotAuthenticatedException:
                // MailKit's form of a 530 reply (to MAIL FROM): the server requires AUTH and none was configured.
                return new EmailOutcome.PermanentFailure("smtp 530: authentication required");
            case AuthenticationException authentication:
                // A 535 (or 534, 538) to AUTH: the server said no to the credentials. Not the recipient's fault, but
                // sending again cannot succeed until the configuration is fixed.
                return new EmailOutcome.PermanentFailure(authentication.InnerException is SmtpCommandException { StatusCode: var status }
                    ? string.Create(CultureInfo.InvariantCulture, $"smtp {(int)status}: authentication rejected")
                    : "smtp: authentication rejected");
            case SslHandshakeException:
                return new EmailOutcome.TransientFailure("tls handshake failed");
            case NotSupportedException when e.Message.Contains("STARTTLS", StringComparison.OrdinalIgnoreCase):
                return new EmailOutcome.TransientFailure("starttls not offered");
            case SocketException socket:
                return new EmailOutcome.TransientFailure(socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused",
                    SocketError.TimedOut => "timeout",
                    SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => "host not found",
                    _ => "socket error " + socket.SocketErrorCode.ToString(),
                });
            case TimeoutException:
            case OperationCanceledException:
            case IOException { InnerException: SocketException { SocketErrorCode: SocketError.TimedOut } }:
                return new EmailOutcome.TransientFailure("timeout");
            case ServiceNotConnectedException:
                return new EmailOutcome.TransientFailure("not connected");
            case SmtpProtocolException:
            case IOException:
                return new EmailOutcome.TransientFailure("connection lost");
            default:
                return null;
        }
    }

    private EmailOutcome Refused(string notificationId, EmailOutcome outcome)
    {
        LogRefused(logger, notificationId, ((EmailOutcome.PermanentFailure)outcome).Reason);
        return outcome;
    }

    private EmailOutcome NotSent(string notificationId, EmailOutcome outcome)
    {
        LogNotSent(logger, notificationId, ((EmailOutcome.TransientFailure)outcome).Reason);
        return outcome;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Email {NotificationId} delivered to the SMTP server")]
    private static partial void LogDelivered(ILogger logger, string notificationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Email {NotificationId} not sent, to be retried: {Reason}")]
    private static partial void LogNotSent(ILogger logger, string notificationId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Email {NotificationId} refused for good: {Reason}")]
    private static partial void LogRefused(ILogger logger, string notificationId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The kept SMTP connection was dead ({Error}); sending on a new one")]
    private static partial void LogReconnecting(ILogger logger, string error);
}

/// <summary>Registers <see cref="EmailSender"/> and its options, validated at start. The hosts call this when they send mail.</summary>
public static class EmailServices
{
    public static IServiceCollection AddEmailSender(this IServiceCollection services)
    {
        services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EmailOptions>, EmailOptionsValidator>());
        services.TryAddSingleton<EmailSender>();
        return services;
    }
}
