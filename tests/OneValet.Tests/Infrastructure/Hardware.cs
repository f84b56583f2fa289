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

    /// <summary>A JPEG as far as a header reader goes (SOI, APP0, a 640x480 frame header; see README, decoder bombs), then
    /// random bytes: catalogued and enrolled like a photo, undecodable if anything tries.</summary>
    public static byte[] Jpeg(int size, int seed = 1)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        byte[] header =
        [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 16, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
            0xFF, 0xC0, 0, 17, 8, 480 >> 8, 480 & 0xFF, 640 >> 8, 640 & 0xFF, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0,
        ];
        header.CopyTo(bytes, 0);
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
