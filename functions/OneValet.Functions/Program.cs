using Microsoft.Extensions.Hosting;
using OneValet.Functions;

var host = new HostBuilder()
    .ConfigureFunctionsWebApplication()
    .ConfigureServices((context, services) => services.AddFunctionsApp(context.Configuration))
    .Build();
await host.RunAsync();
