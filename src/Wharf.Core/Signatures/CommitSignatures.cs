using System.Globalization;
using System.Text;
using Wharf.Core.Git;
using Wharf.Core.Keys;
using Wharf.Core.Repositories;
using Wharf.Core.Users;
using Wharf.Ssh.Keys;

namespace Wharf.Core.Signatures;

/// <summary>The texts of the verdicts, in one place: pages, the API and the push refusal show them as they are.</summary>
public static class SignatureReasons
{
    public const string NoSignature = "no signature";
    public const string GpgNotChecked = "not checked: GPG signatures are not verified by Wharf";
    public const string X509NotChecked = "not checked: x509 (S/MIME) signatures are not verified by Wharf";
    public const string UnknownFormat = "not checked: the signature is in a format Wharf does not know";
    public const string BadSignature = "bad signature: it does not verify over this object with the key it names";
    public const string UnknownKey = "unknown key: no account on this Wharf has the signing key";
    public const string NotForSigning = "the key is registered for authentication only, not for signing";
    public const string OtherAccount = "the key belongs to another account than the one with the committer's email";
    public const string EmailNotVerified = "the committer's email is the key owner's, but the owner has not verified it";
    public const string AccountDisabled = "the key owner's account is disabled";

    public static string Malformed(string why) => "bad signature: " + why;
    public static string WrongNamespace(string ns) => $"wrong namespace: signed for '{Errors.Display.Printable(ns)}', git signs in 'git'";
    public static string Revoked(string day) => $"Revoked: key reported compromised on {day}";
    public static string CompromisedLater(string day) => $"Verified when pushed; the key was reported compromised on {day}, after this signature was recorded";
}

/// <summary>What <see cref="CommitSignatures.Parse"/> found in a raw commit or tag object.</summary>
/// <param name="Payload">The bytes the signature covers (the object without its signature).</param>
/// <param name="Signature">The armored signature text, or null when unsigned.</param>
/// <param name="SignerEmail">The committer's (tagger's) email, or null when the object names none.</param>
public sealed record SignedObject(byte[] Payload, string? Signature, string? SignerEmail);

/// <summary>
/// Verdicts on commit and annotated tag signatures (issue 13): SSH signatures (<c>gpg.format=ssh</c>, SSHSIG in
/// namespace <c>git</c>) are verified with <see cref="SshSignature"/> against account keys registered for signing;
/// a signature is Verified when the key's account has verified the committer's (tagger's) email. GPG and x509
/// signatures are "not checked". Verdicts are recorded when a push brings the object (<see cref="RecordPushAsync"/>)
/// or when it is first shown (<see cref="ForAsync"/>), and kept: only a compromise report changes them.
/// </summary>
public sealed class CommitSignatures(ISshKeyStore keys, IUserStore users, ICommitSignatureStore store, GitBinary git, TimeProvider time)
{
    /// <summary>The SSHSIG namespace git signs commits and tags in.</summary>
    public const string GitNamespace = "git";
    /// <summary>At most this many new commits of one push are checked and recorded; later ones are checked when first shown.</summary>
    public const int MaxCommitsPerPush = 1000;
    /// <summary>Objects larger than this are not read for a signature (a commit is a few hundred bytes).</summary>
    public const int MaxObjectBytes = 1024 * 1024;

    private const string SshArmor = "-----BEGIN SSH SIGNATURE-----";
    private const string PgpArmor = "-----BEGIN PGP SIGNATURE-----";
    private const string X509Armor = "-----BEGIN SIGNED MESSAGE-----";

