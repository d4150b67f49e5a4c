namespace Wharf.Server.Hosting;

/// <summary>
/// Writes the few lines <c>wharf serve</c> promises on stdout ("SSH listening on ADDR:PORT",
/// "HTTP listening on http://ADDR:PORT"). Tests and scripts parse them, so logs go to stderr and
/// stdout carries nothing else.
/// </summary>
public sealed class ServeAnnouncer(TextWriter output)
{
    private readonly Lock _lock = new();

    public void Announce(string line)
    {
        lock (_lock)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }
}
