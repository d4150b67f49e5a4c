using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Wharf.Core;

namespace Wharf.Server.OpenSsh;

/// <summary>
/// <c>wharf serve</c>'s side of the OpenSSH front end's fast path: a Unix domain socket at <c>DATA/run/wharf.sock</c>
/// (mode 0660, in a directory of mode 0770, so only the account that runs Wharf and its group can connect) on which
/// <c>wharf keys authorized</c> and <c>wharf shell</c> (<see cref="FrontEndClient"/>) ask the running server instead of
/// building their own. It answers two requests only, each with the code the commands run themselves
/// (<see cref="OpenSshCommands.AuthorizeKeyAsync"/>, <see cref="OpenSshCommands.ShellAsync"/>): which authorized_keys line
/// a key gets, and one shell session for a key id, whose key and command are judged when the request arrives, as
/// <c>wharf shell</c> does. Anything else closes the connection and is logged without its bytes. <c>OpenSsh:Socket</c>
/// (default true) turns it off.
/// </summary>
public sealed partial class FrontEndSocket(WharfPaths paths, IConfiguration configuration, IServiceScopeFactory scopes, ILogger<FrontEndSocket> logger)
    : BackgroundService
{
    /// <summary>How long a connection may take to send its request.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private Socket? listener;
    private string? path;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // sshd runs on Unix only; so does the socket's file mode.
        if (OperatingSystem.IsWindows() || !configuration.GetValue("OpenSsh:Socket", true)) return;
        var socketPath = FrontEndProtocol.SocketPath(paths.DataDirectory);
        var directory = Path.GetDirectoryName(socketPath)!;
        if (!Directory.Exists(directory))
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute);
        if (File.Exists(socketPath))
        {
            // Another serve on this data directory and machine already answers; else the file is left by one that is gone.
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await probe.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                LogInUse(logger, socketPath);
                return;
            }
            catch (SocketException)
            {
                File.Delete(socketPath);
            }
        }
        listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        listener.Listen(512);
        path = socketPath;
        LogListening(logger, socketPath);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (listener is null) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket connection;
            try { connection = await listener.AcceptAsync(stoppingToken); }
            catch (OperationCanceledException) { return; }
            catch (SocketException e)
            {
                LogAcceptFailed(logger, e);
                continue;
            }
            _ = Task.Run(() => ServeAsync(connection, stoppingToken), CancellationToken.None);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        listener?.Dispose();
        if (path is not null) File.Delete(path);
    }

    private async Task ServeAsync(Socket connection, CancellationToken stoppingToken)
    {
        using var _ = connection;
        await using var stream = new NetworkStream(connection, ownsSocket: false);
        try
        {
            byte type;
            byte[] payload;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                timeout.CancelAfter(RequestTimeout);
                (type, payload) = await ReadRequestAsync(stream, timeout.Token);
            }
            var fields = FrontEndProtocol.ParseRequest(payload, type == FrontEndProtocol.KeysRequest ? FrontEndProtocol.KeysFields : FrontEndProtocol.ShellFields, out var malformed);
            if (fields is null)
            {
                LogMalformed(logger, malformed!);
                return;
            }
            switch (type)
            {
                case FrontEndProtocol.KeysRequest:
                    if (fields.Any(f => f is null)) { LogMalformed(logger, "a keys request without user, type or key"); return; }
                    await using (var scope = scopes.CreateAsyncScope())
                    {
                        var answer = await OpenSshCommands.AuthorizeKeyAsync(scope.ServiceProvider, fields[0]!, fields[1]!, fields[2]!, stoppingToken);
                        await stream.WriteAsync(FrontEndProtocol.Frame(FrontEndProtocol.Answer,
                            Encoding.UTF8.GetBytes(FrontEndProtocol.AnswerText(answer.Option, answer.Id, answer.KeyLine))), stoppingToken);
                        if (answer.Refusal is not null)
                            await stream.WriteAsync(FrontEndProtocol.Frame(FrontEndProtocol.Error, Encoding.UTF8.GetBytes(answer.Refusal + "\n")), stoppingToken);
                        await stream.WriteAsync(FrontEndProtocol.ExitFrame(0), stoppingToken);
                    }
                    return;
                default:
                    if (OpenSshCommands.ShellKey(fields[0], fields[1]) is null) { LogMalformed(logger, "a shell request without a key id or access key id"); return; }
                    await ShellAsync(stream, new OpenSshCommands.ShellRequest(fields[0], fields[1], null, fields[2], fields[3], fields[4]), stoppingToken);
                    return;
            }
        }
        catch (MalformedException e)
        {
            LogMalformed(logger, e.Message);
        }
        catch (OperationCanceledException)
        {
            // serve is stopping, or the request did not come within RequestTimeout.
        }
        catch (IOException)
        {
            // The command went away (sshd's connection closed).
        }
        catch (Exception e)
        {
            LogFailed(logger, e);
        }
    }

    private async Task ShellAsync(NetworkStream stream, OpenSshCommands.ShellRequest request, CancellationToken stoppingToken)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var writeLock = new SemaphoreSlim(1, 1);
        await stream.WriteAsync(FrontEndProtocol.Frame(FrontEndProtocol.Answer, []), stoppingToken);
        var output = new FrameWriter(stream, FrontEndProtocol.Output, writeLock);
        var error = new FrameWriter(stream, FrontEndProtocol.Error, writeLock);
        // A connection that ends without the end-of-input frame is a command that is gone: its session ends too.
        var input = new FrameReader(stream, session.Cancel);
        int status;
        await using (var scope = scopes.CreateAsyncScope())
            status = await OpenSshCommands.ShellAsync(scope.ServiceProvider, request, input, output, error, session.Token);
        await writeLock.WaitAsync(stoppingToken);
        try { await stream.WriteAsync(FrontEndProtocol.ExitFrame(status), stoppingToken); }
        finally { writeLock.Release(); }
    }

    private static async Task<(byte Type, byte[] Payload)> ReadRequestAsync(Stream stream, CancellationToken ct)
    {
        var header = new byte[5];
        await stream.ReadExactlyAsync(header, ct);
        var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
        if (header[0] is not (FrontEndProtocol.KeysRequest or FrontEndProtocol.ShellRequest)) throw new MalformedException("an unknown request type");
        if (length is < 0 or > FrontEndProtocol.MaxRequest) throw new MalformedException($"a request of {length} bytes (at most {FrontEndProtocol.MaxRequest})");
        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload, ct);
        return (header[0], payload);
    }

    private sealed class MalformedException(string message) : Exception(message);

    /// <summary>Writes as frames of one type, at most <see cref="FrontEndProtocol.MaxData"/> bytes each.</summary>
    private sealed class FrameWriter(Stream stream, byte type, SemaphoreSlim writeLock) : Stream
    {
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (buffer.Length > 0)
            {
                var chunk = buffer[..Math.Min(buffer.Length, FrontEndProtocol.MaxData)];
                var header = new byte[5];
                header[0] = type;
                BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(1), chunk.Length);
                await writeLock.WaitAsync(cancellationToken);
                try
                {
                    await stream.WriteAsync(header, cancellationToken);
                    await stream.WriteAsync(chunk, cancellationToken);
                }
                finally { writeLock.Release(); }
                buffer = buffer[chunk.Length..];
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>The command's standard input: the payloads of input frames up to the end-of-input frame.</summary>
    private sealed class FrameReader(Stream stream, Action gone) : Core.ReadOnlyStream
    {
        private int remaining;
        private bool ended;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.Length == 0) return 0;
            try
            {
                while (remaining == 0)
                {
                    if (ended) return 0;
                    var header = new byte[5];
                    await stream.ReadExactlyAsync(header, cancellationToken);
                    var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
                    if (header[0] == FrontEndProtocol.InputEnd && length == 0) ended = true;
                    else if (header[0] == FrontEndProtocol.Input && length is > 0 and <= FrontEndProtocol.MaxData) remaining = length;
                    else throw new MalformedException("an unexpected frame in a shell session");
                }
                var n = await stream.ReadAsync(buffer[..Math.Min(buffer.Length, remaining)], cancellationToken);
                if (n == 0) throw new EndOfStreamException();
                remaining -= n;
                return n;
            }
            catch (Exception e) when (e is EndOfStreamException or IOException or MalformedException)
            {
                ended = true;
                gone();
                throw new IOException("the front-end connection ended", e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "OpenSSH front end: answering wharf keys authorized and wharf shell on {Path}")]
    private static partial void LogListening(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OpenSSH front end: {Path} is answered by another wharf serve; this one does not listen there")]
    private static partial void LogInUse(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OpenSSH front end: refused a malformed request on the front-end socket: {Reason}")]
    private static partial void LogMalformed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "OpenSSH front end: accepting on the front-end socket failed")]
    private static partial void LogAcceptFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "OpenSSH front end: a front-end request failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
