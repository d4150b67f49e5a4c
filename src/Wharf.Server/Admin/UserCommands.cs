using Wharf.Core.Users;
using Wharf.Server.Cli;

namespace Wharf.Server.Admin;

public static class UserCommands
{
    public static readonly CliCommand Create = new(
        "admin user create", "Creates a user; --admin makes an administrator (manages every account's keys through the API).",
        ["NAME"], [new CliOption("--email", "EMAIL", Required: true), CliOption.Flag("--admin")],
        (args, console, ct) => AdminCommand.RunAsync(args, console, ct, async services =>
        {
            var user = await services.GetRequiredService<UserService>().CreateAsync(args.Positionals[0], args["--email"]!, ct, isAdmin: args.Has("--admin"));
            await console.Out.WriteLineAsync(user.IsAdmin ? $"Created user {user.Name} (administrator)." : $"Created user {user.Name}.");
            return ExitCodes.Success;
        }));
}
