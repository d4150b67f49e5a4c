using Wharf.Core.Browse;
using Wharf.Core.Repositories;

namespace Wharf.Server.Web.Api;

/// <summary>Bitbucket's <c>author</c>: the raw "Name &lt;email&gt;" as recorded; <c>user</c> is null (Wharf does not match commits to accounts).</summary>
public sealed record AuthorDto(string Type, string Raw, object? User)
{
    public static AuthorDto From(Person p) => new("author", p.Email.Length == 0 ? p.Name : $"{p.Name} <{p.Email}>", null);
}

/// <summary>Bitbucket's rendered text object (<c>summary</c>): the raw text, its markup, and the text as HTML.</summary>
public sealed record RenderedDto(string Type, string Raw, string Markup, string Html);

public sealed record CommitLinksDto(HrefDto Self, HrefDto Html, HrefDto Diff, HrefDto Patch);

public sealed record ParentDto(string Type, string Hash, ParentLinksDto Links);

public sealed record ParentLinksDto(HrefDto Self, HrefDto Html);

/// <summary>
/// Bitbucket's <c>commit</c>: <c>hash</c>, <c>date</c> (the author date; null when .NET cannot represent the recorded one),
/// <c>author</c>, <c>message</c>, <c>summary</c>, <c>parents</c>, <c>repository</c>, <c>links</c>; plus <c>committer</c>
/// and <c>committer_date</c>, which Bitbucket leaves out, and in a git repository <c>signature</c> (<see cref="SignatureDto"/>;
/// absent for a Mercurial changeset, whose signatures Wharf does not check).
/// </summary>
public sealed record CommitDto(string Type, string Hash, DateTimeOffset? Date, AuthorDto Author, AuthorDto Committer, DateTimeOffset? CommitterDate,
    string Message, RenderedDto Summary, IReadOnlyList<ParentDto> Parents, RepositoryRefDto Repository, CommitLinksDto Links)
{
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public SignatureDto? Signature { get; init; }

    /// <summary>The commit object with its signature verdict from <paramref name="verdicts"/> (null: none, Mercurial).</summary>
    public static CommitDto From(CommitDetail c, RepositoryInfo r, string baseUrl, IReadOnlyDictionary<string, Core.Signatures.CommitSignature>? verdicts) =>
        From(c, r, baseUrl) with { Signature = verdicts?.GetValueOrDefault(c.Id) is { } v ? SignatureDto.From(v) : null };

    public static CommitDto From(CommitDetail c, RepositoryInfo r, string baseUrl) => new("commit", c.Id, c.Author.When,
        AuthorDto.From(c.Author), AuthorDto.From(c.Committer), c.Committer.When, c.Message,
        new RenderedDto("rendered", c.Message, "plaintext", "<p>" + Html.E(c.Message) + "</p>"),
        c.Parents.Select(p => new ParentDto("commit", p, new ParentLinksDto(Api(r, baseUrl, "/commit/" + p), Page(r, baseUrl, p)))).ToList(),
        RepositoryRefDto.From(r),
        new CommitLinksDto(Api(r, baseUrl, "/commit/" + c.Id), Page(r, baseUrl, c.Id), Api(r, baseUrl, "/diff/" + c.Id), Api(r, baseUrl, "/patch/" + c.Id)));

    internal static HrefDto Api(RepositoryInfo r, string baseUrl, string rest) => new($"{baseUrl}/2.0/repositories/{r.FullName}{rest}");
    private static HrefDto Page(RepositoryInfo r, string baseUrl, string id) => new($"{baseUrl}/{r.FullName}/commits/{id}");
}

/// <summary>A page of commits as Bitbucket pages them: no <c>size</c> (counting a whole history is what paging avoids), a <c>next</c> link while there are more.</summary>
public sealed record CommitPageDto(IReadOnlyList<CommitDto> Values, int Page, int Pagelen, string? Next);

public sealed record RefLinksDto(HrefDto Self, HrefDto Commits, HrefDto Html);

/// <summary>
/// Bitbucket's <c>branch</c> and <c>tag</c> (the <c>ref</c> objects): <c>type</c>, <c>name</c>, <c>target</c> (the commit),
/// <c>links</c>; a tag also has <c>message</c> and <c>date</c> (an annotated tag's own; null for a lightweight one).
/// Wharf adds <c>is_default</c> for the default branch.
/// </summary>
public sealed record RefDto(string Type, string Name, CommitDto? Target, RefLinksDto Links, bool IsDefault)
{
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Message { get; init; }
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? Date { get; init; }

    public static RefDto From(RefInfo info, CommitDetail? target, RepositoryInfo r, string baseUrl,
        IReadOnlyDictionary<string, Core.Signatures.CommitSignature>? verdicts)
    {
        var tag = info.Kind == RefKind.Tag;
        var escaped = Code.CommitPages.EscapeSegments(info.Name);
        var dto = new RefDto(tag ? "tag" : info.Kind == RefKind.Bookmark ? "bookmark" : "branch", info.Name,
            target is null ? null : CommitDto.From(target, r, baseUrl, verdicts),
            new RefLinksDto(CommitDto.Api(r, baseUrl, (tag ? "/refs/tags/" : "/refs/branches/") + escaped), CommitDto.Api(r, baseUrl, "/commits/" + escaped),
                new HrefDto(tag ? $"{baseUrl}/{r.FullName}/commits/{info.Target}" : $"{baseUrl}/{r.FullName}/commits/branch/{Code.CommitPages.EscapeSegments(info.Name)}")),
            info.IsDefault);
        return tag ? dto with { Message = info.Message, Date = info.Message is null ? null : info.When } : dto;
    }
}

/// <summary>Bitbucket's <c>commit_file</c> inside a diffstat: the path at one side of the change.</summary>
public sealed record CommitFileDto(string Type, string Path, string EscapedPath, CommitFileLinksDto Links);

public sealed record CommitFileLinksDto(HrefDto Self);

/// <summary>
/// Bitbucket's <c>diffstat</c>: <c>status</c> added, removed, modified or renamed (a copy reads as added, a type change
/// as modified), <c>lines_added</c>, <c>lines_removed</c> (0 for a binary file), and <c>old</c>/<c>new</c> (null on the
/// side where the file does not exist).
/// </summary>
public sealed record DiffstatDto(string Type, string Status, int LinesAdded, int LinesRemoved, CommitFileDto? Old, CommitFileDto? New)
{
    public static DiffstatDto From(FileDiff f, string? fromCommit, string toCommit, RepositoryInfo r, string baseUrl)
    {
        var status = f.Change switch
        {
            FileChange.Added or FileChange.Copied => "added",
            FileChange.Deleted => "removed",
            FileChange.Renamed => "renamed",
            _ => "modified",
        };
        CommitFileDto? Side(string? path, string? commit) => path is null || commit is null ? null
            : new CommitFileDto("commit_file", path, path, new CommitFileLinksDto(CommitDto.Api(r, baseUrl, $"/src/{commit}/{Code.CommitPages.EscapeSegments(path)}")));
        return new DiffstatDto("diffstat", status, f.Additions, f.Deletions,
            f.Change is FileChange.Added or FileChange.Copied ? null : Side(f.OldPath, fromCommit), f.Change == FileChange.Deleted ? null : Side(f.NewPath, toCommit));
    }
}
