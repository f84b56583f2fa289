using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Devices;

/// <summary>What a registration did.</summary>
public enum DeviceChange
{
    Registered,
    Updated,

    /// <summary>The device id belongs to another building.</summary>
    OtherBuilding,

    /// <summary>The device is retired (final).</summary>
    Retired,
}

/// <summary>
/// The device registry (issue 16.3): device → building, doors, status. Upload grants are signed only for a registered,
/// active device's own building and doors, and ingestion quarantines an upload whose device the registry does not place at
/// that door (<c>unknown-device</c>, O1, O2, O4). Every read is a point read; a building's devices are one partition.
/// </summary>
public sealed class DeviceRegistry(IRecordStore store, Auditing.AuditLog audit)
{
    /// <summary>Most doors one device may be registered for.</summary>
    public const int MaxDoors = 32;

    /// <summary>The owner claim's document id in <c>device:{deviceId}</c>.</summary>
    public const string OwnerId = "owner";

    public static string OwnerPartition(string deviceId) => "device:" + deviceId;

    public async Task<DeviceRecord?> ReadAsync(string buildingId, string deviceId, CancellationToken cancellationToken) =>
        UploadName.IsValidId(buildingId) && UploadName.IsValidId(deviceId)
            ? (await store.ReadAsync<DeviceRecord>(Containers.Devices, buildingId, deviceId, cancellationToken).ConfigureAwait(false))?.Document
            : null;

    /// <summary>Whether the registry places this device, active, at that door of that building (ingestion's check).</summary>
    public async Task<bool> VouchesAsync(string buildingId, string doorId, string deviceId, CancellationToken cancellationToken) =>
        await ReadAsync(buildingId, deviceId, cancellationToken).ConfigureAwait(false) is { } device && device.Covers(buildingId, doorId);

    /// <summary>Registers a device in a building, or replaces its doors. The device id is claimed for the building first
    /// (one building per device id, whoever asks); a retired device stays retired.</summary>
    public async Task<(DeviceChange Change, DeviceRecord? Device)> PutAsync(string buildingId, string deviceId, IReadOnlyList<string> doorIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(doorIds);
        try
        {
            await store.CreateAsync(Containers.Devices, OwnerPartition(deviceId), OwnerId, new DeviceOwner(buildingId), cancellationToken).ConfigureAwait(false);
        }
        catch (RecordConflictException)
        {
            var owner = await store.ReadAsync<DeviceOwner>(Containers.Devices, OwnerPartition(deviceId), OwnerId, cancellationToken).ConfigureAwait(false);
            if (owner?.Document.BuildingId != buildingId)
            {
                return (DeviceChange.OtherBuilding, null);
            }
        }

        var doors = doorIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        for (var attempt = 0; ; attempt++)
        {
            var existing = await store.ReadAsync<DeviceRecord>(Containers.Devices, buildingId, deviceId, cancellationToken).ConfigureAwait(false);
            if (existing is null)
            {
                var created = new DeviceRecord { DeviceId = deviceId, BuildingId = buildingId, DoorIds = doors, Status = DeviceStatus.Active, RegisteredAt = now, UpdatedAt = now };
                try
                {
                    await store.CreateAsync(Containers.Devices, buildingId, deviceId, created, cancellationToken).ConfigureAwait(false);
                    await AuditAsync("device-registered", created, now, cancellationToken).ConfigureAwait(false);
                    return (DeviceChange.Registered, created);
                }
                catch (RecordConflictException) when (attempt < 3)
                {
                    continue;
                }
            }

            if (existing.Document.Status == DeviceStatus.Retired)
            {
                return (DeviceChange.Retired, existing.Document);
            }

            var updated = existing.Document with { DoorIds = doors, UpdatedAt = now };
            try
            {
                await store.ReplaceAsync(Containers.Devices, buildingId, deviceId, updated, existing.ETag, cancellationToken).ConfigureAwait(false);
                if (!updated.DoorIds.SequenceEqual(existing.Document.DoorIds))
                {
                    await AuditAsync("device-doors-changed", updated, now, cancellationToken).ConfigureAwait(false);
                }

                return (DeviceChange.Updated, updated);
            }
            catch (RecordPreconditionFailedException) when (attempt < 3)
            {
            }
        }
    }

    /// <summary>Retires a device of a building (idempotent); null when the building has no such device. A retired device
    /// gets no more upload grants, and its uploads are quarantined from now on.</summary>
    public async Task<DeviceRecord?> RetireAsync(string buildingId, string deviceId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var existing = await store.ReadAsync<DeviceRecord>(Containers.Devices, buildingId, deviceId, cancellationToken).ConfigureAwait(false);
            if (existing is null || existing.Document.Status == DeviceStatus.Retired)
            {
                return existing?.Document;
            }

            var retired = existing.Document with { Status = DeviceStatus.Retired, RetiredAt = now, UpdatedAt = now };
            try
            {
                await store.ReplaceAsync(Containers.Devices, buildingId, deviceId, retired, existing.ETag, cancellationToken).ConfigureAwait(false);
                await AuditAsync("device-retired", retired, now, cancellationToken).ConfigureAwait(false);
                return retired;
            }
            catch (RecordPreconditionFailedException) when (attempt < 3)
            {
            }
        }
    }

    /// <summary>
    /// Every change of the registry is in the audit trail (O1: the registry decides which uploads are catalogued and which
    /// are quarantined as <c>unknown-device</c>): the device, its building and its doors as of the change; ids only. The id
    /// is fixed by the change and its time, so a retried write is one entry.
    /// </summary>
    private Task AuditAsync(string action, DeviceRecord device, DateTimeOffset at, CancellationToken cancellationToken) =>
        audit.WriteAsync(Auditing.AuditLog.IdFor(action, device.BuildingId, device.DeviceId, at.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture)), new Auditing.AuditRecord
        {
            Action = action,
            ItemRef = $"devices/{device.BuildingId}/{device.DeviceId}",
            Category = "device-registry",
            Obligation = "O1",
            ReasonCode = string.Join(',', device.DoorIds),
            At = at,
            DoneAt = at,
        }, cancellationToken);

    /// <summary>A building's devices, active and retired, by id.</summary>
    public async Task<IReadOnlyList<DeviceRecord>> ListAsync(string buildingId, CancellationToken cancellationToken)
    {
        var devices = new List<DeviceRecord>();
        string? continuation = null;
        do
        {
            var page = await store.QueryAsync<DeviceRecord>(Containers.Devices, buildingId, RecordQuery.All, 100, continuation, cancellationToken).ConfigureAwait(false);
            devices.AddRange(page.Items.Select(i => i.Document));
            continuation = page.Continuation;
        }
        while (continuation is not null);
        return [.. devices.OrderBy(d => d.DeviceId, StringComparer.Ordinal)];
    }
}