    /// <summary>
    /// Splits a raw commit or tag (as <c>git cat-file commit|tag</c> prints it) into what was signed and the signature.
    /// A commit carries it in a <c>gpgsig</c> (or <c>gpgsig-sha256</c>) header whose continuation lines start with a
    /// space, and the signed payload is the object without that header; a tag carries it at the end of its message.
    /// </summary>
    public static SignedObject Parse(string type, byte[] raw)
    {
        var text = Encoding.UTF8.GetString(raw);
        if (type == "tag")
        {
            var email = HeaderEmail(raw, "tagger");
            var at = LastSignatureStart(text);
            if (at < 0) return new SignedObject(raw, null, email);
            var payloadLength = Encoding.UTF8.GetByteCount(text.AsSpan(0, at));
            return new SignedObject(raw[..payloadLength], text[at..], email);
        }
        var committer = HeaderEmail(raw, "committer");
        // Headers end at the first empty line; the signature header is among them.
        var payload = new MemoryStream(raw.Length);
        var sig = new StringBuilder();
        var pos = 0;
        var inHeaders = true;
        var inSig = false;
        string? signature = null;
        while (pos < raw.Length)
        {
            var nl = Array.IndexOf(raw, (byte)'\n', pos);
            var end = nl < 0 ? raw.Length : nl + 1;
            var line = raw.AsSpan(pos, end - pos);
            if (inHeaders)
            {
                if (line.Length == 1 && line[0] == (byte)'\n') inHeaders = false;
                if (inSig && line.Length > 0 && line[0] == (byte)' ')
                {
                    sig.Append(Encoding.UTF8.GetString(line[1..]));
                    pos = end;
                    continue;
                }
                inSig = false;
                if (signature is null && sig.Length == 0 && (line.StartsWith("gpgsig "u8) || line.StartsWith("gpgsig-sha256 "u8)))
                {
                    inSig = true;
                    var value = line[(line.IndexOf((byte)' ') + 1)..];
                    sig.Append(Encoding.UTF8.GetString(value));
                    pos = end;
                    continue;
                }
                if (sig.Length > 0) signature ??= sig.ToString();
            }
            payload.Write(line);
            pos = end;
        }
        if (sig.Length > 0) signature ??= sig.ToString();
        return new SignedObject(payload.ToArray(), signature, committer);
    }

    private static int LastSignatureStart(string text)
    {
        var best = -1;
        foreach (var armor in new[] { SshArmor, PgpArmor, X509Armor })
        {
            var at = text.LastIndexOf(armor, StringComparison.Ordinal);
            if (at >= 0 && (at == 0 || text[at - 1] == '\n') && at > best) best = at;
        }
        return best;
    }

