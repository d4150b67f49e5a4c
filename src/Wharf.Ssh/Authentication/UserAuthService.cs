using System.Net;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Messages;
using Wharf.Ssh.Server;
using Wharf.Ssh.Transport;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.Authentication;

/// <summary>
/// The ssh-userauth service (RFC 4252), publickey only. The application is asked who a key belongs to;
/// for a signed request only after the signature over the session identifier has verified, and only
/// that answer is kept (CVE-2024-45337: never trust the key of an earlier query).
/// </summary>
internal sealed class UserAuthService(SshTransport transport, SshServerOptions options, ISshServerHandler handler, EndPoint? remote)
{
    private const string ConnectionService = "ssh-connection";
    private const string PublicKeyMethod = "publickey";

    private bool _serviceAccepted;
    private int _failures;
    private int _requests;

    public SshPrincipal? Principal { get; private set; }
    public string? UserName { get; private set; }
    public string? KeyFingerprint { get; private set; }
    /// <summary>The last user name a client tried, for the failed-authentication log line.</summary>
    public string? AttemptedUser { get; private set; }
    public bool Attempted { get; private set; }

    /// <summary>Handles SERVICE_REQUEST and USERAUTH_REQUEST; returns false for anything else.</summary>
    public async Task<bool> HandleAsync(byte number, ReadOnlyMemory<byte> payload, byte[] sessionId, CancellationToken ct)
    {
        switch (number)
        {
            case MessageNumbers.ServiceRequest:
            {
                var r = new SshReader(payload.Span);
                r.ReadByte();
                var service = r.ReadString();
                if (service != "ssh-userauth" || _serviceAccepted)
                    throw new SshProtocolException(SshDisconnectReason.ServiceNotAvailable, $"service not available: {Limit(service)}");
                _serviceAccepted = true;
                var w = new SshWriter(32);
                w.WriteByte(MessageNumbers.ServiceAccept);
                w.WriteString(service);
                await transport.SendAsync(w.WrittenMemory, ct).ConfigureAwait(false);
                return true;
            }
            case MessageNumbers.UserAuthRequest:
                if (!_serviceAccepted) throw new SshProtocolException(SshDisconnectReason.ProtocolError, "authentication request before service request");
                if (Principal is not null) return true; // RFC 4252 §5.1: requests after success are ignored
                // Queries are free under MaxAuthTries, so cap all requests too (Go's 128-attempt backstop).
                if (++_requests > options.MaxAuthRequests)
                    throw new SshProtocolException(SshDisconnectReason.NoMoreAuthMethodsAvailable, "Too many authentication requests");
                await OnRequestAsync(payload, sessionId, ct).ConfigureAwait(false);
                return true;
            default:
                return false;
        }
    }

