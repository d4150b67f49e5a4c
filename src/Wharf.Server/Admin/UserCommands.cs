using Wharf.Core.Users;
using Wharf.Server.Cli;

namespace Wharf.Server.Admin;

public static class UserCommands
{
    public static readonly CliCommand Create = new(
        "admin user create", "Creates a user.",
        ["NAME"], [new CliOption("--email", "EMAIL", Required: true)],
        (args, console, ct) => AdminCommand.RunAsync(args, console, ct, async services =>
        {
            var user = await services.GetRequiredService<UserService>().CreateAsync(args.Positionals[0], args["--email"]!, ct);
            await console.Out.WriteLineAsync($"Created user {user.Name}.");
            return ExitCodes.Success;
        }));
}
