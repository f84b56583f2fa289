using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace OneValet.Tests.Infrastructure;

/// <summary>Writes log lines to a test's output (ignored once the test has ended).</summary>
public sealed class XunitLoggerProvider(ITestOutputHelper output, LogLevel minimum = LogLevel.Information) : ILoggerProvider
{
    private readonly DateTime origin = DateTime.UtcNow;
    private readonly ITestOutputHelper output = output;
    private readonly LogLevel minimum = minimum;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(XunitLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider.minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!this.IsEnabled(logLevel))
            {
                return;
            }

            var elapsed = (DateTime.UtcNow - provider.origin).TotalSeconds;
            var line = $"{elapsed,7:F3}s {logLevel.ToString()[..4]} {category}: {formatter(state, exception)}";
            if (exception is not null)
            {
                line += Environment.NewLine + exception;
            }

            try
            {
                provider.output.WriteLine(line);
            }
            catch (InvalidOperationException)
            {
                // The test has ended.
            }
        }
    }
}
