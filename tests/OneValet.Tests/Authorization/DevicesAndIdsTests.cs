using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Http;
using OneValet.Pipeline.Api;
using System.Text.Json;
using OneValet.Pipeline.Disclosures;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.EndToEnd;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Authorization;

/// <summary>
/// Issue 13, item 5: a console vouches only for its own doors and only for people of its own building; ids that would
/// name an internal partition are refused everywhere ids are accepted, and a building's own records can never be
/// reached through a resident id; a resident who changes a shared setting is the one recorded as changing it.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class DevicesAndIdsTests
{
    [Fact]
    public async Task A_console_vouches_only_for_its_doors_and_its_building_s_people_and_reserved_ids_are_refused()
    {
        await AzuriteFixture.EnsureRunningAsync();
        await using var host = new LocalHostProcess("authz-devices");
        await host.StartAsync();
        foreach (var (id, building) in new[] { ("r-1", "b-1"), ("r-2", "b-2"), ("building-b-1", "b-1") })
        {
            var manager = await host.ManagerAsync(building);
            using var put = await manager.PutAsJsonAsync($"residents/{id}", new { buildingId = building, unitId = "u-1", movedInAt = DateTimeOffset.UtcNow.AddYears(-1), email = $"{id}@devices.test" }, ApiJson.Options);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var device = await host.DeviceAsync("console-1", "b-1", "door-1");
        async Task<HttpResponseMessage> PostAsync(string eventId, string? subjectId, string door = "door-1") =>
            await device.PostAsJsonAsync("buildings/b-1/door-events", new { events = new[] { new { eventId, doorId = door, method = "fob", subjectId, at = DateTimeOffset.UtcNow.AddMinutes(-1), granted = true } } }, ApiJson.Options);

        using (var own = await PostAsync("e-1", "r-1"))
        {
            Assert.True(own.IsSuccessStatusCode, await own.Content.ReadAsStringAsync());
        }

        using (var anonymousEvent = await PostAsync("e-2", null))
        {
            Assert.True(anonymousEvent.IsSuccessStatusCode);
        }

        using (var otherBuilding = await PostAsync("e-3", "r-2"))
        {
            Assert.Equal(HttpStatusCode.NotFound, otherBuilding.StatusCode); // the right person, the wrong building
        }

        using (var nobody = await PostAsync("e-4", "r-404"))
        {
            Assert.Equal(HttpStatusCode.NotFound, nobody.StatusCode);
        }

        using (var otherDoor = await PostAsync("e-5", "r-1", "door-2"))
        {
            Assert.Equal(HttpStatusCode.NotFound, otherDoor.StatusCode);
        }

        // A resident whose id reads like the building partition's old name has their own partition, apart from b-1's.
        using (var lookalike = await PostAsync("e-6", "building-b-1"))
        {
            Assert.True(lookalike.IsSuccessStatusCode);
        }

        var store = host.OpenStore();
        var subjectEvents = await store.QueryAsync<DoorEventRecord>(Containers.DoorEvents, "building-b-1", RecordQuery.All, 100, null);
        Assert.Equal(["e-6"], subjectEvents.Items.Select(i => i.Document.EventId));
        var buildingEvents = await store.QueryAsync<DoorEventRecord>(Containers.DoorEvents, DoorEventRecord.PartitionFor(null, "b-1"), RecordQuery.All, 100, null);
        Assert.Equal(["e-2"], buildingEvents.Items.Select(i => i.Document.EventId));

        // Ids naming internal partitions are refused wherever ids are accepted.
        var office = host.Http;
        foreach (var reserved in new[] { "open", "dedupe", "holds", "buckets", "subject-r-1" })
        {
            var manager = await host.ManagerAsync("b-1");
            using var put = await manager.PutAsJsonAsync($"residents/{reserved}", new { buildingId = "b-1", unitId = "u-1", movedInAt = DateTimeOffset.UtcNow.AddYears(-1), email = "x@devices.test" }, ApiJson.Options);
            Assert.True(put.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{reserved}: {put.StatusCode}");
            using var asSubject = await PostAsync("e-r", reserved);
            Assert.Equal(HttpStatusCode.BadRequest, asSubject.StatusCode);
            using var hold = await office.PostAsJsonAsync("holds", new { reason = "security-incident", scope = new { subjectId = reserved }, owner = "office@devices.test", reviewBy = DateTimeOffset.UtcNow.AddDays(5) }, ApiJson.Options);
            Assert.Equal(HttpStatusCode.BadRequest, hold.StatusCode);
            using var token = await new HttpClient { BaseAddress = office.BaseAddress }.PostAsJsonAsync("dev/tokens", new { role = "resident", subjectId = reserved });
            Assert.Equal(HttpStatusCode.BadRequest, token.StatusCode);
        }
    }

    [Fact]
    public async Task A_resident_is_recorded_as_the_one_who_changed_a_setting_and_others_may_name_only_the_unit_s_residents()
    {
        await using var harness = await PipelineHarness.StartAsync();
        foreach (var (id, unit) in new[] { ("r-1", "u-1"), ("r-2", "u-1"), ("r-3", "u-9") })
        {
            await harness.Store.UpsertAsync(Containers.Residents, id, ResidentRecord.DocumentId, new ResidentRecord
            {
                ResidentId = id, BuildingId = "b-1", UnitId = unit, MovedInAt = DateTimeOffset.UtcNow.AddYears(-1), Email = id + "@x.test", Jurisdiction = "other",
            });
        }

        var alerts = harness.Get<RoommateAlerts>();
        var queue = harness.Get<QueueServiceClient>().GetQueueClient("q" + harness.Suffix + "-setting-changes");

        // The resident r-1 claims r-2 made the change: recorded as r-1.
        var asResident = Request("{\"setting\":\"thermostat-setpoint\",\"value\":\"21\",\"changedBy\":\"r-2\"}", ("roles", "resident"), ("sub", "r-1"));
        Assert.Equal(StatusCodes.Status202Accepted, ((IStatusCodeHttpResult)await alerts.PostAsync("b-1", "u-1", asResident, default)).StatusCode);
        var message = (await queue.ReceiveMessageAsync()).Value;
        var change = StorageEnvelope.Parse(message.Body)!.Body.Deserialize<SettingChanged>(ApiJson.Options)!;
        Assert.Equal("r-1", change.ChangedBy);

        // A device names a resident of another unit: refused; of this unit: kept.
        var device = new[] { ("roles", "device"), ("device_id", "d-1"), ("building_ids", "b-1") };
        Assert.Equal(StatusCodes.Status400BadRequest, ((IStatusCodeHttpResult)await alerts.PostAsync("b-1", "u-1", Request("{\"setting\":\"thermostat-setpoint\",\"value\":\"21\",\"changedBy\":\"r-3\"}", device), default)).StatusCode);
        Assert.Equal(StatusCodes.Status202Accepted, ((IStatusCodeHttpResult)await alerts.PostAsync("b-1", "u-1", Request("{\"setting\":\"thermostat-setpoint\",\"value\":\"21\",\"changedBy\":\"r-2\"}", device), default)).StatusCode);
    }

    private static HttpRequest Request(string json, params (string Type, string Value)[] claims)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var context = new DefaultHttpContext { User = new ClaimsPrincipal(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)), "test")) };
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = bytes.Length;
        context.Request.Body = new MemoryStream(bytes);
        return context.Request;
    }
}
