using System.Net;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using OneValet.Client;
using OneValet.Pipeline.Ingestion;
using OneValet.Tests.Infrastructure;
using Xunit;
using Models = OneValet.Client.Models;

namespace OneValet.Tests.EndToEnd;

/// <summary>
/// Issue 16.3 on the real local host against Azurite: property management registers a console for its doors; the console
/// gets an upload grant (a create-only SAS per blob name) and uploads with it; the same SAS cannot read, overwrite, list,
/// delete or write another door or building; another console's grant, a door not registered, an unknown and a retired
/// console are refused; an upload the registry does not vouch for is quarantined <c>unknown-device</c> and catalogued
/// under its claimed rule (O1, O2, O4). Every call to the API goes through the client generated from the OpenAPI document
/// (issue 20.2), the refused ones included (other spellings of a door, a path outside the grant, a repeated name are
/// values the client can send).
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
        var manager = await host.ManagerApiAsync("b-1");
        var otherManager = await host.ManagerApiAsync("b-2");

        // Registry: property management of the building, one building per device id, doors are ids.
        await ApiAssert.AnswersAsync(HttpStatusCode.Created, s => RegisterAsync(manager, "b-1", "console-1", ["lobby"], s));
        await ApiAssert.AnswersAsync(HttpStatusCode.OK, s => RegisterAsync(manager, "b-1", "console-1", ["lobby", "garage"], s));
        await ApiAssert.RefusedAsync(HttpStatusCode.Conflict, null, () => RegisterAsync(otherManager, "b-2", "console-1", ["lobby"])); // the same device id claimed by another building
        await ApiAssert.RefusedAsync(HttpStatusCode.NotFound, null, () => RegisterAsync(otherManager, "b-1", "console-2", ["lobby"])); // a manager of b-2 does not reach b-1
        foreach (var bad in new List<string>[] { [], ["Lobby"], ["open"] })
        {
            await ApiAssert.RefusedAsync(HttpStatusCode.BadRequest, null, () => RegisterAsync(manager, "b-1", "console-2", bad));
        }

        var listed = await manager.Api.Buildings["b-1"].Devices.GetAsync();
        var registered = Assert.Single(listed!);
        Assert.Equal(["garage", "lobby"], registered.DoorIds!);
        Assert.Equal(Models.DeviceRecord_status.Active, registered.Status);
        Assert.Empty((await otherManager.Api.Buildings["b-2"].Devices.GetAsync())!);

        // The grant: one SAS per blob name, create only, minutes.
        var console = await host.DeviceApiAsync("console-1", "b-1", "lobby", "garage");
        var grant = await GrantAsync(console, "console-1", ("lobby", "cap-1", "mp4"), ("garage", "cap-2", "jpg"));
        Assert.InRange(grant.ExpiresAt!.Value, DateTimeOffset.UtcNow.AddMinutes(1), DateTimeOffset.UtcNow.AddMinutes(16));
        Assert.Equal(["b-1/lobby/cap-1.mp4", "b-1/garage/cap-2.jpg"], grant.Uploads!.Select(u => u.BlobName));
        var sas = new Uri(grant.Uploads![0].UploadUrl!);
        Assert.Contains("sp=c&", sas.Query + "&", StringComparison.Ordinal);
        Assert.Contains("sr=b", sas.Query, StringComparison.Ordinal);

        var captured = DateTimeOffset.UtcNow.AddMinutes(-1);
        var video = Hardware.Mp4(20_000);
        var upload = new BlobClient(sas);
        using (var stream = new MemoryStream(video))
        {
            await upload.UploadAsync(stream, new BlobUploadOptions { Metadata = Hardware.Metadata(captured, deviceId: "console-1") });
        }

        var record = await host.WaitForAsync(api => api.Api.Recordings["b-1"]["lobby"]["cap-1"].GetAsync(), Wait);
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

        Assert.Equal(Hardware.Sha256(video), (await host.WaitForAsync(api => api.Api.Recordings["b-1"]["lobby"]["cap-1"].GetAsync(), Wait)).Sha256);

        // Refused grants: a door not registered, another console's id, another building, an unknown console, bad bodies.
        await ApiAssert.RefusedAsync(HttpStatusCode.Forbidden, "door-not-granted", () => PostGrantAsync(console, "b-1", "console-1", ("roof", "cap-4", "mp4")));

        var narrowToken = await host.DeviceApiAsync("console-1", "b-1", "lobby");
        await ApiAssert.RefusedAsync(HttpStatusCode.Forbidden, null, () => PostGrantAsync(narrowToken, "b-1", "console-1", ("garage", "cap-4", "mp4"))); // the token's doors narrow the registry's

        await ApiAssert.AnswersAsync(HttpStatusCode.Created, s => RegisterAsync(manager, "b-1", "console-2", ["lobby"], s));
        await ApiAssert.RefusedAsync(HttpStatusCode.NotFound, null, () => PostGrantAsync(console, "b-1", "console-2", ("lobby", "cap-5", "mp4")));
        await ApiAssert.RefusedAsync(HttpStatusCode.NotFound, null, () => PostGrantAsync(console, "b-2", "console-1", ("lobby", "cap-5", "mp4")));

        var stranger = await host.DeviceApiAsync("console-3", "b-1", "lobby");
        await ApiAssert.RefusedAsync(HttpStatusCode.Conflict, "unknown-device", () => PostGrantAsync(stranger, "b-1", "console-3", ("lobby", "cap-6", "mp4")));

        foreach (var bad in new[] { ("lobby", "cap-7", "png"), ("lobby", "../x", "mp4"), ("Lobby", "cap-7", "mp4") })
        {
            await ApiAssert.RefusedAsync(HttpStatusCode.BadRequest, null, () => PostGrantAsync(console, "b-1", "console-1", bad));
        }

        await ApiAssert.RefusedAsync(HttpStatusCode.BadRequest, null, () => PostGrantAsync(console, "b-1", "console-1", ("lobby", "cap-8", "mp4"), ("lobby", "cap-8", "mp4")));

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
        await ApiAssert.AnswersAsync(HttpStatusCode.OK, s => manager.Api.Buildings["b-1"].Devices["console-1"].Retirement.PostAsync(c => c.Options.Add(s)));
        await ApiAssert.RefusedAsync(HttpStatusCode.Forbidden, "device-retired", () => PostGrantAsync(console, "b-1", "console-1", ("lobby", "cap-10", "mp4")));
        await ApiAssert.RefusedAsync(HttpStatusCode.Conflict, null, () => RegisterAsync(manager, "b-1", "console-1", ["lobby"]));

        using (var stream = new MemoryStream(Hardware.Mp4(5_000, seed: 3)))
        {
            await new BlobClient(new Uri(grantBefore.Uploads![0].UploadUrl!)).UploadAsync(stream, new BlobUploadOptions { Metadata = Hardware.Metadata(captured, deviceId: "console-1") });
        }

        var quarantine = new BlobServiceClient(AzuriteFixture.ConnectionString).GetBlobContainerClient(host.QuarantineContainer);
        foreach (var name in forged.Select(f => f.Name).Append("b-1/lobby/cap-9.mp4"))
        {
            var blob = quarantine.GetBlobClient(name);
            await host.WaitUntilAsync(async () => (await blob.ExistsAsync()).Value, Wait);
            Assert.Equal(RecordingIngestor.UnknownDevice, (await blob.GetPropertiesAsync()).Value.Metadata["quarantinereason"]);
            var segments = name[..name.LastIndexOf('.')].Split('/');
            await ApiAssert.RefusedAsync(HttpStatusCode.NotFound, null, () => host.Api.Api.Recordings[segments[0]][segments[1]][segments[2]].GetAsync());
        }

        // Catalogued like every refused upload (retention deletes it under its claimed rule): the quarantine list has each.
        var page = await host.Api.Api.Quarantine.GetAsync(c =>
        {
            c.QueryParameters.From = DateTimeOffset.UtcNow.AddHours(-1);
            c.QueryParameters.To = DateTimeOffset.UtcNow.AddHours(1);
            c.QueryParameters.PageSize = "100";
        });
        var entries = page!.Items!.Select(i => i.Entry!).Where(e => e.ReasonCode == RecordingIngestor.UnknownDevice).ToList();
        Assert.Equal(
            forged.Select(f => f.Name).Append("b-1/lobby/cap-9.mp4").Select(n => $"{host.RecordingsContainer}/{n}").Order(StringComparer.Ordinal),
            entries.Select(e => e.ItemRef).Order(StringComparer.Ordinal));
        Assert.All(entries, e => Assert.StartsWith("quarantined-footage", e.RuleId, StringComparison.Ordinal)); // O2: the claimed kind's rule
        Assert.DoesNotContain("Unhandled exception", host.Output, StringComparison.Ordinal);
    }

    private static Task<Models.DeviceRecord?> RegisterAsync(OneValetClient manager, string buildingId, string deviceId, List<string> doorIds, Contract.ResponseStatus? status = null) =>
        manager.Api.Buildings[buildingId].Devices[deviceId].PutAsync(new Models.DeviceInput { DoorIds = doorIds }, c =>
        {
            if (status is not null)
            {
                c.Options.Add(status);
            }
        });

    private static Task<Models.UploadGrant> GrantAsync(OneValetClient device, string deviceId, params (string Door, string Capture, string Ext)[] uploads) =>
        ApiAssert.AnswersAsync(HttpStatusCode.OK, s => PostGrantAsync(device, "b-1", deviceId, s, uploads));

    private static Task<Models.UploadGrant?> PostGrantAsync(OneValetClient device, string buildingId, string deviceId, params (string Door, string Capture, string Ext)[] uploads) =>
        PostGrantAsync(device, buildingId, deviceId, null, uploads);

    private static Task<Models.UploadGrant?> PostGrantAsync(OneValetClient device, string buildingId, string deviceId, Contract.ResponseStatus? status, params (string Door, string Capture, string Ext)[] uploads) =>
        device.Api.Buildings[buildingId].Devices[deviceId].UploadGrant.PostAsync(
            new Models.UploadGrantInput { Uploads = [.. uploads.Select(u => new Models.UploadGrantInput_uploads { DoorId = u.Door, CaptureId = u.Capture, Extension = u.Ext })] },
            c =>
            {
                if (status is not null)
                {
                    c.Options.Add(status);
                }
            });

    private static async Task AssertRefusedAsync<T>(Func<Task<T>> call)
    {
        var e = await Assert.ThrowsAsync<RequestFailedException>(async () => await call());
        Assert.Equal(403, e.Status);
    }
}
