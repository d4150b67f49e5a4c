using Wharf.Core.Errors;

namespace Wharf.Server.Cli;

/// <summary>
/// A small parser for the fixed set of verbs: the longest run of leading words that names a command
/// picks it, then <c>--name value</c> or <c>--name=value</c> options and positionals follow in any order
/// (<c>--</c> ends options). Errors are <see cref="WharfException"/>s of category InvalidArgument.
/// </summary>
public static class CliParser
{
    public static (CliCommand Command, CliArguments Arguments) Parse(IReadOnlyList<CliCommand> commands, IReadOnlyList<string> args)
    {
        var (command, used) = FindCommand(commands, args);
        var positionals = new List<string>();
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var known = command.AllOptions.ToDictionary(o => o.Name, StringComparer.Ordinal);
        var onlyPositionals = false;

        for (var i = used; i < args.Count; i++)
        {
            var arg = args[i];
            if (onlyPositionals || !arg.StartsWith('-') || arg == "-")
            {
                positionals.Add(arg);
                continue;
            }
            if (arg == "--")
            {
                onlyPositionals = true;
                continue;
            }
            var eq = arg.IndexOf('=');
            var name = eq > 0 ? arg[..eq] : arg;
            if (!known.TryGetValue(name, out var option))
                throw Usage(command, $"unknown option {Display.Quote(name)} for '{command.Verb}'.");
            string value;
            if (option.IsFlag)
            {
                if (eq > 0) throw Usage(command, $"option '{name}' takes no value.");
                value = "true";
            }
            else if (eq > 0) value = arg[(eq + 1)..];
            else if (i + 1 < args.Count) value = args[++i];
            else throw Usage(command, $"option '{name}' needs a value ({option.Value}).");
            if (!options.TryAdd(name, value))
                throw Usage(command, $"option '{name}' is given more than once.");
        }

        if (positionals.Count < command.Arguments.Count)
            throw Usage(command, $"missing {command.Arguments[positionals.Count]}.");
        if (positionals.Count > command.Arguments.Count)
            throw Usage(command, $"unexpected argument {Display.Quote(positionals[command.Arguments.Count])}.");
        foreach (var required in command.AllOptions.Where(o => o.Required && !options.ContainsKey(o.Name)))
            throw Usage(command, $"missing {required.Name} {required.Value}.");

        return (command, new CliArguments(positionals, options));
    }

    public static WharfException Usage(CliCommand command, string message) =>
        WharfException.InvalidArgument($"{message}\nusage: {command.Usage}");

    private static (CliCommand, int) FindCommand(IReadOnlyList<CliCommand> commands, IReadOnlyList<string> args)
    {
        CliCommand? best = null;
        var bestLength = 0;
        foreach (var command in commands)
        {
            var words = command.Verb.Split(' ');
            if (words.Length > bestLength && words.Length <= args.Count && words.Select((w, i) => w == args[i]).All(m => m))
                (best, bestLength) = (command, words.Length);
        }
        if (best is not null) return (best, bestLength);

        var typed = string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')));
        throw WharfException.InvalidArgument(
            (typed.Length == 0 ? "no command given." : $"unknown command {Display.Quote(typed)}.") + "\n" + HelpText(commands));
    }

    public static string HelpText(IReadOnlyList<CliCommand> commands) =>
        "usage:\n" + string.Concat(commands.Select(c => $"  {c.Usage}\n      {c.Summary}\n")).TrimEnd('\n');
}
