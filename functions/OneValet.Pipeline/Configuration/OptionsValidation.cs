using Microsoft.Extensions.Options;

namespace OneValet.Pipeline.Configuration;

/// <summary>Start-up checks that data annotations cannot express.</summary>
internal sealed class IngestionOptionsValidator : IValidateOptions<IngestionOptions>
{
    public ValidateOptionsResult Validate(string? name, IngestionOptions options)
    {
        var failures = new List<string>();
        if (options.MaxAge <= TimeSpan.Zero)
        {
            failures.Add("OneValet:Ingestion:MaxAge must be positive.");
        }

        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > TimeSpan.FromHours(1))
        {
            failures.Add("OneValet:Ingestion:ClockSkew must be between 0 and 1 hour.");
        }

        if (options.PollInterval <= TimeSpan.Zero || options.PollInterval > TimeSpan.FromSeconds(1))
        {
            failures.Add("OneValet:Ingestion:PollInterval must be positive and at most 1 second (uploads are picked up within a second).");
        }

        if (options.ReconcileAfter < TimeSpan.Zero || options.ReconcileAfter > TimeSpan.FromHours(23))
        {
            failures.Add("OneValet:Ingestion:ReconcileAfter must be between 0 and 23 hours (the reconciliation runs daily: an upload whose event was lost is found by the next pass).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        if (options.BlobServiceUri is null && string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail("Set OneValet:Storage:BlobServiceUri (Azure, managed identity) or OneValet:Storage:ConnectionString (emulator).");
        }

        if (options.BlobServiceUri is not null && !string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail("Set only one of OneValet:Storage:BlobServiceUri and OneValet:Storage:ConnectionString.");
        }

        return ValidateOptionsResult.Success;
    }
}
