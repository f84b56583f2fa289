using Microsoft.Extensions.Hosting;
using OneValet.Functions;
using OneValet.Functions.Api;
using OneValet.Functions.Auth;

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
