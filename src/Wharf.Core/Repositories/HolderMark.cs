using System.Globalization;

namespace Wharf.Core.Repositories;

/// <summary>
/// The one line a process writes into a marker file it holds (a repository being created, a maintenance lock, a push in
/// progress): "host NAME pid N since TIME\n". After a crash, recovery reads it back to tell a holder on this machine that
/// is gone (its marker may be removed) from one that still runs or lives on another node (left alone).
/// </summary>
public static class HolderMark
{
    /// <summary>The line for this process, held since <paramref name="since"/>.</summary>
    public static string ForThisProcess(DateTimeOffset since) =>
        $"host {Environment.MachineName} pid {Environment.ProcessId.ToString(CultureInfo.InvariantCulture)} since {since.ToString("O", CultureInfo.InvariantCulture)}\n";

    /// <summary>
    /// The pid and the time in <paramref name="text"/> when it names this host; null for another host or another format.
    /// The time tells a pid the system has since given to a new process (it started after the holder wrote its line).
    /// </summary>
    public static (int Pid, DateTimeOffset Since)? OnThisHost(string text)
    {
        var words = text.Split(' ', '\n');
        if (!(words.Length >= 6 && words[0] == "host" && words[1] == Environment.MachineName && words[2] == "pid"
              && int.TryParse(words[3], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && words[4] == "since"
              && DateTimeOffset.TryParseExact(words[5], "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var since)))
            return null;
        return (pid, since);
    }
}
