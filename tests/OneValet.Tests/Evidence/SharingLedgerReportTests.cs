using System.Text.Json;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Disclosures;
using OneValet.Pipeline.Evidence;
using OneValet.Tests.Infrastructure;
using OneValet.Tests.Retention;
using Xunit;

namespace OneValet.Tests.Evidence;

/// <summary>
/// O12 in the compliance report, from the audit entries the sharing ledger writes (the ledger itself is per subject or
/// building, with no date index): every disclosure recorded in the period is listed, refusals too; one to a recipient
/// category outside the policy's list, or for marketing, advertising or sale, is missed. No recipient's name in the trail.
/// </summary>
public sealed class SharingLedgerReportTests
{
    private static readonly DateTimeOffset Monday = new(2026, 3, 2, 15, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Disclosures_and_refusals_are_listed_by_their_audit_entries_and_one_for_marketing_is_missed()
    {
        await using var h = await PipelineHarness.StartAsync(now: Monday);
        var api = h.Get<DisclosuresApi>();
        async Task<(int Status, string Body)> PostAsync(object body) =>
            await RetentionEngineTests.InvokeAsync(ctx => api.RecordAsync(RetentionEngineTests.Json(ctx, JsonSerializer.Serialize(body, ApiJson.Options)), default));

        var (shared, sharedBody) = await PostAsync(new
        {
            subjectId = "r-ledger-1", dataCategories = new[] { "identifiers" }, recipientCategory = RecipientCategory.PropertyManagement, recipientName = "Acme Management",
            purpose = DisclosurePurpose.PropertyManagement, legalBasis = "management contract",
        });
        Assert.Equal(201, shared);
        var disclosureId = JsonDocument.Parse(sharedBody).RootElement.GetProperty("disclosureId").GetString();
        h.Clock.Advance(TimeSpan.FromHours(1));
        var (marketing, _) = await PostAsync(new
        {
            buildingId = "b-1", dataCategories = new[] { "identifiers" }, recipientCategory = RecipientCategory.BusinessPartners, recipientName = "Acme Ads",
            purpose = DisclosurePurpose.Marketing, legalBasis = "none",
        });
        Assert.Equal(422, marketing);
        var (keyless, _) = await PostAsync(new
        {
            buildingId = "b-1", dataCategories = new[] { "authentication-data" }, recipientCategory = RecipientCategory.Affiliates, recipientName = "Acme Sister",
            purpose = DisclosurePurpose.Security, legalBasis = "group policy",
        });
        Assert.Equal(422, keyless);

        var loader = h.Get<ComplianceReportLoader>();
        var report = await loader.BuildAsync(Monday.AddDays(-1), Monday.AddDays(1), default);
        var line = Assert.Single(report.Lines, l => l.Id == "O12:ledger");
        Assert.Equal((LineStatus.Met, 3, 3), (line.Status, line.Due, line.OnTime));
        Assert.Contains(line.Items, i => i.ItemRef == "disclosures/" + disclosureId && i.Note!.Contains("PropertyManagement/PropertyManagement", StringComparison.Ordinal));
        Assert.Contains(line.Items, i => i.Note!.StartsWith("refused (never-for-marketing-or-sale): BusinessPartners/Marketing", StringComparison.Ordinal));
        Assert.Contains(line.Items, i => i.Note!.StartsWith("refused (keyless-entry-data)", StringComparison.Ordinal));
        Assert.All(line.Items, i => Assert.Single(i.AuditIds));

        var trail = await h.Get<AuditTrail>().AllAsync(Monday.AddDays(-1), Monday.AddDays(1), new AuditFilter(Obligation: "O12"), default);
        Assert.Equal(3, trail.Count);
        Assert.DoesNotContain(trail, t => JsonSerializer.Serialize(t.Entry).Contains("Acme", StringComparison.Ordinal));

        // A disclosure that got into the ledger for marketing, or to a category the policy does not list (as a bug or a
        // hand-made record would put it): each is named.
        await h.Get<AuditLog>().WriteAsync("bad-1", new AuditRecord
        {
            Action = DisclosuresApi.RecordedAction, ItemRef = "disclosures/dis-bad-1", Obligation = "O12", How = "Affiliates/Advertising", Category = "identifiers", Outcome = "recorded",
            At = Monday.AddHours(2), DoneAt = Monday.AddHours(2), EventAt = Monday.AddHours(2),
        }, default);
        await h.Get<AuditLog>().WriteAsync("bad-2", new AuditRecord
        {
            Action = DisclosuresApi.RecordedAction, ItemRef = "disclosures/dis-bad-2", Obligation = "O12", How = "DataBrokers/ServiceProvision", Category = "identifiers", Outcome = "recorded",
            At = Monday.AddHours(2), DoneAt = Monday.AddHours(2), EventAt = Monday.AddHours(2),
        }, default);
        var after = Assert.Single((await loader.BuildAsync(Monday.AddDays(-1), Monday.AddDays(1), default)).Lines, l => l.Id == "O12:ledger");
        Assert.Equal((LineStatus.Missed, 2, 3), (after.Status, after.Missed, after.OnTime));
        Assert.Contains("marketing, advertising or sale", Assert.Single(after.Items, i => i.ItemRef == "disclosures/dis-bad-1").Note, StringComparison.Ordinal);
        Assert.Contains("outside the policy's list", Assert.Single(after.Items, i => i.ItemRef == "disclosures/dis-bad-2").Note, StringComparison.Ordinal);
    }
}
