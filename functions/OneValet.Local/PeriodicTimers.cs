namespace OneValet.Local;

/// <summary>The local host's background loops (poller, sweep) tick with this.</summary>
internal static class PeriodicTimers
{
    /// <summary>False once the host stops, instead of an OperationCanceledException that the host would log as a failure.</summary>
    public static async Task<bool> TickAsync(this PeriodicTimer timer, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
