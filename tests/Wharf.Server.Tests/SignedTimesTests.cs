using Wharf.Core.Git;
using Wharf.Core.Repositories;
using Wharf.Core.Signatures;

namespace Wharf.Server.Tests;

/// <summary>
/// <see cref="CommitSignatures.SignedTimesAsync"/>, which the allowed_signers file calls for every commit Wharf verified
/// in the repository: an object's time is read from git once and kept, so a second request starts no git.
/// </summary>
public sealed class SignedTimesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("wharf-signed-times-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task AnObjectsTimeIsReadFromGitOnceAndKeptForTheNextRequest()
    {
        var bare = Path.Combine(_root, "site.git");
        Git.Ok(_root, "init", "-q", "--bare", bare);
        var h = HistoryRepository.Build(_root, bare);
        var log = Path.Combine(_root, "git-runs.log");
        var wrapper = Support.CountingTool.Write(Path.Combine(_root, "counting-git"), "git", log);
        // Only git is used for the times: the stores are not reached.
        var signatures = new CommitSignatures(null!, null!, null!, new GitBinary(wrapper), TimeProvider.System);
        var r = new RepositoryInfo(77, 1, "alice", "site", bare) { Scm = Scm.Git };
        DateTimeOffset Committed(string id) => DateTimeOffset.FromUnixTimeSeconds(long.Parse(Git.Ok(h.Work, "log", "-1", "--format=%ct", id), System.Globalization.CultureInfo.InvariantCulture));

        var first = await signatures.SignedTimesAsync(r, [h.Root, h.Second], CancellationToken.None);
        Assert.Equal([(h.Root, Committed(h.Root)), (h.Second, Committed(h.Second))], first.OrderBy(p => p.Key == h.Root ? 0 : 1).Select(p => (p.Key, p.Value)));
        Assert.Single(File.ReadAllLines(log));

        File.Delete(log);
        var second = await signatures.SignedTimesAsync(r, [h.Root, h.Second], CancellationToken.None);
        Assert.False(File.Exists(log), File.Exists(log) ? File.ReadAllText(log) : "");
        Assert.Equal(first.OrderBy(p => p.Key), second.OrderBy(p => p.Key));

        // An object not read before is read, alone.
        var third = await signatures.SignedTimesAsync(r, [h.Root, h.Merge], CancellationToken.None);
        Assert.Equal(Committed(h.Merge), third[h.Merge]);
        Assert.Equal(Committed(h.Root), third[h.Root]);
        Assert.Single(File.ReadAllLines(log));
    }
}
