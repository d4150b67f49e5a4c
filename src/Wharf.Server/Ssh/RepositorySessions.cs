using System.Text;
using Wharf.Core.Access;
using Wharf.Core.AccessKeys;
using Wharf.Core.Audit;
using Wharf.Core.Errors;
using Wharf.Core.Git;
using Wharf.Core.Hg;
using Wharf.Core.Repositories;
using Wharf.Core.Signatures;

namespace Wharf.Server.Ssh;

/// <summary>
/// What a logged-in key gets: the greeting when no command is given, or one git/hg command on one
/// repository, authorised before anything runs. Shared by the built-in SSH server and <c>wharf shell</c>
/// (the OpenSSH front end), so both answer the same.
/// </summary>
public sealed partial class RepositorySessions(
    IServiceScopeFactory scopes, GitProcessRunner git, GitBinary gitBinary, HgServeRunner hg, TimeProvider time, ILogger<RepositorySessions> logger,
    Maintenance.RepositoryLocks locks, Operations.WharfMetrics? metrics = null, PublishedHostKeys? hostKeys = null,
    Maintenance.MaintenanceService? maintenance = null)
{
    /// <summary>The command that prints the host keys (as Bitbucket's does); only this exact word, optionally with --json.</summary>
    public const string HostKeyInfoCommand = "host_key_info";

    /// <summary>The metrics' <c>service</c> label for each operation (the git subcommand, or hg-serve).</summary>
    private static string MetricName(RepositoryOperation operation) => operation switch
    {
        RepositoryOperation.GitUploadPack => "upload-pack",
        RepositoryOperation.GitReceivePack => "receive-pack",
        RepositoryOperation.GitUploadArchive => "upload-archive",
        RepositoryOperation.LfsTransferDownload or RepositoryOperation.LfsTransferUpload => "lfs-transfer",
        RepositoryOperation.LfsAuthenticateDownload or RepositoryOperation.LfsAuthenticateUpload => "lfs-authenticate",
        _ => "hg-serve",
    };

    /// <param name="lease">The built-in server's record of this command (<see cref="LiveSessions"/>): told which repository
    /// it opened, so access taken away while it runs ends it. Null for <c>wharf shell</c>, one process per command.</param>
    /// <param name="openSsh">For <c>wharf shell</c> (OpenSSH's sshd in front): the address the help hint names, where sshd was
    /// reached; and the built-in server's host keys are not this connection's, so <c>host_key_info</c> has none to show.</param>
    /// <returns>The exit status for the client.</returns>
    public async Task<int> RunAsync(WharfIdentity identity, string? commandLine, string? gitProtocol, string? sourceAddress,
        Stream input, Stream output, Stream error, CancellationToken cancellationToken, SessionLease? lease = null, Hosting.WebAddress? openSsh = null)
    {
        var started = time.GetTimestamp();
        var service = "invalid";
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var services = scope.ServiceProvider;
            var address = openSsh ?? services.GetRequiredService<Hosting.WebAddress>();
            // No command (ssh -T) greets; whoami, info, keys, host_key_info and help are answered here. Nothing else
            // but the git and hg forms of RepositoryCommand gets past this point.
            var asked = AccountCommand.TryParse(commandLine);
            if (commandLine is null || asked is not null)
            {
                var answer = await AccountCommands.RunAsync(asked, identity, services, openSsh is null ? hostKeys : null, time, cancellationToken, address);
                await output.WriteAsync(Encoding.UTF8.GetBytes(answer), cancellationToken);
                await output.FlushAsync(cancellationToken);
                return 0;
            }

            var command = RepositoryCommand.Parse(commandLine, AccountCommands.HelpCommand(address));
            service = MetricName(command.Operation);
            var (repository, level) = await services.GetRequiredService<RepositoryAccess>()
                .OpenAsync(identity.Subject, command.Repository, command.RequiredAccess, cancellationToken);
            if (repository.Scm != command.Scm) throw RepositoryErrors.ScmMismatch(repository.FullName, repository.Scm);
            // hg serve is started able to push or not (its hooks), so it keeps needing what it was started with.
            lease?.Opened(identity, command.Repository,
                command.Operation == RepositoryOperation.HgServe && level >= AccessLevel.Write ? AccessLevel.Write : command.RequiredAccess);

            if (GitServiceExtensions.ForOperation(command.Operation) is { } gitService)
                return await ServeGitAsync(services, identity, repository, gitService, gitProtocol, [],
                    sourceAddress, input, output, error, cancellationToken);

            return await RecordedAsync(services, identity, repository, command.Operation, sourceAddress, started, async () =>
            {
                if (command.Operation is RepositoryOperation.LfsTransferDownload or RepositoryOperation.LfsTransferUpload)
                    return (await LfsTransferAsync(services, identity, repository, command.Operation == RepositoryOperation.LfsTransferUpload,
                        sourceAddress, input, output, error, cancellationToken), false, null);
                if (command.Operation is RepositoryOperation.LfsAuthenticateDownload or RepositoryOperation.LfsAuthenticateUpload)
                {
                    var answer = await services.GetRequiredService<Web.Lfs.LfsTokens>().AuthenticateAsync(identity, repository,
                        command.Operation == RepositoryOperation.LfsAuthenticateUpload, cancellationToken);
                    await output.WriteAsync(Encoding.UTF8.GetBytes(answer), cancellationToken);
                    await output.FlushAsync(cancellationToken);
                    return (0, false, null);
                }
                // A push that runs out of disk space is told so plainly after hg's own lines (FullDisk).
                var full = new FullDisk.Watch.Flag();
                var (status, changed, detail) = await hg.RunAsync(repository.Path, repository.FullName, level >= AccessLevel.Write,
                    input, new FullDisk.Watch(output, full), new FullDisk.Watch(error, full), cancellationToken);
                if (full.Seen && !changed) await TellDiskFullAsync(error, identity.Name, repository.FullName, cancellationToken);
                return (status, changed, detail);
            }, cancellationToken);
        }
        catch (WharfException e)
        {
            metrics?.GitOperation(service, "refused", time.GetElapsedTime(started));
            LogRefused(logger, identity.Name, e.Category, e.Message);
            return await SshErrors.WriteAsync(error, e, cancellationToken);
        }
        catch (Exception e) when (FullDisk.Is(e))
        {
            // Wharf's own write (a push marker, a record) found the disk full: said plainly, not as an internal error.
            metrics?.GitOperation(service, "error", time.GetElapsedTime(started));
            await TellDiskFullAsync(error, identity.Name, commandLine ?? "", cancellationToken);
            return SshErrors.InternalErrorStatus;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(logger, e, identity.Name);
            metrics?.GitOperation(service, "error", time.GetElapsedTime(started));
            await error.WriteAsync(SshErrors.Message(SshErrors.InternalError), cancellationToken);
            await error.FlushAsync(cancellationToken);
            return SshErrors.InternalErrorStatus;
        }
    }

    /// <summary>
    /// git-lfs's pure SSH protocol on this connection (<see cref="Core.Lfs.LfsTransfer"/>), run in this process. A client that
    /// breaks the protocol is told so on stderr and gets exit status 1; nothing it sent half-way is stored.
    /// </summary>
    private async Task<int> LfsTransferAsync(IServiceProvider services, WharfIdentity identity, RepositoryInfo repository, bool upload,
        string? sourceAddress, Stream input, Stream output, Stream error, CancellationToken cancellationToken)
    {
        // Responses are many short lines: buffered, and sent at the end of each response. An object's data goes out
        // in 256 KiB channel writes (four pkt-lines): to a client that reads slowly, each write waits once for the
        // window to reopen (Wharf.Ssh's WindowCredit), so fewer, larger writes mean fewer wake-ups per object.
        var buffered = new BufferedStream(output, 1 << 18);
        var locks = identity is WharfPrincipal user ? new Web.Lfs.LfsLockHandler(scopes, repository, user, sourceAddress) : null;
        try
        {
            var status = await new Core.Lfs.LfsTransfer(services.GetRequiredService<Core.Lfs.LfsObjectStore>(), repository.Uuid, upload,
                input, buffered, locks, (oid, size) => RepositoryAudit.RecordAsync(services, identity, repository, AuditActions.LfsUpload,
                    sourceAddress, RepositoryAudit.LfsObject(oid, size), time.GetUtcNow())).RunAsync(cancellationToken);
            await buffered.FlushAsync(cancellationToken);
            return status;
        }
        catch (InvalidDataException e)
        {
            LogLfsProtocol(logger, identity.Name, repository.FullName, e.Message);
            await error.WriteAsync(SshErrors.Message("git-lfs-transfer: " + e.Message), cancellationToken);
            await error.FlushAsync(cancellationToken);
            return 1;
        }
    }

    private async Task TellDiskFullAsync(Stream error, string user, string repository, CancellationToken cancellationToken)
    {
        LogDiskFull(logger, user, repository);
        try
        {
            await error.WriteAsync(SshErrors.Message(FullDisk.Message), cancellationToken);
            await error.FlushAsync(cancellationToken);
        }
        catch (IOException)
        {
            // The client has gone; the log line stays.
        }
    }

    [LoggerMessage(EventId = 1198, Level = LogLevel.Error, Message = "{User}'s push to {Repository} was refused: the disk is full")]
    private static partial void LogDiskFull(ILogger logger, string user, string repository);

    [LoggerMessage(EventId = 1156, Level = LogLevel.Information, Message = "{User}'s git-lfs-transfer on {Repository} broke the protocol: {Reason}")]
    private static partial void LogLfsProtocol(ILogger logger, string user, string repository, string reason);

    /// Runs one git program on a repository access control has already opened for <paramref name="identity"/>, the same
    /// way for SSH and for smart HTTP: Wharf's signed-commit pre-receive hook for a repository that requires signed
    /// commits, then after a push the default-branch adoption, the signature records and the audit entry.
    /// </summary>
    /// <param name="options">Options placed before the repository path (<c>--stateless-rpc</c>, <c>--advertise-refs</c> for HTTP).</param>
    /// <returns>git's exit status.</returns>
    public async Task<int> ServeGitAsync(IServiceProvider services, WharfIdentity identity, RepositoryInfo repository, GitService gitService,
        string? gitProtocol, IReadOnlyList<string> options, string? sourceAddress, Stream input, Stream output, Stream error, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var operation = gitService switch
        {
            GitService.UploadPack => RepositoryOperation.GitUploadPack,
            GitService.ReceivePack => RepositoryOperation.GitReceivePack,
            _ => RepositoryOperation.GitUploadArchive,
        };
        return await RecordedAsync(services, identity, repository, operation, sourceAddress, started, async () =>
        {
            // Only a receive-pack that reads commands can change refs; its --advertise-refs half (HTTP's info/refs) cannot.
            var pushing = gitService == GitService.ReceivePack && !options.Contains(GitProcessRunner.AdvertiseRefs);
            // Marks the push as running (waiting for a maintenance run of this repository to end first), on every
            // node that shares the store: maintenance never repacks under a push (Maintenance.RepositoryLocks).
            await using var pushMarker = pushing ? await locks.EnterPushAsync(repository.Path, cancellationToken) : null;
            var before = pushing ? await gitBinary.RefsAsync(repository.Path, cancellationToken) : null;
            // "Require signed commits": Wharf's own pre-receive hook checks the pushed objects before any ref moves.
            var (hooks, hookEnvironment) = pushing && repository.RequireSignedCommits
                ? Signing.SignedPushes.Prepare(services.GetRequiredService<Core.WharfPaths>(), services.GetRequiredService<Data.DatabaseTarget>(), repository)
                : (null, null);
            // A push that runs out of disk space is told so plainly after git's own lines (FullDisk).
            var full = new FullDisk.Watch.Flag();
            var status = await git.RunAsync(gitService, repository.Path, gitProtocol, input, pushing ? new FullDisk.Watch(output, full) : output,
                pushing ? new FullDisk.Watch(error, full) : error, cancellationToken, hooks, hookEnvironment, options);
            var (changed, detail) = pushing ? await AfterPushAsync(services, identity, repository, before!) : (false, null);
            if (full.Seen && !changed) await TellDiskFullAsync(error, identity.Name, repository.FullName, cancellationToken);
            if (pushing && changed) await RecordSignaturesAsync(services, repository, before!);
            if (pushing && changed) maintenance?.Pushed(repository.FullName, repository.Path);
            return (status, changed, detail);
        }, cancellationToken);
    }

    /// <summary>
    /// The bookkeeping of every repository command, around <paramref name="run"/>: its start and end in the log, an access
    /// key's last use, the operation's metric (timed from <paramref name="started"/>), and the push's audit entry when
    /// <paramref name="run"/> says the repository changed (recorded even when the client went away at the end: it did change).
    /// </summary>
    private async Task<int> RecordedAsync(IServiceProvider services, WharfIdentity identity, RepositoryInfo repository, RepositoryOperation operation,
        string? sourceAddress, long started, Func<Task<(int Status, bool Changed, string? Detail)>> run, CancellationToken cancellationToken)
    {
        LogStarted(logger, identity.Name, operation.ToString(), repository.FullName);
        if (identity is AccessKeyPrincipal used)
            await services.GetRequiredService<IAccessKeyStore>().MarkUsedAsync(used.AccessKeyId, repository.Id, time.GetUtcNow(), cancellationToken);
        var (status, changed, detail) = await run();
        LogFinished(logger, identity.Name, operation.ToString(), repository.FullName, status);
        metrics?.GitOperation(MetricName(operation), status.ToString(System.Globalization.CultureInfo.InvariantCulture), time.GetElapsedTime(started));
        if (changed) await RecordPushAsync(services, identity, repository, sourceAddress, detail);
        return status;
    }

    /// <summary>
    /// Whether the push changed any ref, and which (<see cref="GitBinary.RefChanges"/>, for the audit entry); when it did, a new repository's first pushed branch becomes its default
    /// branch if the configured one does not exist. Refs that cannot be read after the push are logged as an error
    /// and the push is recorded anyway: receive-pack ran, so the repository may have changed.
    /// </summary>
    private async Task<(bool Changed, string? Detail)> AfterPushAsync(IServiceProvider services, WharfIdentity identity, RepositoryInfo repository, string before)
    {
        string after;
        try
        {
            after = await gitBinary.RefsAsync(repository.Path, CancellationToken.None);
        }
        catch (InvalidOperationException e)
        {
            LogRefsUnreadable(logger, e, identity.Name, repository.FullName);
            return (true, null);
        }
        if (after == before) return (false, null);
        var changes = string.Join(", ", GitBinary.RefChanges(before, after));
        LogRefsChanged(logger, identity.Name, repository.FullName, changes);
        try
        {
            if (await services.GetRequiredService<RepositoryService>().AdoptPushedBranchAsync(repository, before, after, CancellationToken.None) is { } branch)
                LogDefaultBranch(logger, repository.FullName, branch);
        }
        catch (InvalidOperationException e)
        {
            LogDefaultBranchFailed(logger, e, repository.FullName);
        }
        return (true, changes);
    }

    /// <summary>
    /// Checks and records the signatures of the commits and tags the push brought (<see cref="CommitSignatures.RecordPushAsync"/>).
    /// A failure is logged and never fails the push, which has landed: those commits are checked when first shown.
    /// </summary>
    private async Task RecordSignaturesAsync(IServiceProvider services, RepositoryInfo repository, string before)
    {
        try
        {
            await services.GetRequiredService<CommitSignatures>().RecordPushAsync(repository, before, CancellationToken.None);
        }
        catch (Exception e) when (e is InvalidOperationException or WharfException or System.Data.Common.DbException)
        {
            LogSignaturesFailed(logger, e, repository.FullName);
        }
    }

    [LoggerMessage(EventId = 1144, Level = LogLevel.Warning, Message = "Could not record the commit signatures of a push to {Repository}; they are checked when first shown")]
    private static partial void LogSignaturesFailed(ILogger logger, Exception exception, string repository);

    private async Task RecordPushAsync(IServiceProvider services, WharfIdentity identity, RepositoryInfo repository, string? sourceAddress, string? detail)
    {
        var now = time.GetUtcNow();
        await services.GetRequiredService<IRepositoryStore>().MarkPushedAsync(repository.Id, now, CancellationToken.None);
        await RepositoryAudit.RecordAsync(services, identity, repository, AuditActions.Push, sourceAddress, detail, now);
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "{User} runs {Operation} on {Repository}")]
    private static partial void LogStarted(ILogger logger, string user, string operation, string repository);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "{User}'s {Operation} on {Repository} exited with {ExitStatus}")]
    private static partial void LogFinished(ILogger logger, string user, string operation, string repository, int exitStatus);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "Refused SSH command of {User} ({Category}): {Reason}")]
    private static partial void LogRefused(ILogger logger, string user, ErrorCategory category, string reason);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Error, Message = "SSH session of {User} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string user);

    [LoggerMessage(EventId = 1150, Level = LogLevel.Error, Message = "Could not read the refs of {Repository} after {User}'s push; the push is recorded as a change")]
    private static partial void LogRefsUnreadable(ILogger logger, Exception exception, string user, string repository);

    [LoggerMessage(EventId = 1155, Level = LogLevel.Information, Message = "{User} pushed to {Repository}: {Changes}")]
    private static partial void LogRefsChanged(ILogger logger, string user, string repository, string changes);

    [LoggerMessage(EventId = 1151, Level = LogLevel.Information, Message = "{Repository}'s default branch is now {Branch}, the branch its first push created")]
    private static partial void LogDefaultBranch(ILogger logger, string repository, string branch);

    [LoggerMessage(EventId = 1152, Level = LogLevel.Error, Message = "Could not point {Repository}'s HEAD at the branch its push created")]
    private static partial void LogDefaultBranchFailed(ILogger logger, Exception exception, string repository);
}
