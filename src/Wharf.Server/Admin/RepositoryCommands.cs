using System.Globalization;
using Wharf.Core.Access;
using Wharf.Core.AccessKeys;
using Wharf.Core.Errors;
using Wharf.Core.Keys;
using Wharf.Core.Repositories;
using Wharf.Core.Users;
using Wharf.Server.Cli;

namespace Wharf.Server.Admin;

/// <summary>
/// <c>wharf admin repo ...</c>: the same services and errors as the pages and the API. The server's own
/// command line is the instance administrator, so every command acts with Admin access.
/// </summary>
public static class RepositoryCommands
{
    private const AccessLevel Console = AccessLevel.Admin;

    public static readonly CliCommand Create = new(
        "admin repo create", "Creates an empty repository OWNER/NAME: git unless --hg, private unless --public (readable by any signed-in account).",
        ["OWNER/NAME"], [CliOption.Flag("--hg"), CliOption.Flag("--public")],
        (args, console, ct) =>
        {
            // Parsed before the database is opened: a bad name changes nothing on disk.
            var name = RepositoryName.Parse(args.Positionals[0]);
            return AdminCommand.RunAsync(args, console, ct, async services =>
            {
                var repo = await services.GetRequiredService<RepositoryService>()
                    .CreateAsync(name, ct, args.Has("--hg") ? Scm.Hg : Scm.Git, isPrivate: !args.Has("--public"));
                await console.Out.WriteLineAsync($"Created {repo.Scm.DisplayName()} repository {Display.Printable(repo.FullName)} at {Display.Printable(repo.Path)}");
                return ExitCodes.Success;
            });
        });

    public static readonly CliCommand List = new(
        "admin repo list", "Lists repositories (of OWNER, or all), one per line, tab-separated: OWNER/NAME, scm, private or public, last pushed (or never).",
        [], [new CliOption("--owner", "OWNER", Required: false)],
        (args, console, ct) => AdminCommand.RunAsync(args, console, ct, async services =>
        {
            var store = services.GetRequiredService<IRepositoryStore>();
            IReadOnlyList<RepositoryInfo> all = args["--owner"] is { } owner
                ? await store.ListByOwnerAsync((await services.GetRequiredService<UserService>().GetAsync(owner, ct)).Id, ct)
                : await store.ListVisibleAsync(0, includeAll: true, ct);
            foreach (var r in all)
                await console.Out.WriteLineAsync(string.Join('\t', Display.Printable(r.FullName), r.Scm.ToApi(), r.IsPrivate ? "private" : "public",
                    r.LastPushedAt is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "never"));
            return ExitCodes.Success;
        }));

    public static readonly CliCommand Delete = new(
        "admin repo delete", "Deletes OWNER/NAME and its directory; --confirm must repeat OWNER/NAME.",
        ["OWNER/NAME"], [new CliOption("--confirm", "OWNER/NAME", Required: true)],
        (args, console, ct) => WithRepositoryAsync(args, console, ct, async (services, repo) =>
        {
            await services.GetRequiredService<RepositoryService>().DeleteAsync(repo, Console, args["--confirm"], ct);
            await console.Out.WriteLineAsync($"Deleted repository {Display.Printable(repo.FullName)}");
            return ExitCodes.Success;
        }));

    public static readonly CliCommand Grant = new(
        "admin repo grant", "Gives USER read, write or admin permission on OWNER/NAME (or changes it).",
        ["OWNER/NAME", "USER"], [new CliOption("--permission", "read|write|admin", Required: true)],
        (args, console, ct) => WithRepositoryAsync(args, console, ct, async (services, repo) =>
        {
            var (grant, created) = await services.GetRequiredService<RepositoryService>()
                .SetGrantAsync(repo, Console, args.Positionals[1], args["--permission"], ct);
            await console.Out.WriteLineAsync($"{(created ? "Granted" : "Changed")}: {Display.Printable(grant.UserName)} has {grant.Level.ToApi()} permission on {Display.Printable(repo.FullName)}");
            return ExitCodes.Success;
        }));

    public static readonly CliCommand Revoke = new(
        "admin repo revoke", "Removes USER's permission on OWNER/NAME.",
        ["OWNER/NAME", "USER"], [],
        (args, console, ct) => WithRepositoryAsync(args, console, ct, async (services, repo) =>
        {
            await services.GetRequiredService<RepositoryService>().RemoveGrantAsync(repo, Console, args.Positionals[1], ct);
            await console.Out.WriteLineAsync($"Removed {Display.Printable(args.Positionals[1])}'s permission on {Display.Printable(repo.FullName)}");
            return ExitCodes.Success;
        }));

    public static readonly CliCommand DefaultBranch = new(
        "admin repo default-branch", "Makes BRANCH, which OWNER/NAME must have, its default branch (the one clones check out).",
        ["OWNER/NAME", "BRANCH"], [],
        (args, console, ct) => WithRepositoryAsync(args, console, ct, async (services, repo) =>
        {
            await services.GetRequiredService<RepositoryService>().SetDefaultBranchAsync(repo, Console, args.Positionals[1], ct);
            await console.Out.WriteLineAsync($"{repo.FullName}'s default branch is now {args.Positionals[1].Trim()}");
            return ExitCodes.Success;
        }));

    public static readonly CliCommand AddAccessKey = new(
        "admin repo access-key add",
        "Adds the public key on standard input to OWNER/NAME as an access key, read-only unless --write; prints its id and fingerprint.",
        ["OWNER/NAME"], [new CliOption("--label", "LABEL", Required: false), CliOption.Flag("--write")],
        (args, console, ct) => WithRepositoryAsync(args, console, ct, async (services, repo) =>
        {
            var text = await KeyCommands.ReadInputAsync(console.In, ct);
            if (string.IsNullOrWhiteSpace(text))
                throw WharfException.InvalidArgument("No public key on standard input: pipe in one line such as 'ssh-ed25519 AAAA... ci@build'.", KeyErrors.Empty);
            var key = await services.GetRequiredService<AccessKeyService>().AddAsync(repo, Console, text, args["--label"], args.Has("--write"), ct);
            await console.Out.WriteLineAsync($"{key.Id.ToString(CultureInfo.InvariantCulture)}\t{key.Fingerprint}");
            return ExitCodes.Success;
        }));

    public static readonly CliCommand Maintain = new(
        "admin repo maintain",
        "Maintains git repository OWNER/NAME now, as the server does after pushes (packed refs, a repack with multi-pack index and bitmap, commit-graph), and prints what it did.",
        ["OWNER/NAME"], [],
        (args, console, ct) => WithRepositoryAsync(args, console, ct, async (services, repo) =>
        {
            await console.Out.WriteLineAsync(await Maintenance.MaintenanceCommand.RunAsync(services, repo, ct));
            return ExitCodes.Success;
        }));

    private static Task<int> WithRepositoryAsync(CliArguments args, CliContext console, CancellationToken ct,
        Func<IServiceProvider, RepositoryInfo, Task<int>> body)
    {
        var name = RepositoryName.Parse(args.Positionals[0]);
        return AdminCommand.RunAsync(args, console, ct, async services =>
        {
            var repo = await services.GetRequiredService<IRepositoryStore>().FindAsync(name.Owner, name.Name, ct)
                ?? throw WharfException.NotFound($"Repository '{name}' does not exist.", RepositoryErrors.NotFoundCode);
            return await body(services, repo);
        });
    }
}
