using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Notifications;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Notifications;

/// <summary>The email sending path against the real SMTP catcher (maildev on 127.0.0.1:1025, REST on :1080).</summary>
public sealed class EmailSenderTests(MailDevFixture maildev) : IClassFixture<MailDevFixture>
{
    [Fact]
    public async Task A_message_arrives_with_subject_bodies_from_to_message_id_and_notification_header()
    {
        var logs = new CapturedLogs();
        await using var sender = Sender(logs);
        string to = MailDevFixture.UniqueRecipient("delivered");
        var email = new OutgoingEmail("hold-review-h1-2026-11", to, "Hold h1 is due for review", "Hold h1 is due for review.\n", "<p>Hold <b>h1</b> is due for review.</p>");

        var outcome = await sender.SendAsync(email);

        Assert.IsType<EmailOutcome.Delivered>(outcome);
        var caught = Assert.Single(await maildev.Api.WaitForAsync(to, 1));
        Assert.Equal("Hold h1 is due for review", caught.Subject);
        Assert.Equal("Hold h1 is due for review.\n", caught.Text);
        Assert.Contains("Hold <b>h1</b> is due for review.", caught.Html, StringComparison.Ordinal);
        var from = Assert.Single(caught.From);
        Assert.Equal("no-reply@onevalet.test", from.Address);
        Assert.Equal("OneValet", from.Name);
        Assert.Equal(to, Assert.Single(caught.To).Address);
        Assert.Equal("<hold-review-h1-2026-11@onevalet>", caught.Header("Message-ID"));
        Assert.Equal("hold-review-h1-2026-11", caught.Header(EmailSender.NotificationHeader));
        logs.AssertNoneContain(to);
        await maildev.Api.DeleteAsync(caught.Id);
    }

    [Fact]
    public async Task Fifty_messages_sent_concurrently_all_arrive_exactly_once()
    {
        await using var sender = Sender();
        string to = MailDevFixture.UniqueRecipient("fifty");
        var ids = Enumerable.Range(0, 50).Select(i => $"roommate-alert-r{i}").ToList();

        var outcomes = await Task.WhenAll(ids.Select(id => sender.SendAsync(new OutgoingEmail(id, to, "Roommate alert", $"Alert {id}"))));

        Assert.All(outcomes, o => Assert.IsType<EmailOutcome.Delivered>(o));
        await maildev.Api.WaitForAsync(to, 50);
        await Task.Delay(500); // anything sent twice would have arrived by now
        var caught = await maildev.Api.ListAsync(to);
        Assert.Equal(ids.Order(StringComparer.Ordinal), caught.Select(c => c.Header(EmailSender.NotificationHeader)).Order(StringComparer.Ordinal));
        Assert.Equal(ids.Select(id => $"<{id}@onevalet>").Order(StringComparer.Ordinal), caught.Select(c => c.Header("message-id")).Order(StringComparer.Ordinal));
        foreach (var message in caught)
        {
            await maildev.Api.DeleteAsync(message.Id);
        }
    }

    [Theory]
    [InlineData("not-an-address")]
    [InlineData("resident@")]
    [InlineData("@residents.onevalet.test")]
    [InlineData("two words@residents.onevalet.test")]
    [InlineData("a@residents.onevalet.test, b@residents.onevalet.test")]
    [InlineData("injected@residents.onevalet.test\r\nBcc: other@residents.onevalet.test")]
    [InlineData("")]
    public async Task An_invalid_recipient_address_is_a_permanent_failure_without_an_exception(string address)
    {
        var logs = new CapturedLogs();
        await using var sender = Sender(logs);

        var outcome = await sender.SendAsync(new OutgoingEmail("verify-r1", address, "Verify", "Verify"));

        var failure = Assert.IsType<EmailOutcome.PermanentFailure>(outcome);
        Assert.Equal("invalid recipient address", failure.Reason);
        if (address.Length > 0)
        {
            logs.AssertNoneContain(address);
        }
    }

