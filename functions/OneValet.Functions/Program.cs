using Microsoft.Extensions.Hosting;
using OneValet.Functions;
using OneValet.Functions.Auth;

var host = new HostBuilder()
    .ConfigureFunctionsWebApplication(worker => worker.UseMiddleware<GateMiddleware>())
    .ConfigureServices((context, services) => services.AddFunctionsApp(context.Configuration))
    .Build();
await host.RunAsync();
