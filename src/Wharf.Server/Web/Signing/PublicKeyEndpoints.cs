using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Wharf.Core;
using Wharf.Core.Access;
using Wharf.Core.Errors;
using Wharf.Core.Keys;
using Wharf.Core.Repositories;
using Wharf.Core.Signatures;
using Wharf.Core.Users;
using Wharf.Server.Web.Accounts;
using Wharf.Server.Web.Api;

namespace Wharf.Server.Web.Signing;

/// <summary>
/// Public keys as the ecosystem fetches them: <c>GET /USER.keys</c> (a user's login keys as authorized_keys lines, the
/// address GitHub uses and <c>ssh-import-id</c> reads) and <c>GET /OWNER/NAME/allowed_signers</c> (an OpenSSH
/// allowed_signers file of the account keys that signed commits recorded in the repository, so that
/// <c>git -c gpg.ssh.allowedSignersFile=FILE log --show-signature</c> checks locally what Wharf shows).
/// </summary>
public static class PublicKeyEndpoints
{
    public const string TextPlain = "text/plain; charset=utf-8";

    public static IEndpointRouteBuilder MapPublicKeyFiles(this IEndpointRouteBuilder app)
    {
        app.MapGet("/{user}.keys", async (string user, HttpContext http, IUserStore users, ISshKeyStore keys, TimeProvider time, CancellationToken ct) =>
        {
            http.Response.Headers.CacheControl = "no-cache";
            var owner = Names.IsValidUserName(user) ? await users.FindByNameAsync(user, ct) : null;
            // A disabled account's keys open nothing: not listed, as if there were no such account.
            if (owner is null || owner.IsDisabled) return Results.Text("Not found\n", TextPlain, Encoding.UTF8, StatusCodes.Status404NotFound);
            var now = time.GetUtcNow();
            var lines = (await keys.ListAsync(owner.Id, ct))
                .Where(k => k.Usage.CanLogIn() && !k.IsExpired(now) && !k.IsCompromised(now))
                .Select(k => k.PublicKey + "\n");
            return Results.Text(string.Concat(lines), TextPlain, Encoding.UTF8);
        });

        app.MapGet("/{owner:" + Repositories.OwnerRouteConstraint.Name + "}/{repo}/allowed_signers", async (string owner, string repo, HttpContext http, CancellationToken ct) =>
        {
            http.Response.Headers.CacheControl = "no-cache";
            var services = http.RequestServices;
            var subject = await SubjectAsync(http);
            RepositoryInfo repository;
            try
            {
                if (!Names.IsValidUserName(owner) || !Names.IsValidRepositoryName(repo)) throw RepositoryErrors.NotFoundOrDenied($"{owner}/{repo}");
                (repository, _) = await services.GetRequiredService<RepositoryAccess>()
                    .OpenAsync(subject, new RepositoryName(owner, repo), AccessLevel.Read, ct);
            }
            catch (WharfException e) when (e.Category is ErrorCategory.NotFound)
            {
                // A missing and an unreadable repository read alike.
                return Results.Text(e.Message + "\n", TextPlain, Encoding.UTF8, StatusCodes.Status404NotFound);
            }
            var text = await AllowedSignersAsync(repository, services, ct);
            return Results.Text(text, TextPlain, Encoding.UTF8);
        });
        return app;
    }

