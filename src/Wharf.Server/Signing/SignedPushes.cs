using System.Globalization;
using Wharf.Core;
using Wharf.Core.Git;
using Wharf.Core.Repositories;
using Wharf.Core.Signatures;
using Wharf.Data;
using Wharf.Server.Admin;
using Wharf.Server.Cli;
using Wharf.Server.OpenSsh;

namespace Wharf.Server.Signing;

/// <summary>
/// "Require signed commits" (issue 13 point 4): a push to such a repository runs receive-pack with Wharf's own
/// <c>pre-receive</c> hook (<c>core.hooksPath</c> = <c>DATA/hooks/require-signed</c>), which runs
/// <c>wharf signatures check-push</c>. That checks every commit and annotated tag the push brings while git still holds
/// them in quarantine, before any ref moves, and refuses the whole push on the first that is not Verified, naming it
/// and why; git sends the hook's output to the client as <c>remote:</c> lines.
/// </summary>
public static class SignedPushes
{
    public const string RepositoryIdVariable = "WHARF_REPOSITORY_ID";
    /// <summary>At most this many refused objects are named in one refusal.</summary>
    public const int MaxNamed = 20;

    /// <summary>The hooks directory and the hook's variables for a push to <paramref name="repository"/>.</summary>
    public static (string HooksDirectory, IReadOnlyDictionary<string, string> Environment) Prepare(WharfPaths paths, DatabaseTarget database, RepositoryInfo repository)
    {
        var directory = Path.Combine(paths.DataDirectory, "hooks", "require-signed");
        Directory.CreateDirectory(directory);
        var script = "#!/bin/sh\n# Written by wharf serve: checks the signatures of pushed commits (Require signed commits).\nexec " +
            string.Join(' ', SelfInvocation.Words().Concat(["signatures", "check-push", "--data", paths.DataDirectory]).Select(SelfInvocation.ShellQuote)) + "\n";
        var hook = Path.Combine(directory, "pre-receive");
        if (!File.Exists(hook) || File.ReadAllText(hook) != script)
        {
            // Written beside and renamed: a push running at the same time sees the old or the new file, never half of one.
            var temporary = hook + "." + Guid.NewGuid().ToString("N");
            File.WriteAllText(temporary, script);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
                | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            File.Move(temporary, hook, overwrite: true);
        }
        var environment = new Dictionary<string, string> { [RepositoryIdVariable] = repository.Id.ToString(CultureInfo.InvariantCulture) };
        // The hook opens the same database; a PostgreSQL target given on serve's command line reaches it this way only.
        if (database.Provider == DatabaseProvider.Postgres) environment[Hosting.DatabaseOption.EnvironmentVariable] = database.PostgresConnectionString;
        return (directory, environment);
    }

    /// <summary>The refusal for one object, as the client reads it after <c>remote: </c>.</summary>
    public static string Refusal(CommitSignature verdict) =>
        $"wharf: refused: {verdict.ObjectId[..Math.Min(12, verdict.ObjectId.Length)]} is not a verified signed commit ({verdict.Status.ToApi()}: {verdict.Reason})";

    public static readonly CliCommand CheckPush = new(
        "signatures check-push",
        "The pre-receive hook of repositories that require signed commits (run by git, not by people): reads 'OLD NEW REF' lines " +
        "and exits 1, naming each, when a pushed commit or annotated tag is not Verified.",
        [], [],
        (args, console, ct) => AdminCommand.RunAsync(args, console, ct, async services =>
        {
            if (!long.TryParse(console.GetEnvironmentVariable(RepositoryIdVariable), CultureInfo.InvariantCulture, out var repositoryId))
                throw Core.Errors.WharfException.InvalidArgument($"{RepositoryIdVariable} is not set: this command is run by git as a pre-receive hook.");
            var gitDirectory = Path.GetFullPath(console.GetEnvironmentVariable("GIT_DIR") ?? ".");
            var tips = new List<string>();
            while (await console.In.ReadLineAsync(ct) is { } line)
            {
                var parts = line.Split(' ');
                if (parts.Length == 3 && CommitSignatures.IsObjectId(parts[1]) && parts[1].Any(c => c != '0')) tips.Add(parts[1]);
            }
            var git = services.GetRequiredService<GitBinary>();
            var known = (await git.RefsAsync(gitDirectory, ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).ToList();
            // The pushed objects are in git's quarantine until the hook accepts them: git tells the hook where.
            var environment = new Dictionary<string, string>();
            foreach (var name in new[] { "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH" })
                if (console.GetEnvironmentVariable(name) is { } value) environment[name] = value;
            var verdicts = await services.GetRequiredService<CommitSignatures>().CheckNewAsync(repositoryId, gitDirectory, tips, known, ct, environment);
            var refused = verdicts.Where(v => v.Status != SignatureStatus.Verified).ToList();
            if (refused.Count == 0) return ExitCodes.Success;
            foreach (var v in refused.Take(MaxNamed)) await console.Error.WriteLineAsync(Refusal(v));
            if (refused.Count > MaxNamed) await console.Error.WriteLineAsync($"wharf: refused: and {refused.Count - MaxNamed} more.");
            await console.Error.WriteLineAsync("wharf: this repository requires signed commits: every commit and annotated tag must carry a verified SSH signature.");
            return 1;
        }));

    public static readonly CliCommand Require = new(
        "admin repo signed-commits",
        "Turns 'Require signed commits' on or off for OWNER/NAME (git only): pushes bringing a commit or annotated tag whose signature is not Verified are refused.",
        ["OWNER/NAME"], [new CliOption("--require", "on|off", Required: true)],
        (args, console, ct) =>
        {
            var name = RepositoryName.Parse(args.Positionals[0]);
            var on = args["--require"] switch
            {
                "on" => true,
                "off" => false,
                var other => throw Core.Errors.WharfException.InvalidArgument($"--require takes on or off, not {Core.Errors.Display.Quote(other)}."),
            };
            return AdminCommand.RunAsync(args, console, ct, async services =>
            {
                var store = services.GetRequiredService<IRepositoryStore>();
                var repository = await store.FindAsync(name.Owner, name.Name, ct) ?? throw RepositoryErrors.NotFoundOrDenied(name.ToString());
                // The same path as the settings page and the API: git only, and the owner's audit log records the change.
                await services.GetRequiredService<RepositoryService>().SetRequireSignedCommitsAsync(repository, Core.Access.AccessLevel.Admin, on, ct, Core.Audit.Actor.Cli);
                await console.Out.WriteLineAsync($"{Core.Errors.Display.Printable(repository.FullName)} {(on ? "requires" : "no longer requires")} signed commits.");
                return ExitCodes.Success;
            });
        });
}