    /// <summary>The email in <c>NAME &lt;EMAIL&gt; TIME ZONE</c> of the first header line named <paramref name="header"/>.</summary>
    private static string? HeaderEmail(byte[] raw, string header)
    {
        var text = Encoding.UTF8.GetString(raw);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0) break;
            if (!line.StartsWith(header + " ", StringComparison.Ordinal)) continue;
            var open = line.LastIndexOf('<');
            var close = line.LastIndexOf('>');
            return open >= 0 && close > open ? line[(open + 1)..close] : null;
        }
        return null;
    }

    /// <summary>
    /// The time git checks a signature's key validity against (<c>ssh-keygen -Y verify -Overify-time</c>): the
    /// committer's time of a commit, the tagger's of a tag, from <c>NAME &lt;EMAIL&gt; SECONDS ZONE</c>; null when the
    /// object names none that can be read.
    /// </summary>
    public static DateTimeOffset? SignedTime(string type, byte[] raw)
    {
        var header = (type == "tag" ? "tagger" : "committer") + " ";
        foreach (var line in Encoding.UTF8.GetString(raw).Split('\n'))
        {
            if (line.Length == 0) break;
            if (!line.StartsWith(header, StringComparison.Ordinal)) continue;
            var close = line.LastIndexOf('>');
            var words = close < 0 ? Array.Empty<string>() : line[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return words.Length > 0 && long.TryParse(words[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                && seconds <= DateTimeOffset.MaxValue.ToUnixTimeSeconds()
                ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
        }
        return null;
    }

    /// <summary>The <see cref="SignedTime"/> of each of <paramref name="objectIds"/> found in the repository.</summary>
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> SignedTimesAsync(RepositoryInfo repository, IReadOnlyCollection<string> objectIds,
        CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var ids = new List<string>();
        // An object id fixes its time: times read once are kept, so the allowed_signers file reads only new objects.
        foreach (var id in objectIds.Where(IsObjectId).Distinct(StringComparer.Ordinal))
            if (SignedTimes.TryGet((repository.Id, repository.Path, id), out var known)) result[id] = known;
            else ids.Add(id);
        foreach (var (oid, type, raw) in await ReadObjectsAsync(repository.Path, ids, null, cancellationToken))
            if (type is "commit" or "tag" && SignedTime(type, raw) is { } t)
            {
                result[oid] = t;
                SignedTimes.Add((repository.Id, repository.Path, oid), t);
            }
        return result;
    }

    /// <summary>Signed times by repository and object id (<see cref="SignedTimesAsync"/>); this class is made per request.</summary>
    private static readonly Browse.BoundedCache<(long, string, string), DateTimeOffset> SignedTimes = new(50_000);

    /// <summary>Checks one object's signature now, against the keys as they stand.</summary>
    public async Task<CommitSignature> CheckAsync(long repositoryId, string objectId, SignedObject signed, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var verdict = new CommitSignature { RepositoryId = repositoryId, ObjectId = objectId, VerifiedAt = now, Status = SignatureStatus.Unverified };
        if (signed.Signature is not { } armored)
        {
            verdict.Status = SignatureStatus.Unsigned;
            verdict.Reason = SignatureReasons.NoSignature;
            return verdict;
        }
        var trimmed = armored.TrimStart();
        if (trimmed.StartsWith(PgpArmor, StringComparison.Ordinal)) return Reason(verdict, SignatureReasons.GpgNotChecked);
        if (trimmed.StartsWith(X509Armor, StringComparison.Ordinal)) return Reason(verdict, SignatureReasons.X509NotChecked);
        if (!trimmed.StartsWith(SshArmor, StringComparison.Ordinal)) return Reason(verdict, SignatureReasons.UnknownFormat);
        SshSignature signature;
        try { signature = SshSignature.ParseArmored(armored); }
        catch (SshSignatureFormatException e) { return Reason(verdict, SignatureReasons.Malformed(e.Message)); }
        verdict.KeyFingerprint = signature.PublicKey.FingerprintSha256;
        switch (signature.Verify(signed.Payload, GitNamespace))
        {
            case SshSignatureCheck.BadSignature: return Reason(verdict, SignatureReasons.BadSignature);
            case SshSignatureCheck.WrongNamespace: return Reason(verdict, SignatureReasons.WrongNamespace(signature.Namespace));
        }
        var key = await keys.FindKeyByFingerprintAsync(verdict.KeyFingerprint, cancellationToken);
        // Compared in full: the fingerprint is a hash, the key removes the question.
        if (key is null || key.PublicKey != signature.PublicKey.ToOpenSshLine(includeComment: false)) return Reason(verdict, SignatureReasons.UnknownKey);
        var owner = await users.FindByIdAsync(key.UserId, cancellationToken);
        if (owner is null) return Reason(verdict, SignatureReasons.UnknownKey);
        verdict.KeyLabel = key.Label;
        verdict.UserId = owner.Id;
        verdict.Account = owner.Name;
        if (key.CompromisedSince is { } since && since <= now)
        {
            verdict.Status = SignatureStatus.Revoked;
            verdict.Reason = SignatureReasons.Revoked(since.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            return verdict;
        }
        if (!key.Usage.CanSign()) return Reason(verdict, SignatureReasons.NotForSigning);
        if (owner.IsDisabled) return Reason(verdict, SignatureReasons.AccountDisabled);
        if (signed.SignerEmail is null || !string.Equals(signed.SignerEmail.Trim(), owner.Email.Trim(), StringComparison.OrdinalIgnoreCase))
            return Reason(verdict, SignatureReasons.OtherAccount);
        if (!owner.EmailVerified) return Reason(verdict, SignatureReasons.EmailNotVerified);
        verdict.Status = SignatureStatus.Verified;
        return verdict;
    }

    private static CommitSignature Reason(CommitSignature verdict, string reason)
    {
        verdict.Reason = reason;
        return verdict;
    }

    /// <summary>
    /// After a push: checks and records the commits (and annotated tags) it brought, that is those reachable from
    /// the refs now and from none of <paramref name="refsBefore"/> (<see cref="GitBinary.RefsAsync"/> output), at most
    /// <see cref="MaxCommitsPerPush"/>. Returns the verdicts recorded.
    /// </summary>
    public async Task<IReadOnlyList<CommitSignature>> RecordPushAsync(RepositoryInfo repository, string refsBefore, CancellationToken cancellationToken)
    {
        var refsAfter = await git.RefsAsync(repository.Path, cancellationToken);
        var verdicts = await CheckNewAsync(repository.Id, repository.Path, ObjectIds(refsAfter), ObjectIds(refsBefore), cancellationToken);
        await store.AddAsync(verdicts, cancellationToken);
        return verdicts;
    }

    /// <summary>Checks (without recording) the objects reachable from <paramref name="tips"/> and not from <paramref name="known"/>.</summary>
    public async Task<IReadOnlyList<CommitSignature>> CheckNewAsync(long repositoryId, string gitDirectory, IReadOnlyCollection<string> tips,
        IReadOnlyCollection<string> known, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        var newTips = tips.Except(known).Distinct().ToList();
        if (newTips.Count == 0) return [];
        var input = string.Join('\n', newTips) + "\n" + string.Join('\n', known.Select(k => "^" + k)) + "\n";
        var list = await RunAsync(gitDirectory, ["rev-list", "--stdin", "--max-count=" + MaxCommitsPerPush.ToString(CultureInfo.InvariantCulture)],
            Encoding.ASCII.GetBytes(input), environment, cancellationToken);
        var commits = Encoding.ASCII.GetString(list).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // New tips that are annotated tags are checked too (rev-list gives only the commits they point at).
        var objects = commits.Concat(newTips).Distinct().ToList();
        var result = new List<CommitSignature>();
        foreach (var (oid, type, raw) in await ReadObjectsAsync(gitDirectory, objects, environment, cancellationToken))
        {
            if (type is not ("commit" or "tag")) continue;
            result.Add(await CheckAsync(repositoryId, oid, Parse(type, raw), cancellationToken));
        }
        return result;
    }

    /// <summary>
    /// The verdicts on <paramref name="objectIds"/> for display: those recorded, and for the others (never seen by a
    /// push) a check now against the keys as they stand, which is recorded in turn.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, CommitSignature>> ForAsync(RepositoryInfo repository, IReadOnlyCollection<string> objectIds,
        CancellationToken cancellationToken)
    {
        var found = (await store.FindAsync(repository.Id, objectIds, cancellationToken)).ToDictionary(v => v.ObjectId, StringComparer.Ordinal);
        var missing = objectIds.Where(id => !found.ContainsKey(id)).Distinct().ToList();
        if (missing.Count == 0) return found;
        var fresh = new List<CommitSignature>();
        foreach (var (oid, type, raw) in await ReadObjectsAsync(repository.Path, missing, null, cancellationToken))
        {
            if (type is not ("commit" or "tag")) continue;
            fresh.Add(await CheckAsync(repository.Id, oid, Parse(type, raw), cancellationToken));
        }
        await store.AddAsync(fresh, cancellationToken);
        foreach (var v in await store.FindAsync(repository.Id, fresh.Select(f => f.ObjectId).ToList(), cancellationToken)) found[v.ObjectId] = v;
        return found;
    }

    private static IReadOnlyCollection<string> ObjectIds(string refs) =>
        refs.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).Where(IsObjectId).Distinct().ToList();

    public static bool IsObjectId(string s) => s.Length is 40 or 64 && s.All(char.IsAsciiHexDigitLower);

    /// <summary>Reads objects with one <c>git cat-file --batch</c>: each answer is <c>OID TYPE SIZE\n</c>, the bytes, <c>\n</c>.</summary>
    private async Task<IReadOnlyList<(string Oid, string Type, byte[] Raw)>> ReadObjectsAsync(string gitDirectory, IReadOnlyList<string> objectIds,
        IReadOnlyDictionary<string, string>? environment, CancellationToken cancellationToken)
    {
        if (objectIds.Count == 0) return [];
        var output = await RunAsync(gitDirectory, ["cat-file", "--batch"], Encoding.ASCII.GetBytes(string.Join('\n', objectIds) + "\n"), environment, cancellationToken);
        var result = new List<(string, string, byte[])>();
        var pos = 0;
        while (pos < output.Length)
        {
            var nl = Array.IndexOf(output, (byte)'\n', pos);
            if (nl < 0) break;
            var header = Encoding.ASCII.GetString(output, pos, nl - pos).Split(' ');
            pos = nl + 1;
            if (header.Length != 3 || !int.TryParse(header[2], NumberStyles.None, CultureInfo.InvariantCulture, out var size)) continue; // "OID missing"
            if (pos + size > output.Length) break;
            if (size <= MaxObjectBytes) result.Add((header[0], header[1], output[pos..(pos + size)]));
            pos += size + 1;
        }
        return result;
    }

    private async Task<byte[]> RunAsync(string gitDirectory, string[] arguments, byte[] input, IReadOnlyDictionary<string, string>? environment,
        CancellationToken cancellationToken)
    {
        var psi = git.StartInfo(["--git-dir", gitDirectory, .. arguments]);
        if (environment is not null)
            foreach (var (name, value) in environment) psi.Environment[name] = value;
        using var process = git.Start(psi);
        var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout, cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.StandardInput.BaseStream.WriteAsync(input, cancellationToken);
        process.StandardInput.Close();
        await copy;
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"git {arguments[0]} in {gitDirectory} failed with exit code {process.ExitCode}: {(await stderr).Trim()}");
        return stdout.ToArray();
    }
}
