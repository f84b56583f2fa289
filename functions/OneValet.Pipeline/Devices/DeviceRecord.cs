namespace OneValet.Pipeline.Devices;

/// <summary>Whether a device may upload and post events (issue 16.3). Retirement is final: a console that comes back is
/// registered under a new id.</summary>
public enum DeviceStatus
{
    Active,
    Retired,
}

/// <summary>
/// One entry console or door device in the registry (issue 16.3, O2, O4): the building it belongs to and the doors it
/// captures at, kept by that building's property management. Partition: building id; id: device id. Ids only: a device is
/// hardware, not a person.
/// </summary>
public sealed record DeviceRecord
{
    public required string DeviceId { get; init; }

    public required string BuildingId { get; init; }

    public required IReadOnlyList<string> DoorIds { get; init; }

    public required DeviceStatus Status { get; init; }

    public required DateTimeOffset RegisteredAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    public DateTimeOffset? RetiredAt { get; init; }

    /// <summary>Whether this device, as registered now, may vouch for a capture at that door of that building.</summary>
    public bool Covers(string buildingId, string doorId) =>
        Status == DeviceStatus.Active && BuildingId == buildingId && DoorIds.Contains(doorId, StringComparer.Ordinal);
}

/// <summary>The one building a device id belongs to, whatever building is asked (partition <c>device:{deviceId}</c>, which
/// no client id can spell): a device id is registered in one building only.</summary>
public sealed record DeviceOwner(string BuildingId);

/// <summary>Body of <c>PUT /api/buildings/{buildingId}/devices/{deviceId}</c>: the doors the device captures at.</summary>
public sealed record DeviceInput(IReadOnlyList<string> DoorIds);
