using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MimeKit;
using OneValet.Pipeline.Notifications;

namespace OneValet.Benchmarks;

/// <summary>
/// The email path against the local SMTP catcher (maildev on 127.0.0.1:1025, started by infra/start-emulators.sh):
/// N messages through <see cref="EmailSender"/> (one kept connection) one after another and from 50 concurrent callers,
/// against raw MailKit on one connection, on 4 parallel connections, and with a new connection per message, in the same run.
/// Every message is checked to have arrived exactly once through maildev's REST API, then deleted.
/// </summary>
internal static class EmailBenchmark
{
    private const string Host = "127.0.0.1";
    private const int SmtpPort = 1025;
    private static readonly Uri Api = new("http://127.0.0.1:1080/");

    public static async Task RunAsync(int count)
    {
        var options = new EmailOptions
        {
            SmtpHost = Host,
            SmtpPort = SmtpPort,
            UseTls = false,
            FromAddress = "no-reply@onevalet.test",
            PrivacyOfficerAddress = "privacy@onevalet.test",
        };
        Console.WriteLine($"email benchmark: {count} messages per run to maildev on {Host}:{SmtpPort}, {Environment.ProcessorCount} cores");
        await using var sender = new EmailSender(Options.Create(options), NullLogger<EmailSender>.Instance);

        // Warm-up (JIT, the first connection), not measured.
        await Run("warm-up", 20, async to =>
        {
            for (int i = 0; i < 20; i++)
            {
                await Expect(sender.SendAsync(new OutgoingEmail($"warm-{i}", to, "Warm-up", "Warm-up")));
            }
        });

        var serial = await Run("serial", count, async to =>
        {
            for (int i = 0; i < count; i++)
            {
                await Expect(sender.SendAsync(new OutgoingEmail($"serial-{i}", to, "Benchmark", "Body " + i)));
            }
        });
        var concurrent = await Run("concurrent", count, to => Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 50 }, async (i, ct) =>
            await Expect(sender.SendAsync(new OutgoingEmail($"concurrent-{i}", to, "Benchmark", "Body " + i), ct))));
        var rawKept = await Run("raw-kept", count, async to =>
        {
            using var client = new SmtpClient();
            await client.ConnectAsync(Host, SmtpPort, SecureSocketOptions.None);
            for (int i = 0; i < count; i++)
            {
                using var message = Message($"raw-kept-{i}", to, i);
                await client.SendAsync(message);
            }

            await client.DisconnectAsync(quit: true);
        });
        var rawFour = await Run("raw-four", count, to => Task.WhenAll(Enumerable.Range(0, 4).Select(async lane =>
        {
            using var client = new SmtpClient();
            await client.ConnectAsync(Host, SmtpPort, SecureSocketOptions.None);
            for (int i = lane; i < count; i += 4)
            {
                using var message = Message($"raw-four-{i}", to, i);
                await client.SendAsync(message);
            }

            await client.DisconnectAsync(quit: true);
        })));
        var rawNew = await Run("raw-new", count, async to =>
        {
            for (int i = 0; i < count; i++)
            {
                using var client = new SmtpClient();
                await client.ConnectAsync(Host, SmtpPort, SecureSocketOptions.None);
                using var message = Message($"raw-new-{i}", to, i);
                await client.SendAsync(message);
                await client.DisconnectAsync(quit: true);
            }
        });

        Console.WriteLine($"  EmailSender, one kept connection, serial:        {serial,8:F0} messages/s");
        Console.WriteLine($"  EmailSender, one kept connection, 50 callers:    {concurrent,8:F0} messages/s");
        Console.WriteLine($"  raw MailKit, one connection, serial:             {rawKept,8:F0} messages/s  (EmailSender/raw {serial / rawKept:F2})");
        Console.WriteLine($"  raw MailKit, 4 connections in parallel:          {rawFour,8:F0} messages/s  (what a pool of 4 could reach)");
        Console.WriteLine($"  raw MailKit, new connection per message, serial: {rawNew,8:F0} messages/s  (kept/new {serial / rawNew:F2})");
        Console.WriteLine("  every message arrived exactly once (checked through maildev's REST API after each run)");
    }

    /// <summary>Times one run to a recipient of its own (messages/s), then checks in maildev that each of its
    /// <paramref name="count"/> messages arrived exactly once, and deletes them.</summary>
    private static async Task<double> Run(string name, int count, Func<string, Task> send)
    {
        string to = $"bench-{name}-{Guid.NewGuid():N}@residents.onevalet.test";
        var watch = Stopwatch.StartNew();
        await send(to);
        double rate = count / watch.Elapsed.TotalSeconds;
        var (arrived, distinct) = await CountAndDeleteAsync(to, count);
        if (arrived != count || distinct != count)
        {
            throw new InvalidOperationException($"{name}: {arrived} messages arrived, {distinct} distinct, of {count} sent.");
        }

        return rate;
    }

    private static async Task Expect(Task<EmailOutcome> send)
    {
        var outcome = await send;
        if (outcome is not EmailOutcome.Delivered)
        {
            throw new InvalidOperationException($"not delivered: {outcome}");
        }
    }

    private static MimeMessage Message(string id, string to, int i)
    {
        var message = new MimeMessage { Subject = "Benchmark", MessageId = $"{id}@onevalet", Body = new TextPart("plain") { Text = "Body " + i } };
        message.From.Add(new MailboxAddress("OneValet", "no-reply@onevalet.test"));
        message.To.Add(MailboxAddress.Parse(to));
        return message;
    }

    /// <summary>Waits until maildev holds <paramref name="expected"/> messages for the run's recipient (or 30 s pass),
    /// counts them and their distinct Message-IDs, and deletes them.</summary>
    private static async Task<(int Arrived, int Distinct)> CountAndDeleteAsync(string to, int expected)
    {
        using var http = new HttpClient { BaseAddress = Api };
        var watch = Stopwatch.StartNew();
        List<JsonElement> caught;
        do
        {
            caught = await http.GetFromJsonAsync<List<JsonElement>>($"api/email?to.address={Uri.EscapeDataString(to)}") ?? [];
        }
        while (caught.Count < expected && watch.Elapsed < TimeSpan.FromSeconds(30) && await Delay());

        var ids = caught.Select(c => c.GetProperty("id").GetString()).ToList();
        int distinct = caught.Select(c => c.GetProperty("headers").GetProperty("message-id").GetString()).Distinct(StringComparer.Ordinal).Count();
        using var deleted = await http.PostAsJsonAsync("api/email/delete", new { ids });
        deleted.EnsureSuccessStatusCode();
        return (caught.Count, distinct);
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(100);
        return true;
    }
}
