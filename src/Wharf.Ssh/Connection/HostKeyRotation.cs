using Wharf.Ssh.Keys;
using Wharf.Ssh.Messages;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.Connection;

/// <summary>
/// OpenSSH's host key update and rotation extension (openssh-portable <c>PROTOCOL</c>, "hostkeys-00@openssh.com"):
/// after authentication the server announces every host key it holds in a global request without reply; a client
/// that finds keys it does not know asks the server to prove it holds their private halves with
/// <c>hostkeys-prove-00@openssh.com</c>, and records them once the proofs verify. Keys the client knew for the host but
/// that are not announced are removed from its known_hosts. So a key announced now and used to sign later is trusted
/// in advance, and no client sees a changed-key warning when it starts being used (docs/SSH-INTEROP.md §18).
/// </summary>
internal static class HostKeyRotation
{
    public const string Announce = "hostkeys-00@openssh.com";
    public const string Prove = "hostkeys-prove-00@openssh.com";

    /// <summary>SSH_MSG_GLOBAL_REQUEST "hostkeys-00@openssh.com", want-reply false, then one string per key blob.</summary>
    public static byte[] Announcement(IEnumerable<SshHostKey> keys)
    {
        var w = new SshWriter(1024);
        w.WriteByte(MessageNumbers.GlobalRequest);
        w.WriteString(Announce);
        w.WriteBoolean(false);
        foreach (var key in keys) w.WriteBinary(key.PublicKey.Blob);
        return w.ToArray();
    }

    /// <summary>
    /// The answer to a prove request whose name and want-reply flag <paramref name="r"/> has already read: SSH_MSG_REQUEST_SUCCESS
    /// with one signature per requested key, in the order asked, or SSH_MSG_REQUEST_FAILURE when the request names no key, a
    /// key twice, or a key this server does not hold (OpenSSH's sshd answers the same way). Each signature covers
    /// <c>string "hostkeys-prove-00@openssh.com", string session identifier, string host key blob</c>. RSA keys sign with
    /// the RSA algorithm negotiated in the key exchange when there was one (the client verifies with it), else with
    /// rsa-sha2-512.
    /// </summary>
    public static byte[] Answer(ref SshReader r, IReadOnlyList<SshHostKey> keys, ReadOnlySpan<byte> sessionId, string? kexHostKeyAlgorithm)
    {
        var asked = new List<SshHostKey>();
        while (r.Remaining > 0)
        {
            var blob = r.ReadBinary();
            SshHostKey? found = null;
            foreach (var key in keys)
                if (key.PublicKey.Blob.SequenceEqual(blob)) found = key;
            if (found is null || asked.Contains(found)) return [MessageNumbers.RequestFailure];
            asked.Add(found);
        }
        if (asked.Count == 0) return [MessageNumbers.RequestFailure];

        var w = new SshWriter(256 + 600 * asked.Count);
        w.WriteByte(MessageNumbers.RequestSuccess);
        foreach (var key in asked)
        {
            var data = new SshWriter(256);
            data.WriteString(Prove);
            data.WriteBinary(sessionId);
            data.WriteBinary(key.PublicKey.Blob);
            w.WriteBinary(key.Sign(SignatureAlgorithm(key, kexHostKeyAlgorithm), data.WrittenSpan));
        }
        return w.ToArray();
    }

    private static string SignatureAlgorithm(SshHostKey key, string? kexHostKeyAlgorithm) =>
        key.PublicKey.KeyType != SshKeyTypes.Rsa ? key.Algorithms[0]
        : kexHostKeyAlgorithm is SshKeyTypes.RsaSha2_256 or SshKeyTypes.RsaSha2_512 ? kexHostKeyAlgorithm
        : SshKeyTypes.RsaSha2_512;
}
