using System.Text;
using Wharf.Ssh.Keys;

namespace Wharf.Core.Keys;

/// <summary>
/// Proof that whoever adds a key holds its private half: an SSHSIG (<c>ssh-keygen -Y sign -n wharf-key-proof</c>) over a
/// challenge the add-key form showed, made with the very key being added. Keeps someone from claiming another person's
/// public key (public keys are public) and lets the holder take it back.
/// </summary>
public static class KeyProof
{
    public const string Namespace = "wharf-key-proof";

    /// <summary>How long a challenge stays good when its issuer does not say.</summary>
    public static readonly TimeSpan DefaultChallengeLifetime = TimeSpan.FromHours(1);

    /// <summary>
    /// The record that <paramref name="challenge"/> has proved a key: its SHA-256, kept until <paramref name="expiresAt"/>
    /// (a challenge is refused after that anyway), so that the same proof cannot be replayed.
    /// </summary>
    public static Users.EmailToken Spent(Users.User user, string challenge, DateTimeOffset now, DateTimeOffset expiresAt) => new()
    {
        UserId = user.Id,
        Purpose = Users.EmailTokenPurpose.KeyProofSpent,
        TokenHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(challenge))),
        Email = user.Email,
        CreatedAt = now,
        ExpiresAt = expiresAt,
    };

    /// <summary>Throws <see cref="KeyErrors.ProofInvalid"/> unless <paramref name="proof"/> signs <paramref name="challenge"/> with <paramref name="key"/>.</summary>
    public static void Verify(SshPublicKey key, string challenge, string proof)
    {
        SshSignature signature;
        try { signature = SshSignature.ParseArmored(proof); }
        catch (SshSignatureFormatException e) { throw KeyErrors.ProofInvalid(e.Message); }
        if (!signature.PublicKey.Equals(key))
            throw KeyErrors.ProofInvalid("it was made with another key than the one pasted above.");
        // echo CHALLENGE | ssh-keygen -Y sign signs the line with its newline; a file without one signs it bare.
        var results = new[] { challenge + "\n", challenge }.Select(m => signature.Verify(Encoding.UTF8.GetBytes(m), Namespace)).ToList();
        if (results.Contains(SshSignatureCheck.Good)) return;
        if (results.Contains(SshSignatureCheck.WrongNamespace))
            throw KeyErrors.ProofInvalid($"it was made for the namespace '{Errors.Display.Printable(signature.Namespace)}'; sign with -n {Namespace}.");
        throw KeyErrors.ProofInvalid("the signature does not match the challenge shown on this page.");
    }
}
