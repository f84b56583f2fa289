using System.Globalization;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace OneValet.Local;

/// <summary>
/// <c>upload FILE BLOBNAME [--kind surveillance|facial-entry] [--device ID] [--captured ISO-8601]</c>: puts a file into the
/// local recordings container exactly as an entry console does (README, "Hardware upload contract"), for trying the
/// pipeline by hand. It checks nothing itself: the pipeline does, and quarantines what is wrong.
/// </summary>
internal static class DevUpload
{
    public static async Task<int> RunAsync(string[] args, IConfiguration configuration)
    {
        var positional = args.Skip(1).Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        if (positional.Count < 2)
        {
            await Console.Error.WriteLineAsync("usage: upload FILE BLOBNAME [--kind surveillance|facial-entry] [--device ID] [--captured ISO-8601]").ConfigureAwait(false);
            return 2;
        }

        var file = positional[0];
        var blobName = positional[1];
        var connection = configuration["OneValet:Storage:ConnectionString"] ?? "UseDevelopmentStorage=true";
        var containerName = configuration["OneValet:Storage:RecordingsContainer"] ?? "recordings";
        var container = new BlobServiceClient(connection).GetBlobContainerClient(containerName);
        await container.CreateIfNotExistsAsync().ConfigureAwait(false);
        var metadata = new Dictionary<string, string>
        {
            ["kind"] = Option(args, "--kind") ?? "surveillance",
            ["deviceid"] = Option(args, "--device") ?? "console-1",
            ["capturedat"] = Option(args, "--captured") ?? DateTimeOffset.UtcNow.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
        };
        await using (var stream = File.OpenRead(file))
        {
            await container.GetBlobClient(blobName).UploadAsync(stream, new BlobUploadOptions { Metadata = metadata }).ConfigureAwait(false);
        }

        Console.WriteLine($"uploaded {file} as {containerName}/{blobName}");
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
