using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;

namespace OneValet.Pipeline.Requests;

/// <summary>
/// The one way an access answer's files leave the store (O8): a SAS on one blob, read only, for minutes. In Azure it is a
/// user-delegation SAS signed with a key the app's identity obtains (shared keys are off; the identity needs Storage Blob
/// Delegator on the data account for <c>GetUserDelegationKey</c>, rbac.bicep); on Azurite the emulator's account key signs.
/// </summary>
public static class ExportLinks
{
    /// <summary>However the lifetime is configured, a link never outlives this.</summary>
    public static readonly TimeSpan MaximumLifetime = TimeSpan.FromHours(1);

    /// <summary>When a link made now with the configured lifetime expires (at least one minute, at most <see cref="MaximumLifetime"/>).</summary>
    public static DateTimeOffset ExpiresAt(DateTimeOffset now, TimeSpan configuredLifetime) =>
        now + TimeSpan.FromTicks(Math.Clamp(configuredLifetime.Ticks, TimeSpan.FromMinutes(1).Ticks, MaximumLifetime.Ticks));

    /// <summary>A read-only link to exactly this blob until <paramref name="expires"/>: with the user-delegation key when
    /// given, else with the client's shared key (emulator).</summary>
    public static Uri Sign(BlobClient blob, DateTimeOffset expires, UserDelegationKey? key, string accountName)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var sas = new BlobSasBuilder(BlobSasPermissions.Read, expires)
        {
            BlobContainerName = blob.BlobContainerName,
            BlobName = blob.Name,
            Resource = "b",
            Protocol = blob.Uri.Scheme == "https" ? SasProtocol.Https : SasProtocol.HttpsAndHttp,
        };
        return key is null ? blob.GenerateSasUri(sas) : new BlobUriBuilder(blob.Uri) { Sas = sas.ToSasQueryParameters(key, accountName) }.ToUri();
    }
}
