using System.Diagnostics;
using Wharf.Ssh.Authentication;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Messages;
using Wharf.Ssh.Server;
using Wharf.Ssh.Tests.Keys;
using Wharf.Ssh.Tests.Support;
using Wharf.Ssh.Transport;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.Tests.Fuzzing;

/// <summary>
/// Bounded fuzzing of every parser that reads bytes from the network: key blobs, KEXINIT, the packet
/// decoder and user-auth requests. Each input may be accepted or refused with the parser's own
/// exception; anything else (a crash), a hang, or a large allocation fails the test and names the
/// iteration. Time per target: WHARF_FUZZ_SECONDS (default 3) so CI stays bounded.
/// </summary>
public class ParserFuzzTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(
        double.TryParse(Environment.GetEnvironmentVariable("WHARF_FUZZ_SECONDS"), out var s) ? s : 3);

    // A hostile input may make a parser allocate what the input itself holds, a few times over, but not more.
    private const long MaxAllocationPerInput = 4 * 1024 * 1024;

    private static int Run(int seed, byte[][] seeds, Action<byte[]> target)
    {
        // One worker thread runs the loop: allocations are counted on that thread, and a parser that
        // never returns is caught by the join timeout instead of hanging the test run.
        var mutator = new Mutator(seed);
        var iterations = 0;
        byte[] current = [];
        Exception? failure = null;
        var worker = new Thread(() =>
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < Budget)
            {
                current = mutator.Mutate(mutator.Pick(seeds));
                var before = GC.GetAllocatedBytesForCurrentThread();
                try
                {
                    target(current);
                }
                catch (Exception e)
                {
                    failure = new Xunit.Sdk.XunitException($"seed {seed}, iteration {iterations}: {e.GetType().Name}: {e.Message}\ninput: {Convert.ToHexString(current)}\n{e}");
                    return;
                }
                var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                if (allocated > MaxAllocationPerInput)
                {
                    failure = new Xunit.Sdk.XunitException($"seed {seed}, iteration {iterations}: {allocated} bytes allocated for a {current.Length}-byte input: {Convert.ToHexString(current)}");
                    return;
                }
                iterations++;
            }
        }, 16 * 1024 * 1024);
        worker.Start();
        if (!worker.Join(Budget + TimeSpan.FromSeconds(30)))
            throw new Xunit.Sdk.XunitException($"seed {seed}, iteration {iterations}: hang on input {Convert.ToHexString(current)}");
        if (failure is not null) throw failure;
        return iterations;
    }

    private static byte[][] KeyBlobs =>
    [
        .. new[] { KeyFixtures.Ed25519, KeyFixtures.Rsa3072, KeyFixtures.EcdsaP256, KeyFixtures.EcdsaP384, KeyFixtures.EcdsaP521 }
            .Select(l => SshPublicKey.ParseOpenSsh(l).BlobArray()),
    ];

    [Fact]
    public void KeyBlobParserOnlyEverRefusesWithAKeyFormatError()
    {
        var n = Run(1, KeyBlobs, input =>
        {
            try { SshPublicKey.FromBlob(input); }
            catch (SshKeyFormatException) { }
        });
        Assert.True(n > 100, $"only {n} iterations");
    }

    [Fact]
    public void OpenSshLineParserOnlyEverRefusesWithAKeyFormatError()
    {
        byte[][] seeds = [.. new[] { KeyFixtures.Ed25519, KeyFixtures.EcdsaP256 }.Select(System.Text.Encoding.UTF8.GetBytes)];
        Run(2, seeds, input =>
        {
            try { SshPublicKey.ParseOpenSsh(System.Text.Encoding.UTF8.GetString(input)); }
            catch (SshKeyFormatException) { }
        });
    }

    [Fact]
    public void PastedKeyTextParserOnlyEverRefusesWithAKeyFormatErrorAndNeverBacktracksForever()
    {
        string[] texts =
        [
            KeyFixtures.Rsa3072,
            "no-pty,command=\"git-shell -c \\\"x\\\"\" " + KeyFixtures.Ed25519,
            "---- BEGIN SSH2 PUBLIC KEY ----\nComment: \"a \\\nb\"\n" + KeyFixtures.Ed25519.Split(' ')[1] + "\n---- END SSH2 PUBLIC KEY ----\n",
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAugsRpDgrOAb+X70VjyQtAG+NykK4jMR73AsHlnJb6pU=\n-----END PUBLIC KEY-----\n",
        ];
        var n = Run(6, [.. texts.Select(System.Text.Encoding.UTF8.GetBytes)], input =>
        {
            try { PublicKeyText.Parse(System.Text.Encoding.UTF8.GetString(input)); }
            catch (SshKeyFormatException) { }
        });
        Assert.True(n > 100, $"only {n} iterations");
    }

    private static byte[] SampleKexInit() => new KexInit
    {
        Kex = ["mlkem768x25519-sha256", "curve25519-sha256", "ext-info-c", "kex-strict-c-v00@openssh.com"], HostKey = ["ssh-ed25519", "rsa-sha2-512"],
        CiphersClientToServer = ["chacha20-poly1305@openssh.com", "aes128-ctr,"], CiphersServerToClient = ["aes256-gcm@openssh.com"],
        MacsClientToServer = ["hmac-sha2-256-etm@openssh.com"], MacsServerToClient = ["hmac-sha2-512-etm@openssh.com"],
        CompressionClientToServer = ["none", "zlib@openssh.com"], CompressionServerToClient = ["none"], FirstKexPacketFollows = true,
    }.Write();

    [Fact]
    public void KexInitParserAndNegotiationOnlyEverRefuseWithAProtocolError()
    {
        var server = KexInit.Read(SampleKexInit());
        Run(3, [SampleKexInit()], input =>
        {
            try
            {
                var client = KexInit.Read(input);
                KeyExchange.KexAlgorithms.Negotiate(client, server);
            }
            catch (SshProtocolException) { }
        });
    }

    [Fact]
    public async Task PacketDecoderOnlyEverRefusesWithAProtocolErrorAndNeverHangs()
    {
        // An identification line and a few well-formed unencrypted packets, then mutated as one stream.
        var sink = new ChunkedReadStream([], (_, r) => r);
        var writer = new SshTransport(sink, 256 * 1024);
        await writer.SendVersionAsync("SSH-2.0-Fuzz_1.0", default);
        await writer.SendAsync(SampleKexInit());
        await writer.SendAsync(new byte[] { 2, 0, 0, 0, 3, 1, 2, 3 });
        var stream = sink.Written.ToArray();
        var n = Run(4, [stream], input =>
        {
            // Reads complete synchronously (no yield), so the whole decode runs on the fuzzing thread.
            var reader = new SshTransport(new ChunkedReadStream(input, (_, r) => Math.Min(r, 7), yieldOnRead: false), 256 * 1024);
            try
            {
                reader.ReadVersionAsync(default).GetAwaiter().GetResult();
                while (reader.ReadPacketAsync(default).AsTask().GetAwaiter().GetResult() is not null) { }
            }
            catch (SshProtocolException) { }
            catch (EndOfStreamException) { }
        });
        Assert.True(n > 100, $"only {n} iterations");
    }

    private sealed class NoKeys : ISshServerHandler
    {
        public ValueTask<SshPrincipal?> FindPrincipalAsync(SshAuthRequest request, CancellationToken cancellationToken) => ValueTask.FromResult<SshPrincipal?>(null);
        public Task<int> RunSessionAsync(SshSession session, CancellationToken cancellationToken) => Task.FromResult(0);
    }

    [Fact]
    public void UserAuthRequestParserOnlyEverRefusesWithAProtocolError()
    {
        var key = SshPublicKey.ParseOpenSsh(KeyFixtures.Ed25519);
        byte[] Request(bool signed)
        {
            var w = new SshWriter();
            w.WriteByte(MessageNumbers.UserAuthRequest);
            w.WriteString("git");
            w.WriteString("ssh-connection");
            w.WriteString("publickey");
            w.WriteBoolean(signed);
            w.WriteString("ssh-ed25519");
            w.WriteBinary(key.Blob);
            if (signed) w.WriteBinary(new byte[83]);
            return w.ToArray();
        }
        var serviceRequest = new SshWriter();
        serviceRequest.WriteByte(MessageNumbers.ServiceRequest);
        serviceRequest.WriteString("ssh-userauth");
        var options = new SshServerOptions { MaxAuthTries = 100, MaxAuthRequests = 1000 };
        Run(5, [Request(false), Request(true)], input =>
        {
            var transport = new SshTransport(new ChunkedReadStream([], (_, r) => r), 256 * 1024);
            var auth = new UserAuthService(transport, options, new NoKeys(), null);
            try
            {
                auth.HandleAsync(MessageNumbers.ServiceRequest, serviceRequest.WrittenMemory, new byte[32], default).GetAwaiter().GetResult();
                if (input.Length > 0) auth.HandleAsync(input[0], input, new byte[32], default).GetAwaiter().GetResult();
            }
            catch (SshProtocolException) { }
            Assert.Null(auth.Principal);
        });
    }
}
