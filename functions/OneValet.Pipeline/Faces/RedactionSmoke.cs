using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace OneValet.Pipeline.Faces;

/// <summary>
/// The container image's own check of redaction (container/check-image.sh, run while the image is built and by the tests
/// here): the published app redacts one MP4 with its own detector, model and ffmpeg, exactly as the worker does for an
/// access answer or an anonymization (O2, O7, O8), and says what it did. Started as
/// <c>dotnet OneValet.Functions.dll --redaction-smoke in.mp4 out.mp4</c>; exit code 0 only when frames came out and at
/// least one face was blurred (the check's clip shows one), 1 when none was, 2 when redaction could not run at all.
/// The settings are the app's: <c>OneValet__Faces__FFmpegFolder</c> and <c>OneValet__Faces__ModelPath</c> if set.
/// </summary>
public static class RedactionSmoke
{
    public const string Argument = "--redaction-smoke";

    public static async Task<int> RunAsync(string input, string output, TextWriter report, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(input);
        ArgumentException.ThrowIfNullOrEmpty(output);
        ArgumentNullException.ThrowIfNull(report);
        var settings = new FaceOptions();
        settings.FFmpegFolder = Environment.GetEnvironmentVariable("OneValet__Faces__FFmpegFolder") ?? settings.FFmpegFolder;
        settings.ModelPath = Environment.GetEnvironmentVariable("OneValet__Faces__ModelPath") ?? settings.ModelPath;
        var options = Options.Create(settings);
        try
        {
            using var detector = new LocalFaceDetector(options);
            var redactor = new FaceRedactor(detector, options, NullLogger<FaceRedactor>.Instance);
            RedactionResult result;
            await using (var source = File.OpenRead(input))
            await using (var target = File.Create(output))
            {
                result = await redactor.RedactMp4Async(source, target, null, cancellationToken).ConfigureAwait(false);
            }

            await report.WriteLineAsync($"frames={result.Frames} faces={result.FacesBlurred} keyframes={result.KeyframesSearched} codec={result.VideoCodec}").ConfigureAwait(false);
            return result.Frames > 0 && result.FacesBlurred > 0 ? 0 : 1;
        }
#pragma warning disable CA1031 // a check reports any failure as its exit code and the exception's type, never a crash
        catch (Exception exception)
#pragma warning restore CA1031
        {
            await report.WriteLineAsync($"redaction unavailable: {exception.GetType().Name}: {exception.Message}").ConfigureAwait(false);
            return 2;
        }
    }
}
