using Microsoft.AspNetCore.Http;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Ingestion;

namespace OneValet.Pipeline.Devices;

/// <summary>
/// Property management keeps its building's device registry (issue 16.3; #20 "devices of their buildings"): register or
/// change a device's doors, retire it, list the building's devices. The gate has already limited a manager to the
/// buildings of their grant (route scope: building).
/// </summary>
public sealed class DevicesApi(DeviceRegistry registry, TimeProvider time)
{
    public async Task<IResult> PutAsync(string buildingId, string deviceId, HttpRequest request, CancellationToken cancellationToken)
    {
        if (!UploadName.IsValidId(buildingId) || !UploadName.IsValidId(deviceId))
        {
            return Problems.NotFound("No such device.");
        }

        var (input, problem) = await RequestBody.ReadAsync<DeviceInput>(request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (input!.DoorIds is not { Count: > 0 and <= DeviceRegistry.MaxDoors } doors || !doors.All(UploadName.IsValidId))
        {
            return Problems.BadRequest($"doorIds: 1 to {DeviceRegistry.MaxDoors} door ids of [a-z0-9-]{{1,64}}.");
        }

        var (change, device) = await registry.PutAsync(buildingId, deviceId, doors, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return change switch
        {
            DeviceChange.Registered => TypedResults.Json(device, ApiJson.Options, statusCode: StatusCodes.Status201Created),
            DeviceChange.Updated => TypedResults.Json(device, ApiJson.Options),
            DeviceChange.Retired => Problems.Conflict("The device is retired; a retired device is never reactivated. Register the replacement under a new id.", "device-retired"),
            _ => Problems.Conflict("This device id is registered to another building.", "device-in-other-building"),
        };
    }

    public async Task<IResult> RetireAsync(string buildingId, string deviceId, CancellationToken cancellationToken)
    {
        var device = UploadName.IsValidId(buildingId) && UploadName.IsValidId(deviceId)
            ? await registry.RetireAsync(buildingId, deviceId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false)
            : null;
        return device is null ? Problems.NotFound("No such device.") : TypedResults.Json(device, ApiJson.Options);
    }

    public async Task<IResult> ListAsync(string buildingId, CancellationToken cancellationToken) =>
        UploadName.IsValidId(buildingId)
            ? TypedResults.Json(await registry.ListAsync(buildingId, cancellationToken).ConfigureAwait(false), ApiJson.Options)
            : Problems.BadRequest("buildingId: [a-z0-9-]{1,64}.");
}
