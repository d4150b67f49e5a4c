using Wharf.Core.Repositories;
using Wharf.Server.Cli;

namespace Wharf.Server.Admin;

public static class RepositoryCommands
{
    public static readonly CliCommand Create = new(
        "admin repo create", "Creates an empty bare git repository OWNER/NAME.",
        ["OWNER/NAME"], [],
        (args, console, ct) =>
        {
            // Parsed before the database is opened: a bad name changes nothing on disk.
            var name = RepositoryName.Parse(args.Positionals[0]);
            return AdminCommand.RunAsync(args, console, ct, async services =>
            {
                var repo = await services.GetRequiredService<RepositoryService>().CreateAsync(name, ct);
                await console.Out.WriteLineAsync($"Created repository {repo.FullName} at {repo.Path}");
                return ExitCodes.Success;
            });
        });
}
