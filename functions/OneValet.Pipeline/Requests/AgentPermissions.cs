using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Configuration;

namespace OneValet.Pipeline.Requests;

/// <summary>
/// An authorized agent's signed permission (O10) is a document, not a flag: a PDF, JPEG or PNG of at most 512 KiB, sent
/// with the request, kept as the blob <c>{requestId}/agent-permission.{ext}</c> in the request-documents container and
/// deleted with the request's record after 24 months (O18), by the retention engine's one deletion path.
/// </summary>
public sealed class AgentPermissions(BlobServiceClient blobs, IOptions<StorageOptions> storage)
{
    public const int MaxBytes = 512 * 1024;

    /// <summary>The document's bytes and file extension, or why it is refused (a sentence for a 400).</summary>
    public static (byte[]? Bytes, string? Extension, string? Error) Decode(string? base64)
    {
        if (string.IsNullOrWhiteSpace(base64) || base64.Length > ((MaxBytes + 2) / 3 * 4) + 4)
        {
            return (null, null, "'agent.permissionDocument' is the signed permission: base64 of a PDF, JPEG or PNG of at most 512 KiB.");
        }

        var buffer = new byte[(base64.Length / 4 * 3) + 3];
        if (!Convert.TryFromBase64String(base64, buffer, out var length) || length == 0 || length > MaxBytes)
        {
            return (null, null, "'agent.permissionDocument' is not valid base64 of at most 512 KiB.");
        }

        var bytes = buffer.AsSpan(0, length).ToArray();
        string? extension = bytes switch
        {
            [0x25, 0x50, 0x44, 0x46, 0x2D, ..] => "pdf",
            [0xFF, 0xD8, 0xFF, ..] => "jpg",
            [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, ..] => "png",
            _ => null,
        };
        return extension is null
            ? (null, null, "'agent.permissionDocument' must be a PDF, a JPEG or a PNG.")
            : (bytes, extension, null);
    }

    /// <summary>The blob's name for a request's permission document.</summary>
    public static string BlobNameFor(string requestId, string extension) => $"{requestId}/agent-permission.{extension}";

    /// <summary>Stores the document (never over an existing one) and returns its blob name and SHA-256 (hex).</summary>
    public async Task<(string BlobName, string Sha256)> StoreAsync(string requestId, byte[] bytes, string extension, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var name = BlobNameFor(requestId, extension);
        var blob = blobs.GetBlobContainerClient(storage.Value.RequestDocumentsContainer).GetBlobClient(name);
        try
        {
            await blob.UploadAsync(new BinaryData(bytes), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Stored by an earlier attempt of the same request.
        }

        return (name, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }
}
