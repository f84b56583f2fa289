using OneValet.Pipeline.Devices;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Devices;

/// <summary>
/// Issue 16.3: the device registry decides which uploads are catalogued and which are quarantined (<c>unknown-device</c>,
/// O1), so each change of it is in the audit trail: registration, a change of doors, retirement; once each (a repeated
/// write that changes nothing, a second retirement, adds nothing), ids only.
/// </summary>
public sealed class DeviceRegistryAuditTests
{
    [Fact]
    public async Task Registration_a_change_of_doors_and_retirement_are_audited_once_each()
    {
        await using var h = await PipelineHarness.StartAsync();
        var registry = h.Get<DeviceRegistry>();
        var now = h.Clock.GetUtcNow();

        Assert.Equal(DeviceChange.Registered, (await registry.PutAsync("b-1", "console-1", ["lobby"], now, default)).Change);
        Assert.Equal(DeviceChange.Updated, (await registry.PutAsync("b-1", "console-1", ["lobby"], now.AddMinutes(1), default)).Change);
        Assert.Equal(DeviceChange.Updated, (await registry.PutAsync("b-1", "console-1", ["lobby", "garage"], now.AddMinutes(2), default)).Change);
        Assert.Equal(DeviceChange.OtherBuilding, (await registry.PutAsync("b-2", "console-1", ["lobby"], now.AddMinutes(3), default)).Change);
        Assert.NotNull(await registry.RetireAsync("b-1", "console-1", now.AddMinutes(4), default));
        Assert.NotNull(await registry.RetireAsync("b-1", "console-1", now.AddMinutes(5), default));

        var entries = (await h.AuditsAsync()).Where(a => a.ItemRef == "devices/b-1/console-1").OrderBy(a => a.At).ToList();
        Assert.Equal(["device-registered", "device-doors-changed", "device-retired"], entries.Select(e => e.Action));
        Assert.Equal(["lobby", "garage,lobby", "garage,lobby"], entries.Select(e => e.ReasonCode));
        Assert.Equal([now, now.AddMinutes(2), now.AddMinutes(4)], entries.Select(e => e.At));
        Assert.All(entries, e => Assert.Equal("O1", e.Obligation));
        Assert.DoesNotContain(await h.AuditsAsync(), a => a.ItemRef == "devices/b-2/console-1");
    }
}
