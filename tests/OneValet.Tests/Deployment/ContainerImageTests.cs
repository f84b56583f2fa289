using System.Diagnostics;
using System.Text.RegularExpressions;
using OneValet.Tests.Faces;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Deployment;

/// <summary>
/// #17.3: the worker's image, tested here without a container engine. Every step of container/Dockerfile is a script in
/// container/, and these tests run those scripts on this machine (Debian bookworm, like the image): stage.sh publishes the
/// app into the build context, install-ffmpeg.sh verifies the pinned Debian ffmpeg, and check-image.sh, the image's own
/// check, finds ffmpeg and the model with its pinned SHA-256 and has the published app redact a face from a clip (the
/// same FaceRedactor, ffmpeg arguments and model path as in Azure). Each check is also shown to fail when what it checks
/// is wrong.
/// </summary>
public sealed partial class ContainerImageTests(StagedImage staged) : IClassFixture<StagedImage>
{
    private static readonly string Container = Path.Combine(RepositoryPaths.Root, "container");

    [Fact]
    public void Stage_publishes_the_app_with_its_model_and_copies_the_recipe_the_Dockerfile_reads()
    {
        Assert.True(staged.ExitCode == 0, staged.Output);
        Assert.True(File.Exists(Path.Combine(staged.App, "OneValet.Functions.dll")));
        Assert.True(File.Exists(Path.Combine(staged.App, "functions.metadata")), "the Functions host needs the generated metadata");
        Assert.True(File.Exists(Path.Combine(staged.App, "Faces", "Model", "blazeface-back-256x256.onnx")));

        // Every COPY source of the Dockerfile exists in the staged context, and the copied recipe is the repository's.
        foreach (var source in CopySources())
        {
            Assert.True(File.Exists(Path.Combine(staged.Folder, source)) || Directory.Exists(Path.Combine(staged.Folder, source)), $"COPY {source}: not in the staged context");
        }

        foreach (var file in Directory.EnumerateFiles(Path.Combine(staged.Folder, "container")))
        {
            Assert.Equal(File.ReadAllText(Path.Combine(Container, Path.GetFileName(file))), File.ReadAllText(file));
        }
    }

