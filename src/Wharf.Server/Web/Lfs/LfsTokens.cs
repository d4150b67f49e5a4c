using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Wharf.Core;
using Wharf.Core.Access;
using Wharf.Core.Errors;
using Wharf.Core.Lfs;
using Wharf.Core.Repositories;
using Wharf.Server.Hosting;
using Wharf.Server.Ssh;

namespace Wharf.Server.Web.Lfs;

/// <summary>
/// What a valid LFS token names: who asked (the SSH identity, with the key's fingerprint and label for the audit log), for
/// which repository, for which operation.
/// </summary>
public sealed record LfsGrant(AccessSubject Subject, long RepositoryId, bool Upload, WharfIdentity Identity);

/// <summary>
/// The short-lived tokens of git-lfs's hybrid protocol: <c>git-lfs-authenticate OWNER/NAME.git upload|download</c>
/// answers the HTTP LFS API's address with an <c>Authorization</c> header that is good only for the LFS API of that
/// repository, only for that operation, and only for <see cref="LfsSettings.TokenLifetime"/>. The token is sealed with
/// the key ring in <c>DATA/web-keys</c> (shared by all nodes), so nothing is stored; every request it authorises is
/// still judged by the access policy at the moment it arrives.
/// </summary>
public sealed class LfsTokens(WharfPaths paths, LfsSettings settings, WebAddress address, TimeProvider time)
{
    /// <summary>The <c>Authorization</c> scheme of these tokens; no other part of Wharf accepts it.</summary>
    public const string Scheme = "WharfLfs";

    private readonly Lazy<ITimeLimitedDataProtector> protector = new(() =>
        DataProtectionProvider.Create(new DirectoryInfo(paths.WebKeys), b => b.SetApplicationName("wharf"))
            .CreateProtector("Wharf.Lfs.Token").ToTimeLimitedDataProtector());

    /// <summary>The JSON git-lfs expects from <c>git-lfs-authenticate</c> (git-lfs docs/api/server-discovery.md).</summary>
    public Task<string> AuthenticateAsync(WharfIdentity identity, RepositoryInfo repository, bool upload, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Http:PublicUrl when set (a proxy in front), else the address the web server listens on.
        var baseUrl = address.BaseUrl?.TrimEnd('/')
            ?? throw WharfException.Unavailable("git-lfs-authenticate needs the web server, which is not running here; use git-lfs-transfer (pure SSH) instead.");
        var subject = identity.Subject switch
        {
            UserSubject u => $"u:{u.UserId}:{(u.IsAdmin ? 1 : 0)}",
            AccessKeySubject k => $"k:{k.AccessKeyId}:0",
            _ => throw new InvalidOperationException("Unknown subject."),
        };
        // The key's label comes last: it is the one part that may itself hold '|'.
        var label = identity is WharfPrincipal person ? person.KeyLabel : "";
        var payload = string.Join('|', subject, repository.Id.ToString(CultureInfo.InvariantCulture), upload ? "upload" : "download", identity.Name,
            identity.KeyFingerprint, label);
        var token = protector.Value.Protect(payload, time.GetUtcNow() + settings.TokenLifetime);
        var answer = new Dictionary<string, object>
        {
            ["href"] = $"{baseUrl}/{repository.FullName}.git/info/lfs",
            ["header"] = new Dictionary<string, string> { ["Authorization"] = $"{Scheme} {token}" },
            ["expires_in"] = (int)settings.TokenLifetime.TotalSeconds,
        };
        return Task.FromResult(JsonSerializer.Serialize(answer) + "\n");
    }

    /// <summary>The grant a token carries, or null when it is not one of ours, was altered, or has expired.</summary>
    public LfsGrant? Read(string token)
    {
        string payload;
        try
        {
            payload = protector.Value.Unprotect(token, out var expires);
            if (expires < time.GetUtcNow()) return null;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
        var parts = payload.Split('|', 6);
        if (parts.Length != 6) return null;
        var who = parts[0].Split(':');
        if (who.Length != 3 || !long.TryParse(who[1], CultureInfo.InvariantCulture, out var id)) return null;
        if (!long.TryParse(parts[1], CultureInfo.InvariantCulture, out var repositoryId)) return null;
        var user = who[0] == "u";
        AccessSubject subject = user ? AccessSubject.ForUser(id, who[2] == "1") : AccessSubject.ForAccessKey(id);
        WharfIdentity identity = user
            ? new WharfPrincipal(id, parts[3], keyId: 0, keyFingerprint: parts[4], keyLabel: parts[5], isAdmin: who[2] == "1")
            : new AccessKeyPrincipal(id, parts[4]);
        return new LfsGrant(subject, repositoryId, parts[2] == "upload", identity);
    }
}