    private async Task OnRequestAsync(ReadOnlyMemory<byte> payload, byte[] sessionId, CancellationToken ct)
    {
        var r = new SshReader(payload.Span);
        r.ReadByte();
        var user = r.ReadString();
        var service = r.ReadString();
        var method = r.ReadString();
        if (service != ConnectionService)
            throw new SshProtocolException(SshDisconnectReason.ServiceNotAvailable, $"service not available: {Limit(service)}");
        AttemptedUser = Limit(user);

        if (method != PublicKeyMethod)
        {
            // "none" asks which methods exist; OpenSSH does not count it as a failure (auth2.c).
            if (method != "none") CountFailure();
            else Attempted = true;
            await SendFailureAsync(ct).ConfigureAwait(false);
            return;
        }
        Attempted = true;
        var signed = r.ReadBoolean();
        var algorithm = r.ReadString();
        var blob = r.ReadBinary().ToArray();
        var signature = signed ? r.ReadBinary().ToArray() : null;
        if (!r.End) throw new SshProtocolException(SshDisconnectReason.ProtocolError, "trailing bytes in authentication request");

        SshPublicKey key;
        SshCertificate? certificate = null;
        // The algorithm the certified key signs with: the request's own, or for a certificate its plain counterpart.
        var keyAlgorithm = algorithm;
        try
        {
            if (SshCertificate.ForAuthenticationAlgorithm(algorithm) is { } named)
            {
                certificate = SshCertificate.Parse(blob);
                // A forged or damaged certificate never reaches the application: only the authority's verified word counts.
                if (certificate.CertificateType != named.CertificateType || !certificate.VerifySignature())
                {
                    await RefuseAsync(ct).ConfigureAwait(false);
                    return;
                }
                key = certificate.Key;
                keyAlgorithm = named.SignatureAlgorithm;
            }
            else key = SshPublicKey.FromBlob(blob);
        }
        catch (SshKeyFormatException)
        {
            await RefuseAsync(ct).ConfigureAwait(false);
            return;
        }
        if (!SignatureVerifier.IsCompatible(keyAlgorithm, key, options.AllowRsaSha1Signatures) || (key.KeyType == SshKeyTypes.Rsa && key.Bits < options.MinimumRsaBits))
        {
            await RefuseAsync(ct).ConfigureAwait(false);
            return;
        }

        if (!signed)
        {
            var candidate = await handler.FindPrincipalAsync(new SshAuthRequest(user, key, remote) { Certificate = certificate }, ct).ConfigureAwait(false);
            if (candidate is null)
            {
                await RefuseAsync(ct).ConfigureAwait(false);
                return;
            }
            // The answer to a query is not remembered: a later signed request asks again.
            var ok = new SshWriter(blob.Length + 64);
            ok.WriteByte(MessageNumbers.UserAuthPkOk);
            ok.WriteString(algorithm);
            ok.WriteBinary(blob);
            await transport.SendAsync(ok.WrittenMemory, ct).ConfigureAwait(false);
            return;
        }

        var data = new SshWriter(blob.Length + 256);
        data.WriteBinary(sessionId);
        data.WriteByte(MessageNumbers.UserAuthRequest);
        data.WriteString(user);
        data.WriteString(service);
        data.WriteString(PublicKeyMethod);
        data.WriteBoolean(true);
        data.WriteString(algorithm);
        data.WriteBinary(blob);
        // With a certificate the signature is the certified key's own, over data that names the certificate
        // algorithm and carries the certificate blob (PROTOCOL.certkeys).
        if (!SignatureVerifier.Verify(key, keyAlgorithm, signature, data.WrittenSpan, options.AllowRsaSha1Signatures))
        {
            await RefuseAsync(ct).ConfigureAwait(false);
            return;
        }
        var verified = new SshAuthRequest(user, key, remote, SignatureVerified: true) { Certificate = certificate };
        var principal = await handler.FindPrincipalAsync(verified, ct).ConfigureAwait(false);
        if (principal is null)
        {
            if (!string.IsNullOrEmpty(verified.RefusalBanner)) await SendBannerAsync(verified.RefusalBanner, ct).ConfigureAwait(false);
            await RefuseAsync(ct).ConfigureAwait(false);
            return;
        }
        Principal = principal;
        UserName = user;
        KeyFingerprint = key.FingerprintSha256;
        await transport.SendAuthenticationSuccessAsync(ct).ConfigureAwait(false);
    }

    /// <summary>A failed request: counted first (which may end the connection), then answered with FAILURE.</summary>
    private ValueTask RefuseAsync(CancellationToken ct)
    {
        CountFailure();
        return SendFailureAsync(ct);
    }

    private void CountFailure()
    {
        // Counted as OpenSSH counts: every failed request except "none" (docs/SSH-INTEROP.md §8).
        if (++_failures >= options.MaxAuthTries)
            throw new SshProtocolException(SshDisconnectReason.NoMoreAuthMethodsAvailable, "Too many authentication failures");
    }

    private ValueTask SendBannerAsync(string message, CancellationToken ct)
    {
        var w = new SshWriter(message.Length + 32);
        w.WriteByte(MessageNumbers.UserAuthBanner);
        w.WriteString(message.EndsWith('\n') ? message : message + "\n");
        w.WriteString("");
        return transport.SendAsync(w.WrittenMemory, ct);
    }

    private ValueTask SendFailureAsync(CancellationToken ct)
    {
        var w = new SshWriter(32);
        w.WriteByte(MessageNumbers.UserAuthFailure);
        w.WriteNameList([PublicKeyMethod]);
        w.WriteBoolean(false);
        return transport.SendAsync(w.WrittenMemory, ct);
    }

    private static string Limit(string s) => s.Length <= 64 ? s : s[..64];
}