    [Fact]
    public async Task A_closed_port_is_a_transient_failure()
    {
        int closed = FreePort.Next();
        await using var sender = Sender(port: closed);

        var outcome = await sender.SendAsync(new OutgoingEmail("verify-r2", MailDevFixture.UniqueRecipient("closed"), "Verify", "Verify"));

        var failure = Assert.IsType<EmailOutcome.TransientFailure>(outcome);
        Assert.Equal("connection refused", failure.Reason);
    }

    [Fact]
    public async Task A_server_that_never_greets_is_a_transient_timeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(); // accepts connections (the kernel does) and never says a word
        int port = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using var sender = Sender(port: port, timeout: TimeSpan.FromSeconds(1));

        var outcome = await sender.SendAsync(new OutgoingEmail("verify-r3", MailDevFixture.UniqueRecipient("silent"), "Verify", "Verify"));

        var failure = Assert.IsType<EmailOutcome.TransientFailure>(outcome);
        Assert.Equal("timeout", failure.Reason);
    }

    [Fact]
    public async Task A_bad_notification_id_is_a_programming_error()
    {
        await using var sender = Sender();

        await Assert.ThrowsAsync<ArgumentException>(() =>
            sender.SendAsync(new OutgoingEmail("id with spaces>\r\n", MailDevFixture.UniqueRecipient("badid"), "Verify", "Verify")));
    }

    [Fact]
    public async Task The_kept_connection_is_reused_and_reopened_when_the_server_restarted()
    {
        await using var server = await MailDevProcess.StartAsync();
        var logs = new CapturedLogs();
        await using var sender = Sender(logs, port: server.SmtpPort);
        string to = MailDevFixture.UniqueRecipient("restart");

        Assert.IsType<EmailOutcome.Delivered>(await sender.SendAsync(new OutgoingEmail("restart-1", to, "One", "One")));
        Assert.IsType<EmailOutcome.Delivered>(await sender.SendAsync(new OutgoingEmail("restart-2", to, "Two", "Two")));
        Assert.DoesNotContain(logs.Lines, l => l.Contains("was dead", StringComparison.Ordinal));
        await server.RestartAsync(); // SIGKILL: the kept connection is now dead, and the client does not know yet
        Assert.IsType<EmailOutcome.Delivered>(await sender.SendAsync(new OutgoingEmail("restart-3", to, "Three", "Three")));

        // maildev keeps its mail folder across the restart, so all three are there.
        var caught = await server.Api.WaitForAsync(to, 3);
        Assert.Equal(["restart-1", "restart-2", "restart-3"], caught.Select(c => c.Header(EmailSender.NotificationHeader)).Order(StringComparer.Ordinal));
        Assert.Contains(logs.Lines, l => l.Contains("The kept SMTP connection was dead", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null, "no-reply@onevalet.test", "OneValet:Email:SmtpHost is required.")]
    [InlineData("", "no-reply@onevalet.test", "OneValet:Email:SmtpHost is required.")]
    [InlineData("127.0.0.1", null, "OneValet:Email:FromAddress is required and must be one email address.")]
    [InlineData("127.0.0.1", "no-reply", "OneValet:Email:FromAddress is required and must be one email address.")]
    public void Options_validation_refuses_a_missing_host_or_from_address(string? host, string? from, string expected)
    {
        var options = ValidOptions();
        options.SmtpHost = host;
        options.FromAddress = from;

        var result = new EmailOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(expected, result.Failures!);
        var thrown = Assert.Throws<OptionsValidationException>(() => new EmailSender(Options.Create(options), NullLogger()));
        Assert.Contains(expected, thrown.Failures);
    }

    [Fact]
    public void Options_validation_refuses_the_rest_without_echoing_values()
    {
        var options = ValidOptions();
        options.SmtpHost = "smtp.relay.example";
        options.SmtpPort = 0;
        options.PrivacyOfficerAddress = "privacy office";
        options.UserName = "sender";
        options.Password = "secret-password";
        options.UseTls = false;
        options.Timeout = TimeSpan.Zero;

        var failures = new EmailOptionsValidator().Validate(null, options).Failures!.ToList();

        Assert.Equal(
            [
                "OneValet:Email:SmtpPort must be from 1 to 65535.",
                "OneValet:Email:PrivacyOfficerAddress is required and must be one email address.",
                "OneValet:Email:UseTls must be true when credentials are sent to a host other than loopback.",
                "OneValet:Email:Timeout must be positive and at most 5 minutes.",
            ],
            failures);
        Assert.DoesNotContain(failures, f => f.Contains("secret-password", StringComparison.Ordinal) || f.Contains("privacy office", StringComparison.Ordinal));
        options.UserName = null;
        Assert.Contains("OneValet:Email:UserName and OneValet:Email:Password are set together or not at all.", new EmailOptionsValidator().Validate(null, options).Failures!);
    }

    [Fact]
    public async Task The_registration_binds_the_section_and_validates_it()
    {
        var good = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OneValet:Email:SmtpHost"] = MailDevFixture.Host,
            ["OneValet:Email:SmtpPort"] = "1025",
            ["OneValet:Email:UseTls"] = "false",
            ["OneValet:Email:FromAddress"] = "no-reply@onevalet.test",
            ["OneValet:Email:PrivacyOfficerAddress"] = "privacy@onevalet.test",
        }).Build();
        await using (var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(good).AddEmailSender().BuildServiceProvider())
        {
            string to = MailDevFixture.UniqueRecipient("registered");
            var outcome = await services.GetRequiredService<EmailSender>().SendAsync(new OutgoingEmail("registered-1", to, "Registered", "Registered"));
            Assert.IsType<EmailOutcome.Delivered>(outcome);
            await maildev.Api.DeleteAsync(Assert.Single(await maildev.Api.WaitForAsync(to, 1)).Id);
        }

        var empty = new ConfigurationBuilder().Build();
        await using var broken = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(empty).AddEmailSender().BuildServiceProvider();
        var thrown = Assert.Throws<OptionsValidationException>(() => broken.GetRequiredService<IOptions<EmailOptions>>().Value);
        Assert.Contains("OneValet:Email:SmtpHost is required.", thrown.Failures);
    }

    internal static EmailOptions ValidOptions(int port = MailDevFixture.SmtpPort, TimeSpan? timeout = null) => new()
    {
        SmtpHost = MailDevFixture.Host,
        SmtpPort = port,
        UseTls = false,
        FromAddress = "no-reply@onevalet.test",
        FromName = "OneValet",
        PrivacyOfficerAddress = "privacy@onevalet.test",
        Timeout = timeout ?? TimeSpan.FromSeconds(10),
    };

    internal static ILogger<EmailSender> NullLogger() => Microsoft.Extensions.Logging.Abstractions.NullLogger<EmailSender>.Instance;

    private static EmailSender Sender(CapturedLogs? logs = null, int port = MailDevFixture.SmtpPort, TimeSpan? timeout = null) =>
        new(Options.Create(ValidOptions(port, timeout)), logs?.Logger ?? NullLogger());
}

