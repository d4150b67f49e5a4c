using System.Text;
using System.Threading.Channels;

namespace Wharf.Server.Tests;

/// <summary>Standard output of an in-process <c>wharf serve</c>, one line at a time, for the "... listening on ..." lines.</summary>
public sealed class LineWriter : TextWriter
{
    private readonly StringBuilder _line = new();
    public Channel<string> Lines { get; } = Channel.CreateUnbounded<string>();
    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_line)
        {
            if (value == '\n') { Lines.Writer.TryWrite(_line.ToString().TrimEnd('\r')); _line.Clear(); }
            else _line.Append(value);
        }
    }
}
