using System.Buffers;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Wharf.Core.Git;

/// <summary>
/// Runs <c>git upload-pack</c>, <c>receive-pack</c> or <c>upload-archive</c> (or, through
/// <see cref="RunProcessAsync"/>, Mercurial) on a repository that access control already approved, and pumps
/// bytes between the client's streams and the process. The exit code is the program's.
/// </summary>
public sealed partial class GitProcessRunner(GitBinary git)
{
    // git's pkt-line payloads are at most 65516 bytes; 32 KiB matches the SSH channel's maximum packet.
    // A pipe holds 64 KiB: one read can take all git has written, and the channel sends it in one socket write.
    private const int BufferSize = 64 * 1024;

    // GIT_PROTOCOL is "version=2" or a colon-separated list of such keys (gitprotocol-common(5)).
    // Anything else is dropped rather than handed to git.
    // \z, not $: $ also matches before a final line break.
    [GeneratedRegex("^[A-Za-z0-9=:._-]{1,256}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex GitProtocolValue();

    /// <summary>Whether a client's GIT_PROTOCOL is passed on to git.</summary>
    public static bool IsAcceptedGitProtocol(string value) => GitProtocolValue().IsMatch(value);

    /// <param name="gitProtocol">The client's GIT_PROTOCOL, or null. It is the only variable passed from the client.</param>
    /// <param name="input">Client to git's stdin; git's stdin is closed when a read returns 0 (client EOF).</param>
    public async Task<int> RunAsync(GitService service, string repositoryPath, string? gitProtocol,
        Stream input, Stream output, Stream error, CancellationToken cancellationToken)
    {
        var psi = git.StartInfo(service.Subcommand(), repositoryPath);
        if (gitProtocol is not null && IsAcceptedGitProtocol(gitProtocol)) psi.Environment["GIT_PROTOCOL"] = gitProtocol;
        return await RunProcessAsync(git.Start(psi), input, output, error, cancellationToken);
    }

    /// <summary>Pumps a started process's standard streams to and from the client's until it exits; owns <paramref name="started"/>.</summary>
    public static async Task<int> RunProcessAsync(Process started, Stream input, Stream output, Stream error, CancellationToken cancellationToken)
    {
        using var process = started;
        using var stopInput = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var stdin = PumpToProcessAsync(input, process.StandardInput.BaseStream, stopInput.Token);
        try
        {
            var stdout = PumpAsync(process.StandardOutput.BaseStream, output, cancellationToken);
            var stderr = PumpAsync(process.StandardError.BaseStream, error, cancellationToken);
            // Both outputs are drained before the exit code is returned: the caller sends exit-status
            // and EOF next, and git's last bytes must reach the client first.
            await Task.WhenAll(stdout, stderr, process.WaitForExitAsync(cancellationToken));
            return process.ExitCode;
        }
        catch
        {
            // The client went away or a stream failed: git must not keep running (or keep a push half-applied
            // waiting on input that never comes).
            Kill(process);
            throw;
        }
        finally
        {
            // git may finish before the client sends EOF (upload-pack after the last "done"); stop reading.
            await stopInput.CancelAsync();
            _ = stdin.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        }
    }

    private static async Task PumpAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                // Flush every chunk: git waits for the client's reply to what it just wrote.
                await to.FlushAsync(cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task PumpToProcessAsync(Stream from, Stream stdin, CancellationToken cancellationToken)
    {
        try
        {
            await PumpAsync(from, stdin, cancellationToken);
        }
        catch (IOException)
        {
            // git closed its stdin (it exited or finished reading); the rest of the input has nowhere to go.
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            // Closing stdin is how git learns the client sent EOF (receive-pack waits for it).
            try { stdin.Dispose(); } catch (IOException) { }
        }
    }

    private static void Kill(Process process)
    {
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
    }
}
