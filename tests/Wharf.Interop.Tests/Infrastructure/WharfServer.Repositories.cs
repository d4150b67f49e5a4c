namespace Wharf.Interop.Tests.Infrastructure;

/// <summary>Repositories, grants, access keys and Mercurial, set up through the real admin CLI and driven with the real hg.</summary>
public partial class WharfServer
{
    /// <summary>Makes OWNER/NAME-N (git, or Mercurial with <paramref name="hg"/>; public with <paramref name="isPublic"/>).</summary>
    public async Task<string> CreateRepositoryAsync(TestUser owner, string name, bool hg, bool isPublic = false)
    {
        var path = $"{owner.Name}/{name}-{Interlocked.Increment(ref repositoryCounter)}";
        List<string> args = ["admin", "repo", "create", path];
        if (hg) args.Add("--hg");
        if (isPublic) args.Add("--public");
        await WharfOrThrowAsync(args);
        return path;
    }

    public Task GrantAsync(string repository, TestUser user, string permission) =>
        WharfOrThrowAsync(["admin", "repo", "grant", repository, user.Name, "--permission", permission]);

    public Task AddAccessKeyAsync(string repository, SshKey key, bool write, string label = "ci") =>
        WharfOrThrowAsync(write
            ? ["admin", "repo", "access-key", "add", repository, "--label", label, "--write"]
            : ["admin", "repo", "access-key", "add", repository, "--label", label], key.PublicKeyLine + "\n");

    /// <summary>The URL Mercurial users copy: ssh://hg@127.0.0.1:PORT/OWNER/NAME.</summary>
    public string HgUrl(string repository) => $"ssh://hg@{Host}:{SshPort}/{repository}";

    /// <summary>hg ARGS... in WORKDIR, reaching this server with KEY; no user or system hgrc is read.</summary>
    public Task<ProcessResult> HgAsync(SshKey key, string workingDirectory, IEnumerable<string> arguments, IEnumerable<string>? extraSshOptions = null)
    {
        var ssh = string.Join(' ', new[] { Tools.Ssh }.Concat(SshOptions(key)).Concat(extraSshOptions ?? []).Select(ProcessRunner.Quote));
        return ProcessRunner.RunAsync(Tools.Hg, ["--config", "ui.username=Wharf Test <test@example.com>", "--config", "ui.ssh=" + ssh, .. arguments], workingDirectory,
            new Dictionary<string, string?> { ["HOME"] = Home, ["HGRCPATH"] = "", ["HGPLAIN"] = "1" });
    }
}
