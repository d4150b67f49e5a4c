using Microsoft.AspNetCore.Antiforgery;
using Wharf.Core.Access;
using Wharf.Core.Repositories;
using Wharf.Core.Users;
using Wharf.Server.Web.Accounts;

namespace Wharf.Server.Web.Repositories;

/// <summary>A repository as one signed-in person may see it: who they are, the repository, and their level on it.</summary>
public sealed record RepositoryView(User User, RepositoryInfo Repository, AccessLevel Level)
{
    public string Path => RepositoryPages.PathOf(Repository);
}

/// <summary>
/// The repository pages: the list and the New repository form (<c>/repositories</c>), the repository page
/// (<c>/OWNER/NAME</c>) and its settings (<c>/OWNER/NAME/settings/...</c>, Admin level). Every page opens the
/// repository through <see cref="RepositoryAccess"/>, so a repository one may not read answers exactly as
/// one that does not exist (404, the same message), and the services decide what each level may change.
/// </summary>
public static class RepositoryPages
{
    public const string ListPath = "/repositories";
    public const string NewPath = "/repositories/new";
    public const string Settings = "/settings";

    /// <summary>Registers the <c>{owner:owner}</c> route constraint the repository pages use.</summary>
    public static IServiceCollection AddRepositoryPages(this IServiceCollection services) =>
        services.Configure<RouteOptions>(o => o.SetParameterPolicy<OwnerRouteConstraint>(OwnerRouteConstraint.Name));

    public static IEndpointRouteBuilder MapRepositoryPages(this IEndpointRouteBuilder app)
    {
        var list = app.MapGroup(ListPath).RequireAuthorization(AccountEndpoints.Policy).WithPageErrors();
        RepositoryListPages.Map(list);

        // Two segments whose first is not a fixed route's: Names.ReservedUserNames keeps accounts off those.
        var repository = app.MapGroup("/{owner:" + OwnerRouteConstraint.Name + "}/{repo}").RequireAuthorization(AccountEndpoints.Policy).WithPageErrors()
            .WithMetadata(new RequireAntiforgeryTokenAttribute());
        RepositoryOverviewPage.Map(repository);
        Code.CodePages.Map(repository);
        var settings = repository.MapGroup(Settings);
        // The settings have no page of their own: the address goes to the first one, for those who may see it.
        settings.MapGet("/", async (string owner, string repo, HttpContext http, CancellationToken ct) =>
        {
            var view = await OpenAsync(http, owner, repo, AccessLevel.Admin, ct);
            return Results.Redirect(view.Path + Settings + SettingsPages[0].Page);
        });
        PermissionPages.Map(settings);
        AccessKeyPages.Map(settings);
        DefaultBranchPage.Map(settings);
        SignedCommitsPage.Map(settings);
        DeleteRepositoryPage.Map(settings);
        // History: commits, one commit with its diff, branches, tags (Web/Code).
        Code.CommitPages.Map(repository);
        return app;
    }

    public static string PathOf(RepositoryInfo repository) => $"/{repository.OwnerName}/{repository.Name}";

    /// <summary>
    /// The repository named by the route, when the signed-in person has at least <paramref name="needed"/>.
    /// A malformed name, a missing repository and an unreadable one all give the same not-found refusal.
    /// </summary>
    internal static async Task<RepositoryView> OpenAsync(HttpContext http, string owner, string repo, AccessLevel needed, CancellationToken ct)
    {
        var services = http.RequestServices;
        var user = await SshKeyPages.CurrentAsync(http.User, services.GetRequiredService<IUserStore>(), ct);
        if (!Core.Names.IsValidUserName(owner) || !Core.Names.IsValidRepositoryName(repo))
            throw RepositoryErrors.NotFoundOrDenied($"{owner}/{repo}");
        var (repository, level) = await services.GetRequiredService<RepositoryAccess>()
            .OpenAsync(AccessSubject.ForUser(user.Id, user.IsAdmin), new RepositoryName(owner, repo), needed, ct);
        return new RepositoryView(user, repository, level);
    }

    /// <summary>The settings pages in the order their navigation lists them; the first is where <c>/settings</c> leads.</summary>
    internal static readonly IReadOnlyList<(string Page, string Title)> SettingsPages =
    [
        (PermissionPages.Page, "Permissions"), (AccessKeyPages.Page, "Access keys"),
        (DefaultBranchPage.Page, "Default branch"), (SignedCommitsPage.Page, "Signed commits"), (DeleteRepositoryPage.Page, "Delete repository"),
    ];

    /// <summary>How a level reads on the pages.</summary>
    internal static string Describe(AccessLevel level) => level switch
    {
        AccessLevel.Admin => "Admin",
        AccessLevel.Write => "Write",
        AccessLevel.Read => "Read",
        _ => "None",
    };
}
