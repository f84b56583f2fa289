using OneValet.Pipeline.Api;

namespace OneValet.Local;

/// <summary>
/// <c>openapi [--out FILE]</c>: writes the OpenAPI document the host serves at <c>/api/openapi.json</c> (the same bytes,
/// built from the route table) to FILE, or to standard output. The test-side client (tests/OneValet.Client) is generated
/// from this output at build time (issue 20.2). A FILE that already holds these bytes is left alone, so its time stamp
/// tells MSBuild whether the client must be generated again.
/// </summary>
internal static class OpenApiCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var at = Array.IndexOf(args, "--out");
        if (at < 0)
        {
            await Console.Out.WriteAsync(OpenApiDocument.Text).ConfigureAwait(false);
            return 0;
        }

        if (at + 1 >= args.Length)
        {
            await Console.Error.WriteLineAsync("usage: openapi [--out openapi.json]").ConfigureAwait(false);
            return 2;
        }

        var path = Path.GetFullPath(args[at + 1]);
        if (!File.Exists(path) || await File.ReadAllTextAsync(path).ConfigureAwait(false) != OpenApiDocument.Text)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, OpenApiDocument.Text).ConfigureAwait(false);
        }

        return 0;
    }
}
