using Wharf.Core.Errors;
using Wharf.Core.Tokens;
using Wharf.Server.Cli;

namespace Wharf.Server.Admin;

public static class TokenCommands
{
    public static readonly CliCommand Create = new(
        "admin token create",
        "Creates an API token for USER and prints it once, alone on the last line; only its SHA-256 is stored. "
        + "--scopes limits it (comma-separated: repository:read, repository:write, account, account:write); without it the token has all of them.",
        ["USER"], [new CliOption("--name", "NAME", Required: false), new CliOption("--scopes", "SCOPE[,SCOPE...]", Required: false)],
        (args, console, ct) => AdminCommand.RunAsync(args, console, ct, async services =>
        {
            var (token, secret) = await services.GetRequiredService<ApiTokenService>().CreateAsync(args.Positionals[0], args["--name"], ct,
                scopes: args["--scopes"] is { } scopes ? [scopes] : null);
            await console.Out.WriteLineAsync($"Created API token {Display.Quote(token.Name)} for {Display.Printable(args.Positionals[0])} with scopes: {TokenScopes.Describe(token.Scopes)}. It is shown only now; keep it secret:");
            await console.Out.WriteLineAsync(secret);
            return ExitCodes.Success;
        }));
}
