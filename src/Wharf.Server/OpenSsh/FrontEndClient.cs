using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Wharf.Server.OpenSsh;

/// <summary>
/// The fast path of <c>wharf keys authorized</c> and <c>wharf shell</c>, taken first thing in the process, before any host,
/// configuration, dependency injection or database is built: when <c>wharf serve</c> listens on the data directory's
/// front-end socket (<see cref="FrontEndProtocol.SocketPath"/>), the command asks it and relays the answer or the session.
/// When nothing listens there, or the arguments are anything but the plain forms sshd runs, it returns null and the
/// command runs as before, doing the lookup itself.
/// </summary>
public static class FrontEndClient
{
    /// <summary>How long a lookup waits for <c>wharf serve</c> before doing it itself.</summary>
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    /// <param name="program">The words that start the program the forced command should name.</param>
    /// <returns>The exit status, or null to run the command the slow way.</returns>
    public static int? TryRun(string[] args, IReadOnlyList<string> program)
    {
        if (args is ["keys", "authorized", .. var keyArgs])
        {
            var options = Options(keyArgs, ["--user", "--type", "--key", "--data"]);
            if (options is null || !options.ContainsKey("--user") || !options.ContainsKey("--type") || !options.ContainsKey("--key")) return null;
            return Keys(options, program);
        }
        if (args is ["shell", .. var shellArgs])
        {
            var options = Options(shellArgs, [FrontEndProtocol.KeyIdOption, FrontEndProtocol.AccessKeyIdOption, "--data"]);
            if (options is null || options.ContainsKey(FrontEndProtocol.KeyIdOption) == options.ContainsKey(FrontEndProtocol.AccessKeyIdOption)) return null;
            return Shell(options);
        }
        return null;
    }

