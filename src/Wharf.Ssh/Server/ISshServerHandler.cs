using System.Net;
using Wharf.Ssh.Keys;

namespace Wharf.Ssh.Server;

/// <summary>
/// What the application answers for the SSH library. The library asks; the application decides
/// (docs/ARCHITECTURE.md, design rule 2). Nothing here sees protocol state.
/// </summary>
public interface ISshServerHandler
{
    /// <summary>
    /// Finds who a public key belongs to, or null when the key is unknown (or refused for this user name).
    /// Called for a publickey query (only to decide PK_OK) and again after the signature over the
    /// session identifier has verified; only the second answer is ever trusted (CVE-2024-45337).
    /// A thrown exception ends the connection: a database error never becomes "unknown key".
    /// </summary>
    ValueTask<SshPrincipal?> FindPrincipalAsync(SshAuthRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Runs one session channel: an <c>exec</c> (Command set) or a <c>shell</c> (Command null).
    /// Returns the exit status the client receives. The library sends exit-status, EOF and CLOSE
    /// after everything written to the output streams has been delivered.
    /// </summary>
    Task<int> RunSessionAsync(SshSession session, CancellationToken cancellationToken);
}

/// <summary>
/// A key offered by a client, with the user name it asked for. <see cref="SignatureVerified"/> is false for
/// a query ("would you accept this key?") and true once the client has proven it holds the private key;
/// only a verified request can end in a login.
/// </summary>
public sealed record SshAuthRequest(string UserName, SshPublicKey Key, EndPoint? RemoteEndPoint, bool SignatureVerified = false)
{
    /// <summary>
    /// Set by the application when it refuses a verified key (returns null) and wants to tell the person
    /// why, e.g. that the key expired and where to add a new one. Sent as SSH_MSG_USERAUTH_BANNER (RFC 4252
    /// §5.4), which OpenSSH prints on stderr. Ignored for queries: only the key's holder gets to read it.
    /// </summary>
    public string? RefusalBanner { get; set; }

    /// <summary>
    /// Set when the client offered an OpenSSH certificate (<c>*-cert-v01@openssh.com</c>): the parsed certificate, whose
    /// authority signature has verified; <see cref="Key"/> is then the certified key. Whether the authority is trusted
    /// and the certificate acceptable (type, validity, principals, critical options, revocation) is the application's
    /// decision: a handler that does not look at this must refuse, never treat the certificate as a plain key.
    /// </summary>
    public SshCertificate? Certificate { get; init; }
}

/// <summary>
/// The authenticated party. The application subclasses it to hang its own typed identity off the
/// connection (never a string-keyed bag, docs/ARCHITECTURE.md, design rule 2).
/// </summary>
public class SshPrincipal(string name)
{
    /// <summary>The name used in the greeting and in logs.</summary>
    public string Name { get; } = name;
}

/// <summary>One session channel's request and its byte streams.</summary>
public sealed class SshSession
{
    public required SshPrincipal Principal { get; init; }
    /// <summary>The SSH user name the client logged in with (e.g. "git" or "hg").</summary>
    public required string UserName { get; init; }
    /// <summary>The exec command line, or null for a shell request (what <c>ssh -T</c> sends).</summary>
    public required string? Command { get; init; }
    /// <summary>Variables the client sent with <c>env</c> requests, already reduced to the allow-list.</summary>
    public required IReadOnlyDictionary<string, string> Environment { get; init; }
    public EndPoint? RemoteEndPoint { get; init; }
    /// <summary>Channel data from the client; a read returns 0 after the client's EOF.</summary>
    public required Stream Input { get; init; }
    /// <summary>Channel data to the client (stdout). Writes wait for window credit.</summary>
    public required Stream Output { get; init; }
    /// <summary>Extended data type 1 to the client (stderr). Writes wait for window credit.</summary>
    public required Stream Error { get; init; }
}
