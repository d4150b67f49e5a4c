using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using Wharf.Core;
using Wharf.Core.Errors;
using Wharf.Core.Repositories;
using Wharf.Core.Users;
using Wharf.Server.Web.Accounts;
using static Wharf.Server.Web.Html;

namespace Wharf.Server.Web.Repositories;

/// <summary>
/// <c>/repositories</c>: what the signed-in person can see (owned, granted, public; everything for an
/// instance administrator), and <c>/repositories/new</c>: the New repository form. Creation goes through
/// <see cref="RepositoryService"/>, which builds the repository aside and moves it into place, so a refused
/// or failed creation leaves neither a record nor a directory.
/// </summary>
internal static class RepositoryListPages
{
    public static void Map(RouteGroupBuilder list)
    {
        list.MapGet("/", async (HttpContext http, IUserStore users, RepositoryService repositories, CancellationToken ct) =>
        {
            var user = await SshKeyPages.CurrentAsync(http.User, users, ct);
            return ListPage(http, user, await repositories.ListVisibleAsync(user, ct));
        });

        list.MapGet("/new", async (HttpContext http, IUserStore users, CancellationToken ct) =>
        {
            var user = await SshKeyPages.CurrentAsync(http.User, users, ct);
            return NewPage(http, user, null, "", Scm.Git, isPrivate: true);
        });

        // An unchecked checkbox sends nothing, so "private" is absent for a public repository.
        list.MapPost("/new", async ([FromForm] string? name, [FromForm] string? scm, [FromForm(Name = "private")] string? isPrivate,
            HttpContext http, IUserStore users, RepositoryService repositories, CancellationToken ct) =>
        {
            var user = await SshKeyPages.CurrentAsync(http.User, users, ct);
            name = name?.Trim() ?? "";
            var priv = isPrivate is not null;
            var kind = ScmNames.TryParse(scm, out var parsed) ? parsed : Scm.Git;
            try
            {
                if (!ScmNames.TryParse(scm, out _)) throw RepositoryErrors.Scm(scm);
                Names.ValidateRepositoryName(name);
                var created = await repositories.CreateAsync(new RepositoryName(user.Name, name), ct, kind, priv);
                // Post/redirect/get: reloading the repository page must not try to create it again.
                return Results.Redirect(RepositoryPages.PathOf(created));
            }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument or ErrorCategory.AlreadyExists)
            {
                return NewPage(http, user, e.Message, name, kind, priv, StatusCodes.Status400BadRequest);
            }
        });
    }

    private static IResult ListPage(HttpContext http, User user, IReadOnlyList<RepositoryInfo> list)
    {
        var body = new StringBuilder($"<p><a id=\"new-repository\" href=\"{RepositoryPages.NewPath}\">New repository</a></p>");
        if (list.Count == 0) body.Append("<p id=\"no-repositories\">No repositories yet. Create one, or ask someone to give you access to theirs.</p>");
        else
        {
            body.Append("<table id=\"repositories\"><thead><tr><th>Repository</th><th>Type</th><th>Visibility</th><th>Last pushed</th></tr></thead><tbody>");
            foreach (var r in list)
                body.Append(CultureInfo.InvariantCulture, $"<tr class=\"repository\" data-name=\"{E(r.FullName)}\">")
                    .Append(CultureInfo.InvariantCulture, $"<td><a href=\"{E(RepositoryPages.PathOf(r))}\">{E(r.FullName)}</a></td>")
                    .Append(CultureInfo.InvariantCulture, $"<td>{r.Scm.DisplayName()}</td><td>{Visibility(r)}</td>")
                    .Append(CultureInfo.InvariantCulture, $"<td>{SshKeyPages.When(r.LastPushedAt, "never")}</td></tr>");
            body.Append("</tbody></table>");
        }
        return Page(http, "Repositories", body.ToString(), user.Name);
    }

    internal static string Visibility(RepositoryInfo repository) => repository.IsPrivate ? "Private" : "Public";

    private static IResult NewPage(HttpContext http, User user, string? error, string name, Scm scm, bool isPrivate, int status = 200)
    {
        string Choice(Scm value) =>
            $"<label class=\"choice\"><input type=\"radio\" name=\"scm\" value=\"{value.ToApi()}\"{(value == scm ? " checked" : "")}>{value.DisplayName()}</label>";
        var body = new StringBuilder()
            .Append(Error(error, "create-error"))
            .Append(CultureInfo.InvariantCulture, $"<form id=\"create-repository\" method=\"post\" action=\"{RepositoryPages.NewPath}\">{Antiforgery(http)}")
            .Append(CultureInfo.InvariantCulture, $"<p>Owner: <strong>{E(user.Name)}</strong></p>")
            .Append(CultureInfo.InvariantCulture, $"<label for=\"repository-name\">Name</label><input id=\"repository-name\" name=\"name\" value=\"{E(name)}\" required maxlength=\"{Names.MaxRepositoryNameLength}\" autocomplete=\"off\">")
            .Append(CultureInfo.InvariantCulture, $"<p class=\"note\">Letters, digits, '-', '_' and '.', starting with a letter or digit; up to {Names.MaxRepositoryNameLength} characters.</p>")
            .Append("<fieldset><legend>Type</legend>").Append(Choice(Scm.Git)).Append(Choice(Scm.Hg)).Append("</fieldset>")
            .Append(CultureInfo.InvariantCulture, $"<label class=\"choice\"><input type=\"checkbox\" id=\"repository-private\" name=\"private\" value=\"on\"{(isPrivate ? " checked" : "")}>Private</label>")
            .Append("<p class=\"note\">Private: only you and the people you give access. Not private: any signed-in account can read it; only you and the people you give write access can push.</p>")
            .Append("<button type=\"submit\">Create repository</button></form>")
            .Append(CultureInfo.InvariantCulture, $"<p><a href=\"{RepositoryPages.ListPath}\">Back to repositories</a></p>");
        return Page(http, "New repository", body.ToString(), user.Name, status: status);
    }
}