    /// <summary>
    /// One line per account key that signed a recorded commit of the repository and may sign, for the account's
    /// verified email: <c>EMAIL namespaces="git",valid-after="FROM"[,valid-before="UNTIL"] KEY</c> (times in UTC).
    /// <para>
    /// git (2.36 and later) hands ssh-keygen the commit's committer time (a tag's tagger time) and the file's window
    /// is compared with that, while Wharf judges a signature by when it checked it: at the push that brought the
    /// commit, or when the commit was first shown, against the key as it stood then. A commit signed before its key
    /// was added to Wharf and pushed (or first shown) afterwards is Verified by Wharf, so FROM is not simply when the
    /// key was added: it is the earlier of that and the committer time of the oldest commit or tag Wharf verified with
    /// the key in this repository. A commit signed and pushed while no account had the key was recorded "unknown
    /// key" and stays so; it lies before FROM unless it is older than a commit Wharf verified with the same key.
    /// </para>
    /// <para>
    /// For a key reported compromised, UNTIL is the report's date, moved back to one second before the committer time
    /// of the oldest signature Wharf revoked, so that a commit pushed after the date but dated before it (a signer
    /// with the leaked key can write any date) is not good locally either. The cost, when such a backdated commit is
    /// older than commits Wharf verified before the report, is that git calls those expired too: the file errs on the
    /// side of not vouching.
    /// </para>
    /// </summary>
    public static async Task<string> AllowedSignersAsync(RepositoryInfo repository, IServiceProvider services, CancellationToken ct)
    {
        var verdicts = await services.GetRequiredService<ICommitSignatureStore>().ListSignedByAccountsAsync(repository.Id, ct);
        if (verdicts.Count == 0) return "";
        var keys = services.GetRequiredService<ISshKeyStore>();
        var users = services.GetRequiredService<IUserStore>();
        var signedAt = await services.GetRequiredService<CommitSignatures>().SignedTimesAsync(repository,
            verdicts.Where(v => v.Status is SignatureStatus.Verified or SignatureStatus.Revoked).Select(v => v.ObjectId).ToList(), ct);
        DateTimeOffset? Oldest(string fingerprint, SignatureStatus status) => verdicts
            .Where(v => v.KeyFingerprint == fingerprint && v.Status == status && signedAt.ContainsKey(v.ObjectId))
            .Select(v => (DateTimeOffset?)signedAt[v.ObjectId]).Min();
        var text = new StringBuilder();
        foreach (var fingerprint in verdicts.Select(v => v.KeyFingerprint!).Distinct(StringComparer.Ordinal))
        {
            var key = await keys.FindKeyByFingerprintAsync(fingerprint, ct);
            if (key is null || !key.Usage.CanSign()) continue;
            var user = await users.FindByIdAsync(key.UserId, ct);
            if (user is null || !user.EmailVerified || user.IsDisabled || !IsPrincipalSafe(user.Email)) continue;
            var from = Oldest(fingerprint, SignatureStatus.Verified) is { } verified && verified < key.CreatedAt ? verified : key.CreatedAt;
            text.Append(user.Email).Append(" namespaces=\"").Append(CommitSignatures.GitNamespace).Append("\",valid-after=\"").Append(Stamp(from)).Append('"');
            if (key.CompromisedSince is { } since)
            {
                var until = Oldest(fingerprint, SignatureStatus.Revoked) is { } revoked && revoked <= since ? revoked.AddSeconds(-1) : since;
                text.Append(",valid-before=\"").Append(Stamp(until)).Append('"');
            }
            text.Append(' ').Append(key.PublicKey).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>OpenSSH's <c>YYYYMMDDHHMMSSZ</c> (UTC), at the start of the second.</summary>
    private static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "Z";

    /// <summary>A principal is one word in the file: an address with white space, quotes or commas would break the line.</summary>
    private static bool IsPrincipalSafe(string email) => email.Length > 0 && !email.Any(c => char.IsWhiteSpace(c) || c is '"' or ',' || char.IsControl(c));

    /// <summary>The caller: a web session, else an API token (HTTP Basic or Bearer), else anonymous.</summary>
    private static async Task<AccessSubject> SubjectAsync(HttpContext http)
    {
        foreach (var scheme in new[] { AccountEndpoints.Scheme, ApiTokenAuthenticationHandler.SchemeName })
        {
            var result = await http.AuthenticateAsync(scheme);
            if (result.Succeeded && result.Principal.FindFirstValue(ClaimTypes.NameIdentifier) is { } id
                && long.TryParse(id, CultureInfo.InvariantCulture, out var userId))
            {
                var user = await http.RequestServices.GetRequiredService<IUserStore>().FindByIdAsync(userId, http.RequestAborted);
                if (user is not null && !user.IsDisabled) return AccessSubject.ForUser(user.Id, user.IsAdmin);
            }
        }
        return AccessSubject.Anonymous;
    }
}
