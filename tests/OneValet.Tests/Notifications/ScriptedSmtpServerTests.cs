using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Notifications;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Notifications;

/// <summary>
/// The SMTP replies maildev never gives (4xx, 550, 553), from a scripted server on a loopback socket: the classification
/// of each, and that no reason carries the address.
/// </summary>
public sealed class ScriptedSmtpServerTests
{
    [Theory]
    [InlineData("RCPT", "550 5.1.1 Mailbox unavailable", "smtp 550: recipient rejected")]
    [InlineData("RCPT", "553 5.1.3 Bad destination mailbox address", "smtp 553: recipient rejected")]
    [InlineData("MAIL", "553 5.7.1 Sender address rejected", "smtp 553: sender rejected")]
    [InlineData(".", "554 5.7.1 Message rejected as spam", "smtp 554: message rejected")]
    public async Task A_5xx_reply_to_MAIL_RCPT_or_DATA_is_a_permanent_failure(string verb, string reply, string reason)
    {
        await using var server = ScriptedSmtpServer.Start(new() { [verb] = reply });
        var logs = new CapturedLogs();
        await using var sender = Sender(server.Port, logs);
        string to = MailDevFixture.UniqueRecipient("scripted");

        var outcome = await sender.SendAsync(new OutgoingEmail("scripted-1", to, "Subject", "Body"));

        Assert.Equal(reason, Assert.IsType<EmailOutcome.PermanentFailure>(outcome).Reason);
        logs.AssertNoneContain(to);
    }

    [Theory]
    [InlineData("RCPT", "450 4.2.1 Mailbox busy, try later", "smtp 450: recipient rejected")]
    [InlineData("MAIL", "451 4.3.0 Local error, try later", "smtp 451: sender rejected")]
    [InlineData(".", "452 4.3.1 Insufficient system storage", "smtp 452: message rejected")]
    public async Task A_4xx_reply_is_a_transient_failure(string verb, string reply, string reason)
    {
        await using var server = ScriptedSmtpServer.Start(new() { [verb] = reply });
        var logs = new CapturedLogs();
        await using var sender = Sender(server.Port, logs);
        string to = MailDevFixture.UniqueRecipient("scripted");

        var outcome = await sender.SendAsync(new OutgoingEmail("scripted-2", to, "Subject", "Body"));

        Assert.Equal(reason, Assert.IsType<EmailOutcome.TransientFailure>(outcome).Reason);
        logs.AssertNoneContain(to);
    }

    [Fact]
    public async Task A_421_greeting_is_a_transient_failure()
    {
        await using var server = ScriptedSmtpServer.Start(new(), greeting: "421 4.3.2 Service not available, closing channel");
        await using var sender = Sender(server.Port);

        var outcome = await sender.SendAsync(new OutgoingEmail("scripted-3", MailDevFixture.UniqueRecipient("scripted"), "Subject", "Body"));

        Assert.Equal("smtp 421: service not available", Assert.IsType<EmailOutcome.TransientFailure>(outcome).Reason);
    }

    [Fact]
    public async Task After_a_refusal_the_next_message_goes_through()
    {
        await using var server = ScriptedSmtpServer.Start(new() { ["RCPT"] = "550 5.1.1 Mailbox unavailable" }, refuseOnce: true);
        await using var sender = Sender(server.Port);

        var first = await sender.SendAsync(new OutgoingEmail("scripted-4", MailDevFixture.UniqueRecipient("scripted"), "Subject", "Body"));
        var second = await sender.SendAsync(new OutgoingEmail("scripted-5", MailDevFixture.UniqueRecipient("scripted"), "Subject", "Body"));

        Assert.IsType<EmailOutcome.PermanentFailure>(first);
        Assert.IsType<EmailOutcome.Delivered>(second);
        Assert.Equal(1, server.MessagesAccepted);
    }

    private static EmailSender Sender(int port, CapturedLogs? logs = null) =>
        new(Options.Create(EmailSenderTests.ValidOptions(port, TimeSpan.FromSeconds(5))), logs?.Logger ?? EmailSenderTests.NullLogger());
}

/// <summary>
/// A minimal SMTP server on a loopback port that answers every command "250" except the ones given in the script
/// ("MAIL", "RCPT", "." for the end of DATA). Serves one connection at a time.
/// </summary>
internal sealed class ScriptedSmtpServer : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly Dictionary<string, string> script;
    private readonly string greeting;
    private readonly bool refuseOnce;
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private int refusals;
    private int accepted;

    private ScriptedSmtpServer(Dictionary<string, string> script, string greeting, bool refuseOnce)
    {
        this.script = script;
        this.greeting = greeting;
        this.refuseOnce = refuseOnce;
        listener.Start();
        loop = Task.Run(ServeAsync);
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public int MessagesAccepted => Volatile.Read(ref accepted);

    public static ScriptedSmtpServer Start(Dictionary<string, string> script, string greeting = "220 scripted ESMTP", bool refuseOnce = false) =>
        new(script, greeting, refuseOnce);

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await loop;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            using var client = await listener.AcceptTcpClientAsync(stop.Token);
            try
            {
                await ConverseAsync(client.GetStream());
            }
            catch (IOException)
            {
                // The client went away.
            }
        }
    }

    private async Task ConverseAsync(NetworkStream stream)
    {
        using var reader = new StreamReader(stream, Encoding.ASCII);
        await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
        await writer.WriteLineAsync(greeting);
        if (!greeting.StartsWith('2'))
        {
            return;
        }

        while (await reader.ReadLineAsync(stop.Token) is { } line)
        {
            string verb = line.Split(' ', ':')[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO":
                    await writer.WriteLineAsync("250-scripted\r\n250 8BITMIME");
                    break;
                case "DATA":
                    await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                    while (await reader.ReadLineAsync(stop.Token) is { } data && data != ".")
                    {
                    }

                    string? end = Scripted(".");
                    if (end is null)
                    {
                        Interlocked.Increment(ref accepted);
                    }

                    await writer.WriteLineAsync(end ?? "250 2.0.0 queued");
                    break;
                case "QUIT":
                    await writer.WriteLineAsync("221 2.0.0 bye");
                    return;
                default:
                    await writer.WriteLineAsync(Scripted(verb) ?? "250 2.0.0 OK");
                    break;
            }
        }
    }

    private string? Scripted(string verb)
    {
        if (!script.TryGetValue(verb, out var reply))
        {
            return null;
        }

        return refuseOnce && Interlocked.Increment(ref refusals) > 1 ? null : reply;
    }
}
