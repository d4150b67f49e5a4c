using Wharf.Ssh.Algorithms;
using Wharf.Ssh.Messages;

namespace Wharf.Ssh.KeyExchange;

/// <summary>What both sides agreed on for one key exchange.</summary>
internal sealed record KexAlgorithms(
    string Kex, string HostKey,
    string CipherClientToServer, string CipherServerToClient,
    string? MacClientToServer, string? MacServerToClient,
    string CompressionClientToServer, string CompressionServerToClient)
{
    /// <summary>
    /// RFC 4253 §7.1: in each category the first algorithm on the client's list that the server also
    /// supports wins. AEAD ciphers carry their own integrity, so their MAC lists need not match
    /// (OpenSSH PROTOCOL §1.6); dropbear relies on that (docs/SSH-INTEROP.md §1).
    /// </summary>
    public static KexAlgorithms Negotiate(KexInit client, KexInit server)
    {
        var kex = Pick("key exchange", client.Kex, server.Kex);
        var hostKey = Pick("host key", client.HostKey, server.HostKey);
        var c2s = Pick("client-to-server cipher", client.CiphersClientToServer, server.CiphersClientToServer);
        var s2c = Pick("server-to-client cipher", client.CiphersServerToClient, server.CiphersServerToClient);
        var macC2s = SshAlgorithms.IsAead(c2s) ? null : Pick("client-to-server MAC", client.MacsClientToServer, server.MacsClientToServer);
        var macS2c = SshAlgorithms.IsAead(s2c) ? null : Pick("server-to-client MAC", client.MacsServerToClient, server.MacsServerToClient);
        var compC2s = Pick("client-to-server compression", client.CompressionClientToServer, server.CompressionClientToServer);
        var compS2c = Pick("server-to-client compression", client.CompressionServerToClient, server.CompressionServerToClient);
        return new KexAlgorithms(kex, hostKey, c2s, s2c, macC2s, macS2c, compC2s, compS2c);
    }

    /// <summary>
    /// True when the client's guessed first KEX packet must be ignored: its first KEX or host key name
    /// differs from ours (RFC 4253 §7.1, docs/SSH-INTEROP.md §11).
    /// </summary>
    public static bool GuessWasWrong(KexInit client, KexInit server) =>
        client.Kex.Length == 0 || server.Kex.Length == 0 || client.Kex[0] != server.Kex[0]
        || client.HostKey.Length == 0 || server.HostKey.Length == 0 || client.HostKey[0] != server.HostKey[0];

    private static string Pick(string what, string[] client, string[] server)
    {
        foreach (var c in client)
            if (Array.IndexOf(server, c) >= 0) return c;
        throw new SshProtocolException(SshDisconnectReason.KeyExchangeFailed, $"no matching {what} algorithm");
    }
}