/// <summary>
/// The permanent classification against a real server saying no: a second maildev (started here, on free ports) that
/// requires SMTP authentication and accepts at most 2,000 bytes per message.
/// </summary>
public sealed class EmailSenderRejectionTests(StrictMailDevFixture strict) : IClassFixture<StrictMailDevFixture>
{
    [Fact]
    public async Task Sending_without_credentials_to_a_server_that_requires_them_is_a_permanent_530()
    {
        var logs = new CapturedLogs();
        await using var sender = Sender(logs, user: null, password: null);
        string to = MailDevFixture.UniqueRecipient("noauth");

        var outcome = await sender.SendAsync(new OutgoingEmail("breach-i1-r1", to, "Breach notice", "Notice"));

        var failure = Assert.IsType<EmailOutcome.PermanentFailure>(outcome);
        Assert.Equal("smtp 530: authentication required", failure.Reason);
        logs.AssertNoneContain(to);
        Assert.Empty(await strict.Server.Api.ListAsync(to));
    }

    [Fact]
    public async Task A_wrong_password_is_a_permanent_535()
    {
        await using var sender = Sender(password: "wrong-password");

        var outcome = await sender.SendAsync(new OutgoingEmail("breach-i1-r2", MailDevFixture.UniqueRecipient("badauth"), "Breach notice", "Notice"));

        var failure = Assert.IsType<EmailOutcome.PermanentFailure>(outcome);
        Assert.Equal("smtp 535: authentication rejected", failure.Reason);
        Assert.DoesNotContain("wrong-password", failure.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_right_credentials_it_is_delivered_and_an_oversized_message_is_a_permanent_552()
    {
        var logs = new CapturedLogs();
        await using var sender = Sender(logs);
        string to = MailDevFixture.UniqueRecipient("authed");

        var small = await sender.SendAsync(new OutgoingEmail("export-e1", to, "Export ready", "Your export is ready."));
        var large = await sender.SendAsync(new OutgoingEmail("export-e2", to, "Export ready", new string('x', 10_000)));
        var afterwards = await sender.SendAsync(new OutgoingEmail("export-e3", to, "Export ready", "Your export is ready."));

        Assert.IsType<EmailOutcome.Delivered>(small);
        var failure = Assert.IsType<EmailOutcome.PermanentFailure>(large);
        Assert.Equal("smtp 552: message too large", failure.Reason); // refused at MAIL FROM, for the SIZE it declared
        Assert.IsType<EmailOutcome.Delivered>(afterwards);
        var caught = await strict.Server.Api.WaitForAsync(to, 2);
        await Task.Delay(300);
        Assert.Equal(["export-e1", "export-e3"], (await strict.Server.Api.ListAsync(to)).Select(c => c.Header(EmailSender.NotificationHeader)).Order(StringComparer.Ordinal));
        logs.AssertNoneContain(to);
    }

    private EmailSender Sender(CapturedLogs? logs = null, string? user = StrictMailDevFixture.User, string? password = StrictMailDevFixture.Password)
    {
        var options = EmailSenderTests.ValidOptions(strict.Server.SmtpPort);
        options.UserName = user;
        options.Password = password;
        return new EmailSender(Options.Create(options), logs?.Logger ?? EmailSenderTests.NullLogger());
    }
}

/// <summary>A maildev of its own that requires AUTH (user/password below) and refuses messages over 2,000 bytes.</summary>
public sealed class StrictMailDevFixture : IAsyncLifetime
{
    public const string User = "onevalet-sender";
    public const string Password = "local-test-only";

    private MailDevProcess? server;

    public MailDevProcess Server => server ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() =>
        server = await MailDevProcess.StartAsync("--incoming-user", User, "--incoming-pass", Password, "--max-message-size", "2000");

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}

/// <summary>Every line an <see cref="EmailSender"/> logged, at every level.</summary>
internal sealed class CapturedLogs
{
    private readonly ConcurrentQueue<string> lines = new();

    public CapturedLogs() => Logger = new LineLogger(lines);

    public ILogger<EmailSender> Logger { get; }

    public IReadOnlyList<string> Lines => [.. lines];

    public void AssertNoneContain(string text) =>
        Assert.DoesNotContain(Lines, l => l.Contains(text, StringComparison.OrdinalIgnoreCase));

    private sealed class LineLogger(ConcurrentQueue<string> lines) : ILogger<EmailSender>
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel}: {formatter(state, exception)} {exception}");
    }
}
