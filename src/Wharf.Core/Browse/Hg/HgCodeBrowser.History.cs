using System.Globalization;
using System.Text.Json;
using Wharf.Core.Repositories;

namespace Wharf.Core.Browse.Hg;

public sealed partial class HgCodeBrowser
{
    public async Task<CommitList> CommitsAsync(RepositoryInfo repository, string revision, string? path, int skip, int take, CancellationToken cancellationToken)
    {
        skip = Math.Max(0, skip);
        take = Math.Max(0, take);
        if (take == 0 || CleanPath(path) is not { } file || await NodeAsync(repository, revision, cancellationToken) is not { } node)
            return new CommitList([], false);
        // Newest first by revision number; one more than asked, to learn whether there is a next page.
        var history = $"reverse(ancestors({Id(node)}))";
        if (file.Length > 0) history += $" and file({RevsetString(PathPattern(file))})";
        var revset = $"limit({history}, {(take + 1).ToString(CultureInfo.InvariantCulture)}, {skip.ToString(CultureInfo.InvariantCulture)})";
        // A changeset fixes its ancestors: the list for it is kept, and the next view of the branch (still there) runs no hg.
        var key = (repository.Id, repository.Path, node, file, skip, take);
        if (_commitLists.TryGet(key, out var kept)) return kept;
        var run = await RunBytesAsync(repository, ["log", "-r", revset, "-T", "json(node,user,date,desc)"], cancellationToken);
        if (run.ExitCode != 0 || run.Value.Truncated) return new CommitList([], false);
        var commits = RepositoryHistory.HgChangesets(Text(run.Value.Bytes));
        var list = new CommitList(commits.Take(take).ToList(), commits.Count > take);
        // An unknown full hash gives an empty list with status 0 (hg log -r id(...) of nothing): kept only when not empty.
        if (list.Commits.Count > 0) _commitLists.Add(key, list);
        return list;
    }

    private readonly BoundedCache<(long, string, string, string, int, int), CommitList> _commitLists = new(512);
    private readonly BoundedCache<(long, string, string), CommitDetail> _commits = new(1024);

    public async Task<CommitDetail?> CommitAsync(RepositoryInfo repository, string revision, CancellationToken cancellationToken)
    {
        if (await NodeAsync(repository, revision, cancellationToken) is not { } node) return null;
        if (_commits.TryGet((repository.Id, repository.Path, node), out var kept)) return kept;
        var detail = await ReadCommitAsync(repository, node, cancellationToken);
        // Kept by hash when the message is short (it may be long).
        if (detail is not null && detail.Message.Length <= 16 * 1024) _commits.Add((repository.Id, repository.Path, node), detail);
        return detail;
    }

    private async Task<CommitDetail?> ReadCommitAsync(RepositoryInfo repository, string node, CancellationToken cancellationToken)
    {
        var run = await RunBytesAsync(repository, ["log", "-r", Id(node), "-T", "json(node,parents,user,date,desc,branch)"], cancellationToken);
        if (run.ExitCode != 0 || run.Value.Truncated) return null;
        // Decoded first: bytes that are not UTF-8 become replacement characters instead of a JSON error.
        using var json = JsonDocument.Parse(Text(run.Value.Bytes));
        if (json.RootElement.GetArrayLength() != 1) return null;
        var c = json.RootElement[0];
        var date = c.GetProperty("date");
        var raw = date.ValueKind == JsonValueKind.Array ? string.Join(' ', date.EnumerateArray().Select(d => d.GetRawText())) : date.GetRawText();
        // Mercurial records one person and one date per changeset: it is both author and committer.
        var person = Person(c.GetProperty("user").GetString() ?? "", RepositoryHistory.HgDate(date), raw);
        var parents = Strings(c.GetProperty("parents")).Where(p => p != NullNode).ToList();
        return new CommitDetail(c.GetProperty("node").GetString() ?? node, parents, person, person, c.GetProperty("desc").GetString() ?? "")
        {
            Branch = c.GetProperty("branch").GetString(),
        };
    }

    /// <summary>Mercurial's user field, conventionally "Name &lt;email&gt;", though any text is allowed.</summary>
    private static Person Person(string user, DateTimeOffset? when, string rawDate)
    {
        var lt = user.IndexOf('<');
        var gt = user.LastIndexOf('>');
        if (lt >= 0 && gt > lt) return new Person(user[..lt].Trim(), user[(lt + 1)..gt], when, rawDate);
        return user.Contains('@') && !user.Contains(' ') ? new Person("", user, when, rawDate) : new Person(user.Trim(), "", when, rawDate);
    }

    public async Task<AheadBehind?> AheadBehindAsync(RepositoryInfo repository, string commit, string baseCommit, CancellationToken cancellationToken)
    {
        if (await NodeAsync(repository, commit, cancellationToken) is not { } node
            || await NodeAsync(repository, baseCommit, cancellationToken) is not { } baseNode)
            return null;
        // Both are full hashes hg printed or checked as hexadecimal: nothing else is written into the revsets. The
        // first count says whether the base exists (only() against an empty set would count all ancestors).
        var other = $"'{Id(baseNode)}'";
        var template = $"{{revset({other})|count}} {{revset('only(%s, %r)', node, {other})|count}} {{revset('only(%r, %s)', {other}, node)|count}}";
        var run = await RunBytesAsync(repository, ["log", "-r", Id(node), "-T", template], cancellationToken, 4096);
        return run.ExitCode == 0 && Text(run.Value.Bytes).Split(' ') is ["1", var ahead, var behind]
            && int.TryParse(ahead, CultureInfo.InvariantCulture, out var a) && int.TryParse(behind, CultureInfo.InvariantCulture, out var b)
            ? new AheadBehind(a, b) : null;
    }
}
