using System.Text;
using Wharf.Core.Git;

namespace Wharf.Server.Tests;

/// <summary>The runner against the real git on a real bare repository.</summary>
public sealed class GitProcessRunnerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "wharf-runner-" + Guid.NewGuid().ToString("N"));
    private readonly string _repo;

    public GitProcessRunnerTests()
    {
        _repo = Path.Combine(_dir, "site.git");
        new GitBinary().InitBareAsync(_repo, CancellationToken.None).GetAwaiter().GetResult();
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Status, string Out, string Error)> RunAsync(GitService service, string path, string? gitProtocol, string input = "0000")
    {
        var output = new MemoryStream();
        var error = new MemoryStream();
        var status = await new GitProcessRunner(new GitBinary()).RunAsync(service, path, gitProtocol,
            new MemoryStream(Encoding.ASCII.GetBytes(input)), output, error, CancellationToken.None);
        return (status, Encoding.UTF8.GetString(output.ToArray()), Encoding.UTF8.GetString(error.ToArray()));
    }

    [Fact]
    public async Task UploadPackOnAnEmptyRepositoryAdvertisesNoRefsAndExitsZeroAtClientEof()
    {
        var (status, output, error) = await RunAsync(GitService.UploadPack, _repo, gitProtocol: null);
        // Protocol v0 on an empty repository: only the flush packet.
        Assert.Equal((0, "0000", ""), (status, output, error));
    }

    [Fact]
    public async Task UploadPackAdvertisesTheBranchesOfARepository()
    {
        var work = Path.Combine(_dir, "work");
        Git.Run(_dir, "init", "-q", work);
        Git.Run(work, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-q", "--allow-empty", "-m", "first");
        Git.Run(work, "push", "-q", _repo, "HEAD:refs/heads/main");
        var head = Git.Run(work, "rev-parse", "HEAD");

        var (status, output, _) = await RunAsync(GitService.UploadPack, _repo, gitProtocol: null);
        Assert.Equal(0, status);
        Assert.Contains(head + " refs/heads/main", output);
    }

    [Fact]
    public async Task GitProtocolVersion2IsPassedToGit()
    {
        var (status, output, _) = await RunAsync(GitService.UploadPack, _repo, "version=2");
        Assert.Equal(0, status);
        Assert.StartsWith("000eversion 2\n", output);
    }

    [Fact]
    public async Task AMalformedGitProtocolValueIsNotPassedOn()
    {
        var (status, output, error) = await RunAsync(GitService.UploadPack, _repo, "version=2\nGIT_DIR=/");
        // git runs as if no GIT_PROTOCOL had been sent: protocol v0 on an empty repository, the flush packet alone.
        Assert.Equal((0, "0000", ""), (status, output, error));
    }

    [Fact]
    public async Task ReceivePackAdvertisesReportStatusAndExitsZeroWhenTheClientSendsNothing()
    {
        var (status, output, _) = await RunAsync(GitService.ReceivePack, _repo, gitProtocol: null);
        Assert.Equal(0, status);
        Assert.Contains("report-status", output);
    }

    [Fact]
    public async Task GitsOwnErrorsAndExitCodeReachTheClient()
    {
        var (status, _, error) = await RunAsync(GitService.UploadPack, Path.Combine(_dir, "missing.git"), gitProtocol: null);
        Assert.Equal(128, status);
        Assert.Contains("does not appear to be a git repository", error);
    }
}
