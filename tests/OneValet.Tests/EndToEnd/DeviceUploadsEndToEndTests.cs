using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Devices;
using OneValet.Pipeline.Ingestion;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.EndToEnd;

/// <summary>
/// Issue 16.3 on the real local host against Azurite: property management registers a console for its doors; the console
/// gets an upload grant (a create-only SAS per blob name) and uploads with it; the same SAS cannot read, overwrite, list,
/// delete or write another door or building; another console's grant, a door not registered, an unknown and a retired
/// console are refused; an upload the registry does not vouch for is quarantined <c>unknown-device</c> and catalogued
/// under its claimed rule (O1, O2, O4).
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class DeviceUploadsEndToEndTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_registered_console_uploads_only_what_its_grant_names_and_nothing_else_is_catalogued()
    {
        await AzuriteFixture.EnsureRunningAsync();
        await using var host = new LocalHostProcess("devices", new Dictionary<string, string> { ["OneValet:Ingestion:RegisteredDevicesOnly"] = "true" });
        await host.StartAsync();
        var manager = await host.ManagerAsync("b-1");
        var otherManager = await host.ManagerAsync("b-2");

        // Registry: property management of the building, one building per device id, doors are ids.
        using (var created = await manager.PutAsJsonAsync("buildings/b-1/devices/console-1", new { doorIds = new[] { "lobby" } }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var updated = await manager.PutAsJsonAsync("buildings/b-1/devices/console-1", new { doorIds = new[] { "lobby", "garage" } }))
        {
            Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        }

        using (var elsewhere = await otherManager.PutAsJsonAsync("buildings/b-2/devices/console-1", new { doorIds = new[] { "lobby" } }))
        {
            Assert.Equal(HttpStatusCode.Conflict, elsewhere.StatusCode); // the same device id claimed by another building
        }

        using (var notTheirs = await otherManager.PutAsJsonAsync("buildings/b-1/devices/console-2", new { doorIds = new[] { "lobby" } }))
        {
            Assert.Equal(HttpStatusCode.NotFound, notTheirs.StatusCode); // a manager of b-2 does not reach b-1
        }

        foreach (var bad in new object[] { new { doorIds = Array.Empty<string>() }, new { doorIds = new[] { "Lobby" } }, new { doorIds = new[] { "open" } } })
        {
            using var refused = await manager.PutAsJsonAsync("buildings/b-1/devices/console-2", bad);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        var listed = await manager.GetFromJsonAsync<List<DeviceRecord>>("buildings/b-1/devices", ApiJson.Options);
        var registered = Assert.Single(listed!);
        Assert.Equal(["garage", "lobby"], registered.DoorIds);
        Assert.Equal(DeviceStatus.Active, registered.Status);
        Assert.Empty((await otherManager.GetFromJsonAsync<List<DeviceRecord>>("buildings/b-2/devices", ApiJson.Options))!);

        // The grant: one SAS per blob name, create only, minutes.
        var console = await host.DeviceAsync("console-1", "b-1", "lobby", "garage");
        var grant = await GrantAsync(console, "console-1", ("lobby", "cap-1", "mp4"), ("garage", "cap-2", "jpg"));
        Assert.InRange(grant.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(1), DateTimeOffset.UtcNow.AddMinutes(16));
        Assert.Equal(["b-1/lobby/cap-1.mp4", "b-1/garage/cap-2.jpg"], grant.Uploads.Select(u => u.BlobName));
        var sas = grant.Uploads[0].UploadUrl;
        Assert.Contains("sp=c&", sas.Query + "&", StringComparison.Ordinal);
        Assert.Contains("sr=b", sas.Query, StringComparison.Ordinal);

        var captured = DateTimeOffset.UtcNow.AddMinutes(-1);
        var video = Hardware.Mp4(20_000);
        var upload = new BlobClient(sas);
        using (var stream = new MemoryStream(video))
        {
            await upload.UploadAsync(stream, new BlobUploadOptions { Metadata = Hardware.Metadata(captured, deviceId: "console-1") });
        }

        var record = await host.WaitForAsync<RecordingRecord>("recordings/b-1/lobby/cap-1", Wait);
        Assert.Equal("console-1", record.DeviceId);
        Assert.Equal(Hardware.Sha256(video), record.Sha256);

        // The same SAS: no read, no overwrite, no delete, no list, no other name (door or building).
        await AssertRefusedAsync(() => upload.DownloadContentAsync());
        await AssertRefusedAsync(() => upload.GetPropertiesAsync());
        await AssertRefusedAsync(async () =>
        {
            using var again = new MemoryStream(Hardware.Mp4(20_000, seed: 9));
            return await upload.UploadAsync(again, new BlobUploadOptions { Metadata = Hardware.Metadata(captured, deviceId: "console-1") });
        });
        await AssertRefusedAsync(() => upload.DeleteAsync());
        await AssertRefusedAsync(() => upload.SetMetadataAsync(new Dictionary<string, string> { ["deviceid"] = "console-9" }));
        var containerWithSas = new BlobContainerClient(new UriBuilder(sas) { Path = $"/{sas.Segments[1]}{host.RecordingsContainer}" }.Uri);
        await AssertRefusedAsync<BlobItem?>(async () =>
        {
            await foreach (var item in containerWithSas.GetBlobsAsync())
            {
                return item;
            }

            return null;
        });
        foreach (var other in new[] { "b-1/roof/cap-1.mp4", "b-2/lobby/cap-1.mp4", "b-1/lobby/cap-3.mp4" })
        {
            var elsewhere = new BlobClient(new UriBuilder(sas) { Path = $"/{sas.Segments[1]}{host.RecordingsContainer}/{other}" }.Uri);
            await AssertRefusedAsync(async () =>
            {
                using var stream = new MemoryStream(video);
                return await elsewhere.UploadAsync(stream, new BlobUploadOptions { Metadata = Hardware.Metadata(captured, deviceId: "console-1") });
            });
        }

        Assert.Equal(Hardware.Sha256(video), (await host.WaitForAsync<RecordingRecord>("recordings/b-1/lobby/cap-1", Wait)).Sha256);

        // Refused grants: a door not registered, another console's id, another building, an unknown console, bad bodies.
        using (var roof = await PostGrantAsync(console, "b-1", "console-1", ("roof", "cap-4", "mp4")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, roof.StatusCode);
            Assert.Contains("door-not-granted", await roof.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var narrowToken = await host.DeviceAsync("console-1", "b-1", "lobby");
        using (var narrowed = await PostGrantAsync(narrowToken, "b-1", "console-1", ("garage", "cap-4", "mp4")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, narrowed.StatusCode); // the token's doors narrow the registry's
        }

        using (var registerOther = await manager.PutAsJsonAsync("buildings/b-1/devices/console-2", new { doorIds = new[] { "lobby" } }))
        {
            Assert.Equal(HttpStatusCode.Created, registerOther.StatusCode);
        }

        using (var anothers = await PostGrantAsync(console, "b-1", "console-2", ("lobby", "cap-5", "mp4")))
        {
            Assert.Equal(HttpStatusCode.NotFound, anothers.StatusCode);
        }

        using (var otherBuilding = await PostGrantAsync(console, "b-2", "console-1", ("lobby", "cap-5", "mp4")))
        {
            Assert.Equal(HttpStatusCode.NotFound, otherBuilding.StatusCode);
        }

        var stranger = await host.DeviceAsync("console-3", "b-1", "lobby");
        using (var unknown = await PostGrantAsync(stranger, "b-1", "console-3", ("lobby", "cap-6", "mp4")))
        {
            Assert.Equal(HttpStatusCode.Conflict, unknown.StatusCode);
            Assert.Contains("unknown-device", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        foreach (var bad in new[] { ("lobby", "cap-7", "png"), ("lobby", "../x", "mp4"), ("Lobby", "cap-7", "mp4") })
        {
            using var refused = await PostGrantAsync(console, "b-1", "console-1", bad);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        using (var twice = await PostGrantAsync(console, "b-1", "console-1", ("lobby", "cap-8", "mp4"), ("lobby", "cap-8", "mp4")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, twice.StatusCode);
        }

        // Uploads the registry does not vouch for, written with the account key (whatever a console or anyone else with
        // write access puts there): quarantined unknown-device and catalogued under the claimed building.
        var container = new BlobServiceClient(AzuriteFixture.ConnectionString).GetBlobContainerClient(host.RecordingsContainer);
        var forged = new (string Name, string Device)[]
        {
            ("b-1/lobby/forged-unknown.mp4", "console-9"),   // a device nobody registered
            ("b-1/roof/forged-door.mp4", "console-1"),       // a registered console at a door not its own
            ("b-2/lobby/forged-building.mp4", "console-1"),  // a registered console in another building
        };
        foreach (var (name, device) in forged)
        {
            await Hardware.UploadAsync(container, name, Hardware.Mp4(5_000, seed: name.Length), Hardware.Metadata(captured, deviceId: device));
        }

        // Retirement: no grant, and what it still uploads (a grant issued before) is quarantined.
        var grantBefore = await GrantAsync(console, "console-1", ("lobby", "cap-9", "mp4"));
        using (var retired = await manager.PostAsync(new Uri("buildings/b-1/devices/console-1/retirement", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, retired.StatusCode);
        }

        using (var afterRetirement = await PostGrantAsync(console, "b-1", "console-1", ("lobby", "cap-10", "mp4")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, afterRetirement.StatusCode);
            Assert.Contains("device-retired", await afterRetirement.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var reactivate = await manager.PutAsJsonAsync("buildings/b-1/devices/console-1", new { doorIds = new[] { "lobby" } }))
        {
            Assert.Equal(HttpStatusCode.Conflict, reactivate.StatusCode);
        }

        using (var stream = new MemoryStream(Hardware.Mp4(5_000, seed: 3)))
        {
            await new BlobClient(grantBefore.Uploads[0].UploadUrl).UploadAsync(stream, new BlobUploadOptions { Metadata = Hardware.Metadata(captured, deviceId: "console-1") });
        }

        var quarantine = new BlobServiceClient(AzuriteFixture.ConnectionString).GetBlobContainerClient(host.QuarantineContainer);
        foreach (var name in forged.Select(f => f.Name).Append("b-1/lobby/cap-9.mp4"))
        {
            var blob = quarantine.GetBlobClient(name);
            await host.WaitUntilAsync(async () => (await blob.ExistsAsync()).Value, Wait);
            Assert.Equal(RecordingIngestor.UnknownDevice, (await blob.GetPropertiesAsync()).Value.Metadata["quarantinereason"]);
            using var notCatalogued = await host.Http.GetAsync(new Uri("recordings/" + name[..name.LastIndexOf('.')], UriKind.Relative));
            Assert.Equal(HttpStatusCode.NotFound, notCatalogued.StatusCode);
        }

        // Catalogued like every refused upload (retention deletes it under its claimed rule): the quarantine list has each.
        var from = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("O"));
        var to = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"));
        var list = JsonNode.Parse(await host.Http.GetStringAsync(new Uri($"quarantine?from={from}&to={to}&pageSize=100", UriKind.Relative)))!;
        var entries = Objects(list).Where(o => o["reasonCode"]?.GetValue<string>() == RecordingIngestor.UnknownDevice).ToList();
        Assert.Equal(
            forged.Select(f => f.Name).Append("b-1/lobby/cap-9.mp4").Select(n => $"{host.RecordingsContainer}/{n}").Order(StringComparer.Ordinal),
            entries.Select(o => o["itemRef"]?.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.All(entries, o => Assert.StartsWith("quarantined-footage", o["ruleId"]?.GetValue<string>(), StringComparison.Ordinal)); // O2: the claimed kind's rule
        Assert.DoesNotContain("Unhandled exception", host.Output, StringComparison.Ordinal);
    }

    private static async Task<UploadGrant> GrantAsync(HttpClient device, string deviceId, params (string Door, string Capture, string Ext)[] uploads)
    {
        using var response = await PostGrantAsync(device, "b-1", deviceId, uploads);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonSerializer.Deserialize<UploadGrant>(body, ApiJson.Options)!;
    }

    private static Task<HttpResponseMessage> PostGrantAsync(HttpClient device, string buildingId, string deviceId, params (string Door, string Capture, string Ext)[] uploads) =>
        device.PostAsJsonAsync(
            $"buildings/{buildingId}/devices/{deviceId}/upload-grant",
            new { uploads = uploads.Select(u => new { doorId = u.Door, captureId = u.Capture, extension = u.Ext }) });

    private static async Task AssertRefusedAsync<T>(Func<Task<T>> call)
    {
        var e = await Assert.ThrowsAsync<RequestFailedException>(async () => await call());
        Assert.Equal(403, e.Status);
    }

    private static IEnumerable<JsonObject> Objects(JsonNode? node) => node switch
    {
        JsonObject o => o.Select(p => p.Value).SelectMany(Objects).Prepend(o),
        JsonArray a => a.SelectMany(Objects),
        _ => [],
    };
}
