using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Requests;

/// <summary>O10: an agent's signed permission is a document of a known kind and bounded size, kept under its request and
/// deleted with the request's record (O18) by the one deletion path.</summary>
public sealed class AgentPermissionsTests
{
    public static TheoryData<byte[], string?> Documents => new()
    {
        { "%PDF-1.7\n..."u8.ToArray(), "pdf" },
        { [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10], "jpg" },
        { [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0], "png" },
        { "I, the undersigned, agree"u8.ToArray(), null },
        { "%PDF"u8.ToArray(), null },
        { [0x89, 0x50, 0x4E, 0x47], null },
        { new byte[AgentPermissions.MaxBytes + 1], null },
    };

    [Theory]
    [MemberData(nameof(Documents))]
    public void A_document_is_a_pdf_jpeg_or_png_of_at_most_512_KiB(byte[] bytes, string? extension)
    {
        var (decoded, kind, error) = AgentPermissions.Decode(Convert.ToBase64String(bytes));
        Assert.Equal(extension, kind);
        Assert.Equal(extension is null, error is not null);
        if (extension is not null)
        {
            Assert.Equal(bytes, decoded);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not base64!")]
    [InlineData("JVBERi0=\u0000")]
    public void Anything_else_is_refused_with_a_sentence(string? text) =>
        Assert.NotNull(AgentPermissions.Decode(text).Error);

    [Fact]
    public async Task The_document_goes_with_the_request_record_through_the_deletion_path()
    {
        await using var h = await PipelineHarness.StartAsync();
        var now = h.Clock.GetUtcNow();
        var (name, sha) = await h.Get<AgentPermissions>().StoreAsync("req-agent", "%PDF-1.4 permission"u8.ToArray(), "pdf", default);
        Assert.Equal(64, sha.Length);
        await h.Store.CreateAsync(Containers.Requests, "req-agent", PrivacyRequestRecord.DocumentId, new PrivacyRequestRecord
        {
            RequestId = "req-agent", Type = RequestType.Access, Jurisdiction = "california", Channel = "email", SubjectId = "r-agent",
            ReceivedAt = now, AcknowledgeBy = now.AddDays(10), DueAt = now.AddDays(45), Status = RequestStatus.Completed, ClosedAt = now,
            Agent = new AgentInput("Advocate LLP", "agent@agents.test", "signed", true, name),
        });
        var documents = h.Get<Azure.Storage.Blobs.BlobServiceClient>().GetBlobContainerClient("doc" + h.Suffix);
        Assert.True((await documents.GetBlobClient(name).ExistsAsync()).Value);

        var entry = new ScheduleEntry
        {
            Kind = ItemKind.PrivacyRequest, ItemPartition = "req-agent", ItemId = PrivacyRequestRecord.DocumentId, BuildingId = "requests", EventAt = now,
            Category = "request-record", Rule = new RetentionRule("request-record-24m", "O18", TimeSpan.FromDays(730), RetentionAction.Delete), Deadline = now,
        };
        var outcome = await h.Get<RetentionEnforcer>().DeleteUnlessHeldAsync(entry, await h.Get<HoldRegistry>().SnapshotAsync(default), resumeAfterHold: false, default);
        Assert.True(outcome.Deleted);
        Assert.False((await documents.GetBlobClient(name).ExistsAsync()).Value);
        Assert.Null(await h.Store.ReadAsync<System.Text.Json.JsonElement>(Containers.Requests, "req-agent", PrivacyRequestRecord.DocumentId));
        var audit = Assert.Single(await h.AuditsAsync(), a => a.Action == "deleted" && a.Outcome == "completed" && a.ItemRef.StartsWith("privacyRequest/req-agent", StringComparison.Ordinal));
        Assert.Contains("1 request document(s) deleted", audit.How, StringComparison.Ordinal);
    }
}
