using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Configuration;
using OneValet.Pipeline.Ingestion;

namespace OneValet.Pipeline.Devices;

/// <summary>One capture a device is about to upload.</summary>
public sealed record UploadGrantItem(string DoorId, string CaptureId, string Extension);

/// <summary>Body of <c>POST /api/buildings/{buildingId}/devices/{deviceId}/upload-grant</c>: the captures to upload.</summary>
public sealed record UploadGrantInput(IReadOnlyList<UploadGrantItem> Uploads);

/// <summary>One blob the device may create, and the URL to PUT it to (a SAS on that blob name only).</summary>
public sealed record GrantedUpload(string BlobName, Uri UploadUrl);

/// <summary>The grant: create-only, one blob name each, until <see cref="ExpiresAt"/>; the metadata each upload carries.</summary>
public sealed record UploadGrant(string DeviceId, string BuildingId, DateTimeOffset ExpiresAt, IReadOnlyList<GrantedUpload> Uploads, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Upload grants (issue 16.3; O2, O4): an active, registered device gets, for the captures it names at its own doors of its
/// own building, a SAS per blob name in <c>recordings</c> with create permission only (<c>sp=c</c>: no read, no write over an
/// existing blob, no list, no delete), minutes long. Per blob name, not per door prefix: a directory-scoped SAS (<c>sr=d</c>)
/// needs a hierarchical namespace, which the data account does not have (Event Grid blob source, lifecycle rules, flat
/// names). In Azure the SAS is a user-delegation SAS (shared keys are off; the app's identity holds Storage Blob Delegator on
/// the account and Data Contributor on the container, so the key can sign create); on Azurite the account key signs.
/// </summary>
public sealed class UploadGrants(DeviceRegistry registry, BlobServiceClient blobs, IOptions<StorageOptions> storage, IOptions<IngestionOptions> ingestion, TimeProvider time)
{
    /// <summary>Most captures one grant covers.</summary>
    public const int MaxUploads = 20;

    /// <summary>However the lifetime is configured, a grant never outlives this.</summary>
    public static readonly TimeSpan MaximumLifetime = TimeSpan.FromMinutes(15);

    public async Task<IResult> GrantAsync(string buildingId, string deviceId, HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var caller = Api.Auth.Caller.OfRequest(request);
        var asDevice = caller?.On(ApiRoutes.RequestUploadGrant).HasFlag(Roles.Device) == true;
        if (!UploadName.IsValidId(buildingId) || !UploadName.IsValidId(deviceId) || (asDevice && (caller!.DeviceId != deviceId || !caller.HasBuilding(buildingId))))
        {
            // A device asks for itself only (the gate checks the same): another device's grant is not found.
            return Problems.NotFound("No such device.");
        }

        var device = await registry.ReadAsync(buildingId, deviceId, cancellationToken).ConfigureAwait(false);
        if (device is null)
        {
            return Problems.Conflict("This device is not registered in this building: property management registers it first.", "unknown-device");
        }

        if (device.Status == DeviceStatus.Retired)
        {
            return Problems.Forbidden("This device is retired: it gets no upload grants.", "device-retired");
        }

        var (input, problem) = await RequestBody.ReadAsync<UploadGrantInput>(request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (input!.Uploads is not { Count: > 0 and <= MaxUploads } uploads)
        {
            return Problems.BadRequest($"uploads: 1 to {MaxUploads} captures.");
        }

        var names = new List<string>(uploads.Count);
        foreach (var item in uploads)
        {
            if (item is null || !UploadName.TryParse($"{buildingId}/{item.DoorId}/{item.CaptureId}.{item.Extension}", out var name) || !UploadName.IsValidId(item.DoorId) || !UploadName.IsValidId(item.CaptureId))
            {
                return Problems.BadRequest("Each upload: doorId and captureId of [a-z0-9-]{1,64}, extension mp4 or jpg.");
            }

            // The registry's doors, narrowed by the token's doors when it names any: the smaller of the two grants.
            if (!device.Covers(buildingId, name.DoorId) || (asDevice && caller!.DoorIds.Count > 0 && !caller.DoorIds.Contains(name.DoorId)))
            {
                return Problems.Forbidden("A door named is not one of this device's doors.", "door-not-granted");
            }

            names.Add(name.BlobName);
        }

        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count)
        {
            return Problems.BadRequest("The same capture is named twice.");
        }

        var now = time.GetUtcNow();
        var expires = ExpiresAt(now, ingestion.Value.UploadGrantLifetime);
        var container = blobs.GetBlobContainerClient(storage.Value.RecordingsContainer);
        UserDelegationKey? key = null;
        if (!container.CanGenerateSasUri)
        {
            key = (await blobs.GetUserDelegationKeyAsync(now.AddMinutes(-5), expires, cancellationToken).ConfigureAwait(false)).Value;
        }

        var granted = names.Select(n => new GrantedUpload(n, Sign(container.GetBlobClient(n), now, expires, key, blobs.AccountName))).ToList();
        return TypedResults.Json(
            new UploadGrant(deviceId, buildingId, expires, granted, new Dictionary<string, string>(StringComparer.Ordinal) { ["deviceid"] = deviceId }),
            ApiJson.Options);
    }

    /// <summary>When a grant made now with the configured lifetime expires (at least one minute, at most <see cref="MaximumLifetime"/>).</summary>
    public static DateTimeOffset ExpiresAt(DateTimeOffset now, TimeSpan configuredLifetime) =>
        now + TimeSpan.FromTicks(Math.Clamp(configuredLifetime.Ticks, TimeSpan.FromMinutes(1).Ticks, MaximumLifetime.Ticks));

    /// <summary>A create-only SAS on exactly this blob name until <paramref name="expires"/>, from a minute before now (device
    /// clocks drift): user-delegation when a key is given, else the client's shared key (emulator).</summary>
    public static Uri Sign(BlobClient blob, DateTimeOffset now, DateTimeOffset expires, UserDelegationKey? key, string accountName)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var sas = new BlobSasBuilder(BlobSasPermissions.Create, expires)
        {
            BlobContainerName = blob.BlobContainerName,
            BlobName = blob.Name,
            Resource = "b",
            StartsOn = now.AddMinutes(-1),
            Protocol = blob.Uri.Scheme == "https" ? SasProtocol.Https : SasProtocol.HttpsAndHttp,
        };
        return key is null ? blob.GenerateSasUri(sas) : new BlobUriBuilder(blob.Uri) { Sas = sas.ToSasQueryParameters(key, accountName) }.ToUri();
    }
}
