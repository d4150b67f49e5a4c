using Microsoft.AspNetCore.Authentication;
using Wharf.Core.Audit;
using Wharf.Core.Keys;
using Wharf.Core.Repositories;
using Wharf.Core.Users;
using Wharf.Server.Hosting;
using Wharf.Server.Web.Accounts;
using Wharf.Server.Web.Home;

namespace Wharf.Server.Web;

/// <summary>
/// <c>/</c>: signed out, what Wharf is and how to come in; signed in, the dashboard (your repositories and those
/// shared with you, the latest pushes to them, and what to do next about your SSH keys).
/// </summary>
public static class HomeEndpoints
{
    /// <summary>How many pushes the dashboard lists.</summary>
    public const int RecentPushes = 10;

    /// <summary>A key that expires within this time is shown with "replace it".</summary>
    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(30);

    public static IEndpointRouteBuilder MapHome(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", async (HttpContext http, IUserStore users, CancellationToken ct) =>
        {
            var session = await http.AuthenticateAsync(AccountEndpoints.Scheme);
            var user = session.Succeeded && session.Principal is { } me ? await users.FindByIdAsync(UserId(me), ct) : null;
            var (host, port) = SshAddress(http);
            if (user is null)
                return WebPage.Render<LandingPage>(http, new { SignUpOpen = SignUpOpen(http), SshHost = host, SshPort = port });
            return WebPage.Render<DashboardPage>(http, new { Model = await DashboardAsync(http.RequestServices, user, ct), SshHost = host, SshPort = port });
        });
        return app;
    }

    /// <summary><c>Accounts:SignUp</c>: <c>open</c> (the default) or <c>closed</c>, when only administrators create accounts.</summary>
    public static bool SignUpOpen(HttpContext http) =>
        !string.Equals(http.RequestServices.GetRequiredService<IConfiguration>()["Accounts:SignUp"], "closed", StringComparison.OrdinalIgnoreCase);

    /// <summary>The host and port clone URLs use: <c>Ssh:PublicHost</c> else the request's host, <c>Ssh:PublicPort</c> else the bound port.</summary>
    public static (string Host, int Port) SshAddress(HttpContext http)
    {
        var address = http.RequestServices.GetRequiredService<WebAddress>();
        return (address.SshHost ?? http.Request.Host.Host, address.SshPort);
    }

    private static long UserId(System.Security.Claims.ClaimsPrincipal me) =>
        long.TryParse(me.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value, System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : -1;

    private static async Task<Dashboard> DashboardAsync(IServiceProvider services, User user, CancellationToken ct)
    {
        var store = services.GetRequiredService<IRepositoryStore>();
        var audit = services.GetRequiredService<IAuditLog>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var owned = await store.ListByOwnerAsync(user.Id, ct);
        var shared = await store.ListSharedWithAsync(user.Id, ct);

        // The newest pushes across all of them are among the pushes to the most recently pushed repositories.
        var pushes = new List<AuditEntry>();
        foreach (var r in owned.Concat(shared).Where(r => r.LastPushedAt is not null).OrderByDescending(r => r.LastPushedAt).Take(RecentPushes))
            pushes.AddRange((await audit.ListForRepositoryAsync(r.Id, RecentPushes, ct)).Where(a => a.Action == AuditActions.Push));

        var keys = await services.GetRequiredService<SshKeyService>().ListAsync(user, ct);
        return new Dashboard(user.Name, owned, shared, [.. pushes.OrderByDescending(p => p.At).ThenByDescending(p => p.Id).Take(RecentPushes)],
            keys, [.. keys.Where(k => k.ExpiresAt is { } e && e <= now + ExpiryWarning).OrderBy(k => k.ExpiresAt)], now);
    }
}

/// <summary>What the dashboard shows; <see cref="Expiring"/> holds the keys expired or expiring within 30 days, soonest first.</summary>
public sealed record Dashboard(string UserName, IReadOnlyList<RepositoryInfo> Owned, IReadOnlyList<RepositoryInfo> Shared,
    IReadOnlyList<AuditEntry> Pushes, IReadOnlyList<SshKey> Keys, IReadOnlyList<SshKey> Expiring, DateTimeOffset Now);
