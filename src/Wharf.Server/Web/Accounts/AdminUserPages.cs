using System.Security.Claims;
using Wharf.Core;
using Wharf.Core.Audit;
using Wharf.Core.Users;

namespace Wharf.Server.Web.Accounts;

/// <summary>
/// <c>/admin/users</c>: instance administrators list every account, make or remove administrators, and disable or
/// enable an account. Anyone else gets 404 (the page's existence is not confirmed). Each action is authorised when
/// it runs (the administrator's flag is read again) and recorded in the target account's audit log.
/// </summary>
public static class AdminUserPages
{
    public const string Path = "/admin/users";
    public const string CannotChangeSelf = "You can't change your own account here.";

    public static IEndpointRouteBuilder MapAdminUsers(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, async (HttpContext http, ClaimsPrincipal me, IUserStore users, CancellationToken ct) =>
        {
            var admin = await SshKeyPages.CurrentAsync(me, users, ct);
            if (!admin.IsAdmin) return Results.NotFound();
            return WebPage.Render<AdminUsersPage>(http, new { UserName = admin.Name, Me = admin.LowerName, Users = await users.ListAsync(ct) });
        }).RequireAuthorization(AccountEndpoints.Policy);

        app.MapPost(Path + "/{name}/admin", (string name, [Microsoft.AspNetCore.Mvc.FromForm] string? admin, HttpContext http, ClaimsPrincipal me,
                IUserStore users, IAuditLog audit, TimeProvider time, CancellationToken ct) =>
            ActAsync(name, http, me, users, audit, time, ct, async target =>
            {
                var grant = admin == "true";
                await users.SetAdminAsync(target.Id, grant, ct);
                return (grant ? AccountAuditActions.AdminGranted : AccountAuditActions.AdminRevoked,
                    grant ? $"{target.Name} is now an administrator." : $"{target.Name} is no longer an administrator.");
            })).RequireAuthorization(AccountEndpoints.Policy);

        // Disabling ends the sessions with it; SSH keys are refused at the next login or command and live connections
        // are closed by the revocation sweep (Ssh:RevocationCheckInterval); tokens are refused on the next call.
        app.MapPost(Path + "/{name}/{change}", (string name, string change, HttpContext http, ClaimsPrincipal me,
                IUserStore users, IAuditLog audit, TimeProvider time, CancellationToken ct) =>
            change is not ("disable" or "enable") ? Task.FromResult(Results.NotFound()) : ActAsync(name, http, me, users, audit, time, ct, async target =>
            {
                var disable = change == "disable";
                await users.SetDisabledAsync(target.Id, disable, ct);
                return disable
                    ? (AccountAuditActions.Disabled, $"{target.Name} is disabled: its SSH keys, API tokens and web sessions no longer work.")
                    : (AccountAuditActions.Enabled, $"{target.Name} is enabled again.");
            })).RequireAuthorization(AccountEndpoints.Policy);
        return app;
    }

    private static async Task<IResult> ActAsync(string name, HttpContext http, ClaimsPrincipal me, IUserStore users, IAuditLog audit, TimeProvider time,
        CancellationToken ct, Func<User, Task<(string Action, string Message)>> act)
    {
        var admin = await SshKeyPages.CurrentAsync(me, users, ct);
        if (!admin.IsAdmin) return Results.NotFound();
        var target = Names.IsValidUserName(name) ? await users.FindByNameAsync(name, ct) : null;
        if (target is null) return Results.NotFound();
        if (target.Id == admin.Id) return WebPage.RedirectWithFlash(http, Path, CannotChangeSelf);
        var (action, message) = await act(target);
        await audit.AddAsync(new AuditEntry
        {
            UserId = target.Id, Action = action, KeyFingerprint = "", KeyLabel = "", Actor = admin.Name,
            SourceAddress = AccountEndpoints.ClientAddress(http),
            At = time.GetUtcNow(),
        }, ct);
        return WebPage.RedirectWithFlash(http, Path, message);
    }
}