    [Fact]
    public void The_image_check_passes_on_the_published_app_and_its_redaction_blurs_the_face_of_the_photo()
    {
        Assert.True(staged.ExitCode == 0, staged.Output);
        var (exitCode, output) = Script("check-image.sh", [staged.App, FaceSamples.PhotoPath]);
        Assert.True(exitCode == 0, output);
        var smoke = SmokeLine().Match(output);
        Assert.True(smoke.Success, output);
        Assert.Equal(25, int.Parse(smoke.Groups["frames"].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.InRange(int.Parse(smoke.Groups["faces"].Value, System.Globalization.CultureInfo.InvariantCulture), 1, 25 * 4);
        Assert.Contains("ffmpeg version 5.1.9-0+deb12u1", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_image_check_fails_on_a_model_of_another_hash_or_a_missing_model()
    {
        Assert.True(staged.ExitCode == 0, staged.Output);
        var wrongHash = Versions(v => v.Replace("MODEL_SHA256=427c", "MODEL_SHA256=527c", StringComparison.Ordinal));
        var (exitCode, output) = Script("check-image.sh", [staged.App, FaceSamples.PhotoPath], wrongHash);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("face model SHA-256 is 427cbbe0", output, StringComparison.Ordinal);

        var missing = Versions(v => v.Replace("MODEL_FILE=Faces/Model/blazeface-back-256x256.onnx", "MODEL_FILE=Faces/Model/absent.onnx", StringComparison.Ordinal));
        (exitCode, output) = Script("check-image.sh", [staged.App, FaceSamples.PhotoPath], missing);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("no face model", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_image_check_fails_when_the_app_blurs_nothing()
    {
        // A clip with no face: the smoke must say so (exit 1), so a redaction that finds nothing cannot pass the build.
        Assert.True(staged.ExitCode == 0, staged.Output);
        var blank = Path.Combine(staged.Scratch, "blank.png");
        FaceSamples.Run("ffmpeg", $"-hide_banner -loglevel error -y -f lavfi -i color=c=gray:s=548x342 -frames:v 1 \"{blank}\"");
        var (exitCode, output) = Script("check-image.sh", [staged.App, blank]);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("faces=0", output, StringComparison.Ordinal);
        Assert.Contains("the app did not redact the clip", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_ffmpeg_pin_is_what_Debian_installed_here_and_another_version_or_release_fails()
    {
        var (exitCode, output) = Script("install-ffmpeg.sh", ["verify"]);
        Assert.True(exitCode == 0, output);

        (exitCode, output) = Script("install-ffmpeg.sh", ["verify"], Versions(v => v.Replace("FFMPEG_VERSION=7:5.1.9-0+deb12u1", "FFMPEG_VERSION=7:5.1.8-0+deb12u1", StringComparison.Ordinal)));
        Assert.NotEqual(0, exitCode);
        Assert.Contains("ffmpeg is '7:5.1.9-0+deb12u1', pinned 7:5.1.8-0+deb12u1", output, StringComparison.Ordinal);

        (exitCode, output) = Script("install-ffmpeg.sh", ["verify"], Versions(v => v.Replace("DEBIAN_CODENAME=bookworm", "DEBIAN_CODENAME=trixie", StringComparison.Ordinal)));
        Assert.NotEqual(0, exitCode);
        Assert.Contains("the pin is for Debian trixie", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_recipe_pins_its_versions_and_runs_only_the_scripts_tested_here()
    {
        var versions = File.ReadAllText(Path.Combine(Container, "versions.env"));
        var csproj = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "functions", "OneValet.Pipeline", "OneValet.Pipeline.csproj"));
        var modelHash = Regex.Match(csproj, "<FaceModelSha256>([0-9a-f]{64})</FaceModelSha256>").Groups[1].Value;
        Assert.Contains($"MODEL_SHA256={modelHash}\n", versions, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^FFMPEG_VERSION=\d+:\d+\.\d+\.\d+-\d+\+deb12u\d+$", versions); // an exact Debian 12 version
        Assert.Contains("DEBIAN_CODENAME=bookworm\n", versions, StringComparison.Ordinal);

        var lines = Instructions();
        var images = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).Select(l => l.Split(' ')[1]).ToList();
        var stages = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal) && l.Contains(" AS ", StringComparison.Ordinal)).Select(l => l.Split(' ')[^1]).ToHashSet(StringComparer.Ordinal);
        foreach (var image in images.Where(i => !stages.Contains(i)))
        {
            // From a registry by an exact tag of a major line and runtime (or a digest), never a moving "latest".
            Assert.Matches(@"^mcr\.microsoft\.com/[a-z0-9/-]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$", image);
            Assert.DoesNotContain("latest", image, StringComparison.Ordinal);
        }

        // Each RUN runs scripts of container/ (those the tests run) and, in the check stage only, installs the test photo.
        var scripts = Directory.EnumerateFiles(Container, "*.sh").Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
        foreach (var run in lines.Where(l => l.StartsWith("RUN ", StringComparison.Ordinal)))
        {
            foreach (var command in run[4..].Split("&&", StringSplitOptions.TrimEntries))
            {
                var script = Regex.Match(command, @"^sh /opt/onevalet/(?<name>[a-z-]+\.sh)\b");
                Assert.True(
                    (script.Success && scripts.Contains(script.Groups["name"].Value))
                    || command is "apt-get update" or "touch /opt/onevalet/checked"
                    || command == "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends opencv-doc",
                    $"RUN step not covered by a tested script: {command}");
            }
        }

        // The final image copies the check stage's mark, so it cannot be built without the check passing.
        Assert.Equal("COPY --from=check /opt/onevalet/checked /opt/onevalet/checked", lines[^1]);
        Assert.Contains(lines, l => l.StartsWith("RUN ", StringComparison.Ordinal) && l.Contains("check-image.sh /home/site/wwwroot " + FaceSamples.PhotoPath, StringComparison.Ordinal));
    }

    /// <summary>The Dockerfile's instructions, continuation lines joined, comments dropped.</summary>
    private static List<string> Instructions()
    {
        var text = File.ReadAllText(Path.Combine(Container, "Dockerfile")).Replace("\\\n", " ", StringComparison.Ordinal);
        return [.. text.Split('\n').Select(l => Regex.Replace(l.Trim(), @"\s+", " ")).Where(l => l.Length > 0 && !l.StartsWith('#'))];
    }

    private static IEnumerable<string> CopySources() =>
        Instructions().Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.StartsWith("COPY --from", StringComparison.Ordinal))
            .SelectMany(l => l.Split(' ')[1..^1]);

    /// <summary>A copy of versions.env changed by <paramref name="change"/> (which must change it).</summary>
    private string Versions(Func<string, string> change)
    {
        var original = File.ReadAllText(Path.Combine(Container, "versions.env"));
        var changed = change(original);
        Assert.NotEqual(original, changed);
        var path = Path.Combine(staged.Scratch, $"versions-{Guid.NewGuid():N}.env");
        File.WriteAllText(path, changed);
        return path;
    }

    private static (int ExitCode, string Output) Script(string name, string[] arguments, string? versionsFile = null)
    {
        var start = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Container, name));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (versionsFile is not null)
        {
            start.Environment["VERSIONS_FILE"] = versionsFile;
        }

        return StagedImage.Run(start, TimeSpan.FromMinutes(5));
    }

    [GeneratedRegex(@"frames=(?<frames>\d+) faces=(?<faces>\d+) keyframes=\d+")]
    private static partial Regex SmokeLine();
}

/// <summary>container/stage.sh run once into a temporary folder (publishing the Release build already made: --no-build).</summary>
public sealed class StagedImage : IDisposable
{
    public StagedImage()
    {
        Scratch = Directory.CreateTempSubdirectory("onevalet-image-").FullName;
        Folder = Path.Combine(Scratch, "context");
        var start = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { Path.Combine(RepositoryPaths.Root, "container", "stage.sh"), Folder, "--no-build" })
        {
            start.ArgumentList.Add(argument);
        }

        (ExitCode, Output) = Run(start, TimeSpan.FromMinutes(10));
    }

    public string Scratch { get; }

    public string Folder { get; }

    public string App => Path.Combine(Folder, "app");

    public int ExitCode { get; }

    public string Output { get; }

    public static (int ExitCode, string Output) Run(ProcessStartInfo start, TimeSpan timeout)
    {
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish in {timeout}");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    public void Dispose() => Directory.Delete(Scratch, recursive: true);
}
