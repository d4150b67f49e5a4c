using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Server;

namespace Wharf.Ssh.Tests.Support;

/// <summary>
/// A Wharf.Ssh server on a loopback port with a scripted application: "echo" copies input to output,
/// "fail" writes to stderr and exits 3, a shell greets. Keys are allowed by fingerprint.
/// </summary>
internal sealed class TestSshServer : IAsyncDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _listening;

    public TestSshServer(Action<SshServerOptions>? configure = null)
    {
        Options = new SshServerOptions();
        Options.HostKeys.Add(SshHostKey.GenerateEd25519());
        configure?.Invoke(Options);
        var started = new TaskCompletionSource<IPEndPoint>();
        var server = new SshServer(Options, Handler, Log);
        Server = server;
        _listening = server.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0), _cts.Token, ep => started.SetResult(ep));
        Port = started.Task.WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult().Port;
    }

    public SshServerOptions Options { get; }
    public SshServer Server { get; }
    public int Port { get; }
    public ScriptedHandler Handler { get; } = new();
    public RecordingLog Log { get; } = new();

    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        try { await _listening.WaitAsync(TimeSpan.FromSeconds(5)); } catch (OperationCanceledException) { }
    }
}

internal sealed class ScriptedHandler : ISshServerHandler
{
    public ConcurrentDictionary<string, string> AllowedKeys { get; } = new();
    public ConcurrentQueue<SshSession> Sessions { get; } = new();

    /// <summary>Keys that pass a query but are refused, with this banner, once their signature verified.</summary>
    public ConcurrentDictionary<string, string> RefusedWithBanner { get; } = new();

    /// <summary>Certificates the library handed over, with whether the request's signature had verified.</summary>
    public ConcurrentQueue<(SshCertificate Certificate, bool SignatureVerified)> Certificates { get; } = new();

    /// <summary>Certificate key ids allowed to log in, with the principal name they get; a certificate is never allowed by its key.</summary>
    public ConcurrentDictionary<string, string> AllowedCertificateIds { get; } = new();

    public ValueTask<SshPrincipal?> FindPrincipalAsync(SshAuthRequest request, CancellationToken cancellationToken)
    {
        if (request.Certificate is { } certificate)
        {
            Certificates.Enqueue((certificate, request.SignatureVerified));
            return ValueTask.FromResult(AllowedCertificateIds.TryGetValue(certificate.KeyId, out var holder) ? new SshPrincipal(holder) : null);
        }
        if (RefusedWithBanner.TryGetValue(request.Key.FingerprintSha256, out var banner))
        {
            if (!request.SignatureVerified) return ValueTask.FromResult<SshPrincipal?>(new SshPrincipal("query"));
            request.RefusalBanner = banner;
            return ValueTask.FromResult<SshPrincipal?>(null);
        }
        return ValueTask.FromResult(AllowedKeys.TryGetValue(request.Key.FingerprintSha256, out var name) ? new SshPrincipal(name) : null);
    }

    public async Task<int> RunSessionAsync(SshSession session, CancellationToken cancellationToken)
    {
        Sessions.Enqueue(session);
        switch (session.Command)
        {
            case null:
                await session.Output.WriteAsync(Encoding.UTF8.GetBytes($"hello {session.Principal.Name}\n"), cancellationToken);
                return 0;
            case "echo":
                await session.Input.CopyToAsync(session.Output, cancellationToken);
                return 0;
            case var c when c.StartsWith("bytes ", StringComparison.Ordinal):
            {
                var remaining = long.Parse(c[6..]);
                var chunk = new byte[65536];
                for (var i = 0; i < chunk.Length; i++) chunk[i] = (byte)i;
                while (remaining > 0)
                {
                    var n = (int)Math.Min(chunk.Length, remaining);
                    await session.Output.WriteAsync(chunk.AsMemory(0, n), cancellationToken);
                    remaining -= n;
                }
                return 0;
            }
            default:
                await session.Error.WriteAsync(Encoding.UTF8.GetBytes($"unknown command: {session.Command}\n"), cancellationToken);
                return 3;
        }
    }
}

internal sealed class RecordingLog : ISshServerLog
{
    public ConcurrentQueue<string> Lines { get; } = new();
    /// <summary>The address each event was reported with, as "event address" (open, auth-failed, auth-ok, refused, protocol-error).</summary>
    public ConcurrentQueue<string> Addresses { get; } = new();
    public void ConnectionOpened(EndPoint? remote, string clientVersion)
    {
        Addresses.Enqueue($"open {remote}");
        Lines.Enqueue($"open {clientVersion}");
    }
    public void ConnectionClosed(EndPoint? remote, string reason) => Lines.Enqueue($"closed {reason}");
    public void AuthenticationFailed(EndPoint? remote, string userName)
    {
        Addresses.Enqueue($"auth-failed {remote}");
        Lines.Enqueue($"auth-failed {userName}");
    }
    public void AuthenticationSucceeded(EndPoint? remote, string userName, string principal, string keyFingerprint)
    {
        Addresses.Enqueue($"auth-ok {remote}");
        Lines.Enqueue($"auth-ok {userName} {principal} {keyFingerprint}");
    }
    public void ProtocolError(EndPoint? remote, SshDisconnectReason reason, string message)
    {
        Addresses.Enqueue($"protocol-error {remote}");
        Lines.Enqueue($"protocol-error {reason} {message}");
    }
    public void HandlerError(EndPoint? remote, Exception exception) => Lines.Enqueue($"handler-error {exception.Message}");
    public void ConnectionRefused(EndPoint? remote, string reason)
    {
        Addresses.Enqueue($"refused {remote}");
        Lines.Enqueue($"refused {reason}");
    }
    public void ChannelClosedWithoutCommand(EndPoint? remote, TimeSpan timeout) => Lines.Enqueue($"channel closed without command after {timeout.TotalSeconds} s");
}
