using Microsoft.AspNetCore.Mvc;
using Wharf.Core.Access;
using Wharf.Core.Errors;
using Wharf.Core.Repositories;

namespace Wharf.Server.Web.Repositories;

/// <summary>
/// <c>/OWNER/NAME/settings/signed-commits</c> (Admin level, git repositories): "Require signed commits", the setting the
/// pre-receive hook enforces (<see cref="Signing.SignedPushes"/>). The change goes through
/// <see cref="RepositoryService.SetRequireSignedCommitsAsync"/>, as the API's and the CLI's do, so the owner's audit log
/// records who made it.
/// </summary>
internal static class SignedCommitsPage
{
    public const string Page = "/signed-commits";

    public static void Map(RouteGroupBuilder settings)
    {
        settings.MapGet(Page, async (string owner, string repo, HttpContext http, CancellationToken ct) =>
            SettingPage(http, await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Admin, ct), null));

        // The form value is bound, so the antiforgery token is checked before the handler runs.
        settings.MapPost(Page, async (string owner, string repo, [FromForm] string? require, HttpContext http,
            RepositoryService service, CancellationToken ct) =>
        {
            var view = await RepositoryPages.OpenAsync(http, owner, repo, AccessLevel.Admin, ct);
            bool required;
            try
            {
                required = Parse(require);
                await service.SetRequireSignedCommitsAsync(view.Repository, view.Level, required, ct,
                    Accounts.AuditPages.ActorOf(view.User.Name, http));
            }
            catch (WharfException e) when (e.Category is ErrorCategory.InvalidArgument)
            {
                return SettingPage(http, view, e.Message, StatusCodes.Status400BadRequest);
            }
            return WebPage.RedirectWithFlash(http, view.Path + RepositoryPages.Settings + Page, required
                ? $"Pushes to {view.Repository.FullName} now need verified signed commits."
                : $"Pushes to {view.Repository.FullName} no longer need signed commits.");
        });
    }

    /// <summary>The form's <c>require</c> value (also the API's words): <c>on</c> or <c>off</c>, nothing else.</summary>
    internal static bool Parse(string? value) => value switch
    {
        "on" => true,
        "off" => false,
        _ => throw RepositoryErrors.SignedCommitsValue(value),
    };

    private static IResult SettingPage(HttpContext http, RepositoryView view, string? error, int status = StatusCodes.Status200OK) =>
        WebPage.Render<SignedCommitsView>(http, new { View = view, Error = error }, status);
}
