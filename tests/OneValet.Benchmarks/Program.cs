using OneValet.Benchmarks;

// Usage: dotnet run -c Release --project tests/OneValet.Benchmarks -- <scenario> [--count N]
// Scenarios: ingestion (step 1), retention (step 2; --count total items, default 1,000,000; --no-lag skips the 3-minute lag run),
// email (--count messages per run, default 300; needs maildev from infra/start-emulators.sh), redaction (step 7; --count seconds of video, default 10; --interval keyframe interval instead of the default; --verify checks every frame of each redaction with two independent detectors and saves each frame where a face is left; --only TEXT runs the clips whose name contains TEXT; --warm-up seconds of 1280x720 video redacted first, not counted, default 4, 0 for none), fanout (step 3; --count residents), export (step 4; --count items; --profile prints each export's store and blob round trips, counted and timed). Each prints the pipeline's figure, the raw baseline's, and their ratio.
var scenario = args.Length > 0 ? args[0] : "ingestion";
var count = Arguments.Int(args, "--count", 200);
switch (scenario)
{
    case "ingestion":
        await IngestionBenchmark.RunAsync(count);
        break;
    case "email":
        await EmailBenchmark.RunAsync(Arguments.Int(args, "--count", 300));
        break;
    case "export":
        await ExportBenchmark.RunAsync(Arguments.Int(args, "--count", 10_000), profile: args.Contains("--profile"));
        break;
    case "fanout":
        await FanOutBenchmark.RunAsync(Arguments.Int(args, "--count", 100_000));
        break;
    case "retention":
        await RetentionBenchmark.RunAsync(Arguments.Int(args, "--count", 1_000_000), lag: !args.Contains("--no-lag"));
        break;
    case "report":
        await ReportBenchmark.RunAsync(Arguments.Int(args, "--count", 100_000));
        break;
    case "redaction":
        await RedactionBenchmark.RunAsync(
            Arguments.Int(args, "--count", 10),
            args.Contains("--interval") ? Arguments.Int(args, "--interval", 5) : null,
            verify: args.Contains("--verify"),
            only: Array.IndexOf(args, "--only") is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null,
            warmUpSeconds: Arguments.Int(args, "--warm-up", 4),
            noModel: args.Contains("--no-model"));
        break;
    case "cards":
        CardScanBenchmark.Run(Arguments.Int(args, "--count", 20));
        break;
    default:
        Console.Error.WriteLine($"unknown scenario '{scenario}'; known: ingestion, retention, fanout, export, email, redaction, cards, report");
        return 2;
}

return 0;
