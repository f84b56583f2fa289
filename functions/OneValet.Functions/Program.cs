using Microsoft.Extensions.Hosting;
using OneValet.Functions;
using OneValet.Functions.Api;
using OneValet.Functions.Auth;
using OneValet.Pipeline.Faces;

// The container image's build-time check of redaction (container/check-image.sh): no host, one clip, an exit code.
if (args is [RedactionSmoke.Argument, var clip, var redacted])
{
    return await RedactionSmoke.RunAsync(clip, redacted, Console.Out, CancellationToken.None);
}

var host = new HostBuilder()
    .ConfigureFunctionsWebApplication(worker =>
    {
        // Problem details first, so that an exception in the gate or a handler answers like the local host.
        worker.UseMiddleware<ProblemDetailsMiddleware>();
        worker.UseMiddleware<GateMiddleware>();
    })
    .ConfigureServices((context, services) => services.AddFunctionsApp(context.Configuration))
    .Build();
await host.RunAsync();
return 0;
