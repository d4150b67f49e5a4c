namespace Wharf.Server.Cli;

/// <summary>
/// One verb of the <c>wharf</c> executable: its words, the positional arguments and options it takes,
/// and what runs it. <c>--data DIR</c> and <c>--database URL</c> are accepted by every command.
/// </summary>
public sealed record CliCommand(
    string Verb,
    string Summary,
    IReadOnlyList<string> Arguments,
    IReadOnlyList<CliOption> Options,
    Func<CliArguments, CliContext, CancellationToken, Task<int>> Run)
{
    public static readonly CliOption Data = new("--data", "DIR", Required: false);
    public static readonly CliOption Database = new("--database", "URL", Required: false);

    public IEnumerable<CliOption> AllOptions => Options.Append(Data).Append(Database);

    public string Usage => string.Join(' ',
        new[] { "wharf", Verb }
            .Concat(Arguments)
            .Concat(AllOptions.Select(o => o.Required ? $"{o.Name} {o.Value}" : o.IsFlag ? $"[{o.Name}]" : $"[{o.Name} {o.Value}]")));
}

/// <summary>An option; with a null <see cref="Value"/> it is a flag that takes no value (its value reads as "true").</summary>
public sealed record CliOption(string Name, string? Value, bool Required)
{
    public bool IsFlag => Value is null;

    public static CliOption Flag(string name) => new(name, null, Required: false);
}

/// <summary>What the parser found for one command.</summary>
public sealed class CliArguments(IReadOnlyList<string> positionals, IReadOnlyDictionary<string, string> options)
{
    public IReadOnlyList<string> Positionals { get; } = positionals;

    public string? this[string option] => options.TryGetValue(option, out var v) ? v : null;

    public bool Has(string option) => options.ContainsKey(option);
}
