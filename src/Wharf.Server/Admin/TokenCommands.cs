using Wharf.Core.Errors;
using Wharf.Core.Tokens;
using Wharf.Server.Cli;

namespace Wharf.Server.Admin;

public static class TokenCommands
{
    public static readonly CliCommand Create = new(
        "admin token create",
        "Creates an API token for USER and prints it once, alone on the last line; only its SHA-256 is stored.",
        ["USER"], [new CliOption("--name", "NAME", Required: false)],
        (args, console, ct) => AdminCommand.RunAsync(args, console, ct, async services =>
        {
            var (token, secret) = await services.GetRequiredService<ApiTokenService>().CreateAsync(args.Positionals[0], args["--name"], ct);
            await console.Out.WriteLineAsync($"Created API token {Display.Quote(token.Name)} for {Display.Printable(args.Positionals[0])}. It is shown only now; keep it secret:");
            await console.Out.WriteLineAsync(secret);
            return ExitCodes.Success;
        }));
}
