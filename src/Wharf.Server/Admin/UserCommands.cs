using Wharf.Core.Errors;
using Wharf.Core.Users;
using Wharf.Server.Accounts;
using Wharf.Server.Cli;

namespace Wharf.Server.Admin;

/// <summary><c>wharf admin user create|password</c>.</summary>
public static class UserCommands
{
    private const string PasswordWhat = "New password";

    public static readonly CliCommand Create = new(
        "admin user create",
        "Creates a user; --admin makes an administrator (manages every account's keys through the API); " +
        "--password-stdin reads a web sign-in password from standard input.",
        ["NAME"], [new CliOption("--email", "EMAIL", Required: true), CliOption.Flag("--admin"), CliOption.Flag("--password-stdin")],
        (args, console, ct) => AdminCommand.RunAsync(args, console, ct, async services =>
        {
            // Hashed before the user exists, so a refused password creates nobody.
            var hash = args.Has("--password-stdin")
                ? services.GetRequiredService<PasswordService>().Hash(await SecretInput.ReadAsync(console, PasswordWhat, PasswordRules.MaxLength, ct))
                : null;
            var user = await services.GetRequiredService<UserService>()
                .CreateAsync(args.Positionals[0], args["--email"]!, ct, isAdmin: args.Has("--admin"), passwordHash: hash,
                    emailVerified: true); // the administrator vouches for the address: no verification mail
            await console.Out.WriteLineAsync(user.IsAdmin ? $"Created user {Display.Printable(user.Name)} (administrator)." : $"Created user {Display.Printable(user.Name)}.");
            return ExitCodes.Success;
        }));

    public static readonly CliCommand Password = new(
        "admin user password",
        "Sets USER's web sign-in password, read from standard input (one line; typed twice without echo at a terminal).",
        ["USER"], [],
        (args, console, ct) => AdminCommand.RunAsync(args, console, ct, async services =>
        {
            // The user first: a mistyped name fails before anyone types a password.
            var user = await services.GetRequiredService<UserService>().GetAsync(args.Positionals[0], ct);
            var password = await SecretInput.ReadAsync(console, PasswordWhat, PasswordRules.MaxLength, ct);
            await services.GetRequiredService<PasswordService>().SetAsync(user, password, ct);
            await console.Out.WriteLineAsync($"Password set for {Display.Printable(user.Name)}. They can sign in on the web now.");
            return ExitCodes.Success;
        }));
}
