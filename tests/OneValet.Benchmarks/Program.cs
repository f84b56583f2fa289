using OneValet.Benchmarks;

// Usage: dotnet run -c Release --project tests/OneValet.Benchmarks -- <scenario> [--count N]
// Scenarios: ingestion (step 1). Each prints the pipeline's figure, the raw baseline's, and their ratio.
var scenario = args.Length > 0 ? args[0] : "ingestion";
var count = Arguments.Int(args, "--count", 200);
switch (scenario)
{
    case "ingestion":
        await IngestionBenchmark.RunAsync(count);
        break;
    default:
        Console.Error.WriteLine($"unknown scenario '{scenario}'; known: ingestion");
        return 2;
}

return 0;
