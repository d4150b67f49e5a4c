using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Server.Cli;
using Wharf.Server.Hosting;

namespace Wharf.Server.Admin;

/// <summary>Runs an admin command body with Wharf's services over the chosen data directory and database.</summary>
internal static class AdminCommand
{
    public static async Task<int> RunAsync(CliArguments arguments, CliContext console, CancellationToken cancellationToken,
        Func<IServiceProvider, Task<int>> body)
    {
        var paths = DataDirectory.Resolve(arguments, console);
        var configuration = WharfConfiguration.Load(paths);
        var database = DatabaseOption.Resolve(arguments, console, configuration);
        var services = new ServiceCollection()
            .AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance)
            .AddSingleton(configuration)
            .AddWharf(paths, database, configuration);
        await using var provider = services.BuildServiceProvider();
        await WharfServices.PrepareAsync(provider, cancellationToken);
        await using var scope = provider.CreateAsyncScope();
        return await body(scope.ServiceProvider);
    }
}
