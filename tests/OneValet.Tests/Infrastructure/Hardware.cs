using System.Globalization;
using System.Security.Cryptography;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace OneValet.Tests.Infrastructure;

/// <summary>Uploads as an entry console does (README, "Hardware upload contract").</summary>
internal static class Hardware
{
    public static byte[] Mp4(int size, int seed = 1)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        byte[] head = [0, 0, 0, 0x18, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'i', (byte)'s', (byte)'o', (byte)'m'];
        head.CopyTo(bytes, 0);
        return bytes;
    }

    public static byte[] Jpeg(int size, int seed = 1)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        bytes[0] = 0xFF;
        bytes[1] = 0xD8;
        bytes[2] = 0xFF;
        bytes[3] = 0xE0;
        return bytes;
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static Dictionary<string, string> Metadata(DateTimeOffset capturedAt, string kind = "surveillance", string deviceId = "console-1") => new()
    {
        ["capturedat"] = capturedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        ["deviceid"] = deviceId,
        ["kind"] = kind,
    };

    public static async Task UploadAsync(BlobContainerClient container, string name, byte[] content, IDictionary<string, string> metadata)
    {
        using var stream = new MemoryStream(content);
        await container.GetBlobClient(name).UploadAsync(stream, new BlobUploadOptions { Metadata = metadata }).ConfigureAwait(false);
    }
}
