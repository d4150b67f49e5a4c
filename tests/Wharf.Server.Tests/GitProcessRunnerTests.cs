using System.Security.Cryptography;
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

    /// <summary>
    /// git's stdout and stderr reach the client byte for byte, each in order, when the client's streams complete
    /// their writes asynchronously and slowly (a full SSH window): nothing lost, repeated or reordered across the
    /// reads from git's pipes, the buffer is not reused before a write is done, and the exit code follows.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task LargeOutputOnBothStreamsArrivesExactlyThroughSlowAsynchronousWrites(int delayEvery)
    {
        var outBytes = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 123);
        var errBytes = RandomNumberGenerator.GetBytes(200 * 1024 + 7);
        var outFile = Path.Combine(_dir, "out.bin");
        var errFile = Path.Combine(_dir, "err.bin");
        await File.WriteAllBytesAsync(outFile, outBytes);
        await File.WriteAllBytesAsync(errFile, errBytes);
        var psi = new System.Diagnostics.ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", "cat \"$0\" & cat \"$1\" >&2; wait; exit 7", outFile, errFile },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var output = new SlowStream(delayEvery);
        var error = new SlowStream(delayEvery);
        var status = await GitProcessRunner.RunProcessAsync(System.Diagnostics.Process.Start(psi)!, new MemoryStream(), output, error, CancellationToken.None);
        Assert.Equal(7, status);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(outBytes)), Convert.ToHexString(SHA256.HashData(output.Received.ToArray())));
        Assert.Equal(outBytes.Length, output.Received.Length);
        Assert.Equal(errBytes, error.Received.ToArray());
        Assert.True(output.AsynchronousWrites > 0, "the slow stream must have completed some writes asynchronously");
    }

    /// <summary>
    /// A client stream whose every <c>delayEvery</c>-th write completes later, on another thread, and which
    /// copies the bytes only then: a pump that reuses its buffer before the write completed delivers wrong bytes.
    /// </summary>
    private sealed class SlowStream(int delayEvery) : Stream
    {
        private int _writes;
        public MemoryStream Received { get; } = new();
        public int AsynchronousWrites { get; private set; }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (++_writes % delayEvery == 0)
            {
                AsynchronousWrites++;
                await Task.Delay(1, cancellationToken);
            }
            Received.Write(buffer.Span);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("the pump must write asynchronously");
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
