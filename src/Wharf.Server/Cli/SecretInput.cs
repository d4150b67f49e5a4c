using System.Text;
using Wharf.Core.Errors;

namespace Wharf.Server.Cli;

/// <summary>
/// Reads a secret (a password) from standard input: piped, the first line without its line ending, as
/// <c>docker login --password-stdin</c> does; at a terminal, typed twice without echo. The secret is only
/// returned, never written anywhere.
/// </summary>
public static class SecretInput
{
    public static async Task<string> ReadAsync(CliContext console, string what, int maxLength, CancellationToken cancellationToken)
    {
        if (console.InputIsTerminal)
        {
            var first = ReadWithoutEcho(console, $"{what}: ", maxLength);
            var second = ReadWithoutEcho(console, $"{what} again: ", maxLength);
            if (first != second) throw WharfException.InvalidArgument("The two entries differ; nothing was changed.");
            return first;
        }

        // Two characters over the limit leave room for "\r\n", so that an over-long secret is told so, not cut.
        var buffer = new char[maxLength + 3];
        var length = 0;
        int n;
        while (length < buffer.Length && (n = await console.In.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0) length += n;
        var text = new string(buffer, 0, length);
        if (text.EndsWith('\n')) text = text[..^1];
        if (text.EndsWith('\r')) text = text[..^1];
        if (text.Length == 0)
            throw WharfException.InvalidArgument($"No {what.ToLowerInvariant()} on standard input: pipe it in on one line, e.g. from a password manager.");
        if (text.Contains('\n') || text.Contains('\r'))
            throw WharfException.InvalidArgument($"The {what.ToLowerInvariant()} must be one line; standard input has more than one.");
        return text;
    }

    private static string ReadWithoutEcho(CliContext console, string prompt, int maxLength)
    {
        console.Error.Write(prompt);
        console.Error.Flush();
        var typed = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (typed.Length > 0) typed.Length--; }
            else if (!char.IsControl(key.KeyChar) && typed.Length <= maxLength) typed.Append(key.KeyChar);
        }
        console.Error.WriteLine();
        return typed.ToString();
    }
}