    /// <summary>The <c>--name value</c> pairs, each known and given once; null for anything else.</summary>
    private static Dictionary<string, string>? Options(string[] args, string[] known)
    {
        if (args.Length % 2 != 0) return null;
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i += 2)
            if (!known.Contains(args[i]) || !options.TryAdd(args[i], args[i + 1])) return null;
        return options;
    }

    /// <summary>As wharf's own commands resolve it: <c>--data</c>, else <c>WHARF_DATA</c>, else <c>./data</c>.</summary>
    private static string DataDirectory(Dictionary<string, string> options)
    {
        var dir = options.GetValueOrDefault("--data");
        if (string.IsNullOrWhiteSpace(dir)) dir = Environment.GetEnvironmentVariable(FrontEndProtocol.DataEnvironmentVariable);
        if (string.IsNullOrWhiteSpace(dir)) dir = FrontEndProtocol.DefaultDataDirectory;
        return dir;
    }

    private static Socket? Connect(string dataDirectory)
    {
        var path = FrontEndProtocol.SocketPath(dataDirectory);
        if (!File.Exists(path)) return null;
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return socket;
        }
        catch (SocketException)
        {
            // A socket file left by a server that is gone (ECONNREFUSED), or one this account may not use.
            socket.Dispose();
            return null;
        }
    }

    private static int? Keys(Dictionary<string, string> options, IReadOnlyList<string> program)
    {
        var data = DataDirectory(options);
        using var socket = Connect(data);
        if (socket is null) return null;
        string? answer = null;
        var refusal = new MemoryStream();
        try
        {
            socket.ReceiveTimeout = (int)AnswerTimeout.TotalMilliseconds;
            socket.SendTimeout = (int)AnswerTimeout.TotalMilliseconds;
            socket.Send(FrontEndProtocol.Frame(FrontEndProtocol.KeysRequest,
                FrontEndProtocol.Request(options["--user"], options["--type"], options["--key"])));
            while (true)
            {
                var (type, payload) = ReadFrame(socket);
                switch (type)
                {
                    case FrontEndProtocol.Answer: answer = Encoding.UTF8.GetString(payload); break;
                    case FrontEndProtocol.Error: refusal.Write(payload); break;
                    case FrontEndProtocol.Exit when answer is not null: goto done;
                    default: return null;
                }
            }
        }
        catch (Exception e) when (e is SocketException or IOException or ArgumentException)
        {
            // Nothing has been printed yet: serve went away or answered nonsense, so do the lookup here.
            return null;
        }
    done:
        if (refusal.Length > 0)
        {
            using var stderr = Console.OpenStandardError();
            stderr.Write(refusal.ToArray());
        }
        if (answer.Split(' ', 3) is [var option, var id, var keyLine]
            && (option == FrontEndProtocol.KeyIdOption || option == FrontEndProtocol.AccessKeyIdOption))
        {
            using var stdout = Console.OpenStandardOutput();
            stdout.Write(Encoding.UTF8.GetBytes(FrontEndProtocol.AuthorizedKeysLine(program, option, id, data, keyLine) + "\n"));
        }
        return 0;
    }

    private static int? Shell(Dictionary<string, string> options)
    {
        using var socket = Connect(DataDirectory(options));
        if (socket is null) return null;
        try
        {
            socket.ReceiveTimeout = (int)AnswerTimeout.TotalMilliseconds;
            socket.Send(FrontEndProtocol.Frame(FrontEndProtocol.ShellRequest, FrontEndProtocol.Request(
                options.GetValueOrDefault(FrontEndProtocol.KeyIdOption), options.GetValueOrDefault(FrontEndProtocol.AccessKeyIdOption),
                Environment.GetEnvironmentVariable("SSH_ORIGINAL_COMMAND"), Environment.GetEnvironmentVariable("GIT_PROTOCOL"),
                Environment.GetEnvironmentVariable("SSH_CONNECTION"))));
            // serve takes the request with an empty answer before anything is read from stdin: until then, falling
            // back to running the command here loses nothing.
            if (ReadFrame(socket) is not (FrontEndProtocol.Answer, { Length: 0 })) return null;
            socket.ReceiveTimeout = 0;
        }
        catch (Exception e) when (e is SocketException or IOException or ArgumentException)
        {
            return null;
        }

        var input = new Thread(() => Pump(socket)) { IsBackground = true, Name = "stdin" };
        input.Start();
        using var stdout = Console.OpenStandardOutput();
        using var stderr = Console.OpenStandardError();
        try
        {
            while (true)
            {
                var (type, payload) = ReadFrame(socket);
                switch (type)
                {
                    case FrontEndProtocol.Output: stdout.Write(payload); stdout.Flush(); break;
                    case FrontEndProtocol.Error: stderr.Write(payload); stderr.Flush(); break;
                    case FrontEndProtocol.Exit when payload.Length == 4: return BinaryPrimitives.ReadInt32BigEndian(payload);
                    default: throw new IOException("unexpected frame");
                }
            }
        }
        catch (Exception e) when (e is SocketException or IOException or ArgumentException)
        {
            stderr.Write("wharf: the connection to wharf serve ended before the command did.\n"u8);
            return 1;
        }
    }

    /// <summary>Standard input to serve, then its end; stops when either side goes away.</summary>
    private static void Pump(Socket socket)
    {
        try
        {
            using var stdin = Console.OpenStandardInput();
            var buffer = new byte[FrontEndProtocol.MaxData];
            Span<byte> header = stackalloc byte[5];
            while (true)
            {
                var n = stdin.Read(buffer, 0, buffer.Length);
                header[0] = n == 0 ? FrontEndProtocol.InputEnd : FrontEndProtocol.Input;
                BinaryPrimitives.WriteInt32BigEndian(header[1..], n);
                socket.Send(header);
                if (n == 0) return;
                socket.Send(buffer.AsSpan(0, n));
            }
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            // serve ended the session, or sshd closed our input: the main loop reports what happened.
        }
    }

    private static (byte Type, byte[] Payload) ReadFrame(Socket socket)
    {
        Span<byte> header = stackalloc byte[5];
        ReadExactly(socket, header);
        var length = BinaryPrimitives.ReadInt32BigEndian(header[1..]);
        if (length is < 0 or > FrontEndProtocol.MaxData) throw new IOException("frame too long");
        var payload = new byte[length];
        ReadExactly(socket, payload);
        return (header[0], payload);
    }

    private static void ReadExactly(Socket socket, Span<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            var n = socket.Receive(buffer);
            if (n == 0) throw new IOException("the connection ended");
            buffer = buffer[n..];
        }
    }
}
