using OneValet.Local;

if (args.Length > 0 && args[0] == "openapi")
{
    return await OpenApiCommand.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);
if (args.Length > 0 && args[0] == "upload")
{
    return await DevUpload.RunAsync(args, builder.Configuration);
}

if (args.Length > 0 && args[0] == "report")
{
    return await ReportCommand.RunAsync(args, builder);
}

builder.AddLocalHost();
var app = builder.Build();
app.MapLocalHost();
await app.RunAsync();
return 0;
