using Wharf.Core.Errors;

namespace Wharf.Server.Cli;

/// <summary>Runs one command line: parse, run, and turn a failure into a message and an exit code.</summary>
public sealed class CliApp(IReadOnlyList<CliCommand> commands)
{
    public async Task<int> RunAsync(IReadOnlyList<string> args, CliContext console, CancellationToken cancellationToken)
    {
        if (args is [] or ["--help"] or ["-h"] or ["help"])
        {
            (args.Count == 0 ? console.Error : console.Out).WriteLine(CliParser.HelpText(commands));
            return args.Count == 0 ? ExitCodes.InvalidArgument : ExitCodes.Success;
        }
        try
        {
            var (command, arguments) = CliParser.Parse(commands, args);
            return await command.Run(arguments, console, cancellationToken);
        }
        catch (WharfException e)
        {
            await console.Error.WriteLineAsync("wharf: " + Lines(e.Message));
            return ExitCodes.For(e.Category);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.InternalError;
        }
        catch (Exception e)
        {
            // Not a user's mistake: say what broke, in full, for whoever runs the server.
            await console.Error.WriteLineAsync("wharf: internal error: " + Lines(e.ToString()));
            return ExitCodes.InternalError;
        }
    }

    /// <summary>
    /// A message as the terminal may receive it: its own line breaks kept, every other control character
    /// (<see cref="Display.Printable"/>) replaced, whatever a message quoted from its input.
    /// </summary>
    private static string Lines(string message) => string.Join('\n', message.Split('\n').Select(l => Display.Printable(l)));
}
