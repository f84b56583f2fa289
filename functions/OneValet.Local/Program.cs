using OneValet.Local;

var builder = WebApplication.CreateBuilder(args);
builder.AddLocalHost();
var app = builder.Build();
app.MapLocalHost();
await app.RunAsync();
