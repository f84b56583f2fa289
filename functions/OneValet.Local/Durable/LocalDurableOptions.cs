using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace OneValet.Local.Durable;

/// <summary>
/// Settings of the local durable task hub (configuration section <c>"Durable"</c>): the Azure Storage
/// provider on Azurite, and the loopback gRPC sidecar that the Durable Task worker and client talk to.
/// </summary>
public sealed class LocalDurableOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Durable";

    /// <summary>Connection string of the storage account (Azurite by default).</summary>
    public string StorageConnectionString { get; set; } = "UseDevelopmentStorage=true";

    /// <summary>
    /// Name of the task hub: its queues, tables and lease container are prefixed with it.
    /// 3 to 45 letters or digits, starting with a letter.
    /// </summary>
    public string TaskHubName { get; set; } = "onevalet";

    /// <summary>Loopback port of the gRPC sidecar (HTTP/2 only, bound to 127.0.0.1).</summary>
    public int SidecarPort { get; set; } = 7072;

    /// <summary>
    /// Identity of this worker in the partition leases. Keep it stable across restarts so a restarted
    /// host takes its own leases back at once instead of waiting for them to expire.
    /// </summary>
    public string WorkerId { get; set; } = Environment.MachineName;

    /// <summary>
    /// Longest wait between two polls of an idle queue. The provider's default (30 s) makes an idle local
    /// host slow to react; 1 s costs little against Azurite.
    /// </summary>
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long an orchestration or activity message taken by a host that died stays invisible (provider
    /// default: 5 minutes). Longer than any activity of the pipeline runs.</summary>
    public TimeSpan LeaseTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Validates <see cref="LocalDurableOptions"/> (run at start through ValidateOnStart).</summary>
internal sealed partial class LocalDurableOptionsValidator : IValidateOptions<LocalDurableOptions>
{
    public ValidateOptionsResult Validate(string? name, LocalDurableOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.StorageConnectionString))
        {
            failures.Add("Durable:StorageConnectionString is required.");
        }

        if (options.TaskHubName is null || !TaskHubNamePattern().IsMatch(options.TaskHubName))
        {
            failures.Add($"Durable:TaskHubName '{options.TaskHubName}' must be 3 to 45 letters or digits, starting with a letter.");
        }

        if (options.SidecarPort is < 1 or > 65535)
        {
            failures.Add($"Durable:SidecarPort {options.SidecarPort} must be between 1 and 65535.");
        }

        if (string.IsNullOrWhiteSpace(options.WorkerId))
        {
            failures.Add("Durable:WorkerId is required.");
        }

        if (options.MaxQueuePollingInterval < TimeSpan.FromMilliseconds(100) || options.MaxQueuePollingInterval > TimeSpan.FromMinutes(1))
        {
            failures.Add($"Durable:MaxQueuePollingInterval {options.MaxQueuePollingInterval} must be between 00:00:00.1 and 00:01:00.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,44}$", RegexOptions.CultureInvariant)]
    private static partial Regex TaskHubNamePattern();
}
