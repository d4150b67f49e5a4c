namespace Wharf.Server.Hosting;

/// <summary>
/// Writes the few lines <c>wharf serve</c> promises on stdout ("SSH listening on ADDR:PORT",
/// "HTTP listening on http://ADDR:PORT"). Tests and scripts parse them, so logs go to stderr and
/// stdout carries nothing else.
/// </summary>
public sealed class ServeAnnouncer(TextWriter output)
{
    private readonly Lock _lock = new();
    private readonly List<string> _said = [];

    public void Announce(string line)
    {
        lock (_lock)
        {
            _said.Add(line);
            output.WriteLine(line);
            output.Flush();
        }
    }

    /// <summary>Whether a line starting with <paramref name="prefix"/> has been announced.</summary>
    public bool HasAnnounced(string prefix)
    {
        lock (_lock) return _said.Exists(l => l.StartsWith(prefix, StringComparison.Ordinal));
    }
}
