using Microsoft.AspNetCore.Mvc;
using Wharf.Core;
using Wharf.Core.Errors;
using Wharf.Core.Repositories;
using Wharf.Core.Users;
using Wharf.Server.Web.Accounts;

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
                var created = await repositories.CreateAsync(new RepositoryName(user.Name, name), ct, kind, priv, AuditPages.ActorOf(user.Name, http));
                // Post/redirect/get: reloading the repository page must not try to create it again.
                return WebPage.RedirectWithFlash(http, RepositoryPages.PathOf(created), $"Repository {created.FullName} created.");
            }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument or ErrorCategory.AlreadyExists)
            {
                return NewPage(http, user, e.Message, name, kind, priv, StatusCodes.Status400BadRequest);
            }
        });
    }

    private static IResult ListPage(HttpContext http, User user, IReadOnlyList<RepositoryInfo> list) =>
        WebPage.Render<RepositoryListView>(http, new { UserName = user.Name, Repositories = list });

    internal static string Visibility(RepositoryInfo repository) => repository.IsPrivate ? "Private" : "Public";

    private static IResult NewPage(HttpContext http, User user, string? error, string name, Scm scm, bool isPrivate, int status = 200) =>
        WebPage.Render<NewRepositoryView>(http, new { UserName = user.Name, Error = error, Name = name, Scm = scm, IsPrivate = isPrivate }, status);
}
