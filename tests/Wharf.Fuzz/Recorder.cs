using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Wharf.Ssh.Messages;
using Wharf.Ssh.Server;
using Wharf.Ssh.Wire;

namespace Wharf.Fuzz;

/// <summary>
/// Records seed corpora from real clients (tests/Wharf.Fuzz/record-corpus.sh drives OpenSSH's ssh, git and hg at it):
/// an SSH server of the Wharf library on 127.0.0.1 that accepts any key and serves git and hg from local repositories,
/// and writes what each connection's client sent, after decryption, as seeds in each target's input format under
/// DIR/TARGET/. Payloads carry no secret worth keeping (user-auth signatures are bound to a session identifier
/// that is never reused); the recorder's own throwaway host key is never written.
/// </summary>
internal static class Recorder
{
    private static readonly AsyncLocal<List<byte[]>?> Current = new();

    public static async Task<int> RunAsync(string dir, int port)
    {
        var gitRepository = Environment.GetEnvironmentVariable("WHARF_FUZZ_GIT_REPO");
        var hgRepository = Environment.GetEnvironmentVariable("WHARF_FUZZ_HG_REPO");
        var options = new SshServerOptions { ReceivedPayloadObserver = payload => Current.Value?.Add(payload.ToArray()) };
        options.HostKeys.Add(Wharf.Ssh.Keys.SshHostKey.GenerateEd25519("recorder"));
        var server = new SshServer(options, new Handler(dir, gitRepository, hgRepository));
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        Console.WriteLine($"recording on 127.0.0.1:{port} into {dir}");
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(stop.Token);
                _ = Task.Run(async () =>
                {
                    var payloads = new List<byte[]>();
                    Current.Value = payloads;
                    using (client)
                    {
                        try { await server.RunConnectionAsync(client.GetStream(), client.Client.RemoteEndPoint, stop.Token); }
                        catch (Exception e) { Console.Error.WriteLine($"connection: {e.Message}"); }
                    }
                    lock (Lock) Write(dir, payloads);
                });
            }
        }
        catch (OperationCanceledException) { }
        return 0;
    }

    private static readonly Lock Lock = new();

    public static int MlKemSeed(string dir)
    {
        var publicKey = new byte[Geralt.MLKEM768.PublicKeySize];
        var privateKey = new byte[Geralt.MLKEM768.PrivateKeySize];
        Geralt.MLKEM768.GenerateKeyPair(publicKey, privateKey);
        var x25519 = RandomNumberGenerator.GetBytes(32);
        var w = new SshWriter();
        w.WriteByte(MessageNumbers.KexEcdhInit);
        w.WriteBinary([.. publicKey, .. x25519]);
        var full = Path.GetDirectoryName(Path.GetFullPath(dir))!;
        Save(full, Path.GetFileName(Path.GetFullPath(dir)), w.ToArray());
        return 0;
    }

    private static void Save(string dir, string target, byte[] content)
    {
        var folder = Path.Combine(dir, target);
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, Convert.ToHexStringLower(SHA1.HashData(content))[..16]), content);
    }

    private static byte[] Framed(IEnumerable<byte[]> payloads, int maxBytes)
    {
        var output = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        foreach (var p in payloads)
        {
            if (output.Length + 4 + p.Length > maxBytes) break;
            BinaryPrimitives.WriteUInt32BigEndian(length, (uint)p.Length);
            output.Write(length);
            output.Write(p);
        }
        return output.ToArray();
    }

    private static readonly string[] PacketTargets =
    [
        "packet-chacha20-poly1305", "packet-aes128-gcm", "packet-aes256-gcm", "packet-aes-ctr-hmac-sha2-256-etm",
        "packet-aes-ctr-hmac-sha2-512-etm", "packet-aes-ctr-hmac-sha2-256", "packet-aes-ctr-hmac-sha2-512",
    ];

    /// <summary>Splits one connection's payloads into seeds for every target that parses them.</summary>
    private static void Write(string dir, List<byte[]> payloads)
    {
        if (payloads.Count == 0) return;
        foreach (var p in payloads)
        {
            switch (p[0])
            {
                case MessageNumbers.KexInit:
                    Save(dir, "kexinit", p);
                    break;
                case MessageNumbers.KexEcdhInit:
                    // The method is known from the client value's size (RFC 8731: 32 bytes; ML-KEM-768 1184 + 32;
                    // sntrup761 1158 + 32); anything else is a DH mpint, whose size names the group.
                    var body = p.Length - 5;
                    if (body == 32) Save(dir, "kex-curve25519", p);
                    else if (body == 1184 + 32) Save(dir, "kex-mlkem768x25519", p);
                    else if (body == 1158 + 32) Save(dir, "kex-sntrup761x25519", p);
                    else Save(dir, "kex-dh", [(byte)(body <= 300 ? 0 : body <= 600 ? 1 : 2), .. p]);
                    break;
                case MessageNumbers.UserAuthRequest:
                    SaveKeyBlob(dir, p);
                    break;
            }
        }
        // The encrypted part starts after the client's first NEWKEYS.
        var afterNewKeys = payloads.SkipWhile(p => p[0] != MessageNumbers.NewKeys).Skip(1).ToList();
        var auth = afterNewKeys.Where(p => p[0] is MessageNumbers.ServiceRequest or MessageNumbers.UserAuthRequest).ToList();
        if (auth.Count > 0) Save(dir, "userauth", Framed(auth, 8192));
        // Channel data beyond a few hundred bytes (pack files) adds nothing the parsers look at.
        var connection = afterNewKeys.Where(p => p[0] >= MessageNumbers.GlobalRequest && p.Length <= 512).ToList();
        if (connection.Count > 0) Save(dir, "connection", Framed(connection, 8192));

        // Sealed-mode seeds for the packet decoders: flags 1 (plaintext sealed by the harness), then per packet a zero
        // padding byte (the correct padding length), uint16 length, payload.
        var packets = new MemoryStream();
        packets.WriteByte(1);
        foreach (var p in afterNewKeys.Take(12).Where(p => p.Length <= 1024))
        {
            packets.WriteByte(0);
            packets.WriteByte((byte)(p.Length >> 8));
            packets.WriteByte((byte)p.Length);
            packets.Write(p);
        }
        var seed = packets.ToArray();
        if (seed.Length > 1)
            foreach (var target in PacketTargets)
                Save(dir, target, seed);
    }

    private static void SaveKeyBlob(string dir, byte[] payload)
    {
        var r = new SshReader(payload);
        r.ReadByte();
        r.ReadString();
        r.ReadString();
        if (r.ReadString() != "publickey") return;
        r.ReadBoolean();
        var algorithm = r.ReadString();
        var blob = r.ReadBinary().ToArray();
        Save(dir, algorithm.Contains("-cert-", StringComparison.Ordinal) ? "certificate" : "key-blob", blob);
    }

    private sealed class Handler(string dir, string? gitRepository, string? hgRepository) : ISshServerHandler
    {
        public ValueTask<SshPrincipal?> FindPrincipalAsync(SshAuthRequest request, CancellationToken cancellationToken) =>
            ValueTask.FromResult<SshPrincipal?>(new SshPrincipal(request.UserName));

        public async Task<int> RunSessionAsync(SshSession session, CancellationToken cancellationToken)
        {
            if (session.Command is { } command)
                lock (Lock) Save(dir, "command", Encoding.UTF8.GetBytes(command));
            string[]? program = session.Command switch
            {
                { } c when c.StartsWith("git-upload-pack", StringComparison.Ordinal) && gitRepository is not null => ["git", "upload-pack", gitRepository],
                { } c when c.StartsWith("git-receive-pack", StringComparison.Ordinal) && gitRepository is not null => ["git", "receive-pack", gitRepository],
                { } c when c.StartsWith("hg ", StringComparison.Ordinal) && hgRepository is not null => ["hg", "-R", hgRepository, "serve", "--stdio"],
                _ => null,
            };
            if (program is null)
            {
                await session.Output.WriteAsync("recorded\n"u8.ToArray(), cancellationToken);
                return 0;
            }
            var start = new ProcessStartInfo(program[0]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in program[1..]) start.ArgumentList.Add(a);
            foreach (var (name, value) in session.Environment) start.Environment[name] = value;
            using var process = Process.Start(start)!;
            var input = Task.Run(async () =>
            {
                await session.Input.CopyToAsync(process.StandardInput.BaseStream, cancellationToken);
                process.StandardInput.Close();
            }, cancellationToken);
            var error = process.StandardError.BaseStream.CopyToAsync(session.Error, cancellationToken);
            await process.StandardOutput.BaseStream.CopyToAsync(session.Output, cancellationToken);
            await error;
            await process.WaitForExitAsync(cancellationToken);
            return process.ExitCode;
        }
    }
}
