using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.HttpOverrides;
using Wharf.Server.Cli;
using Wharf.Server.Operations;
using Wharf.Server.Ssh;
using Wharf.Server.Web;
using Wharf.Server.Web.Accounts;
using Wharf.Server.Web.Api;
using Wharf.Server.Web.Repositories;

namespace Wharf.Server.Hosting;

public static class ServeCommand
{
    // Loopback by default: a fresh install is not on the network until its operator says so.
    public const string DefaultHttp = "127.0.0.1:8080";
    public const string DefaultSsh = "127.0.0.1:2222";

    public static readonly CliCommand Command = new(
        "serve", $"Runs the web server (default {DefaultHttp}) and the SSH server (default {DefaultSsh}).",
        [], [new CliOption("--http", "ADDR:PORT", Required: false), new CliOption("--ssh", "ADDR:PORT[;ADDR:PORT...]", Required: false)],
        RunAsync);

    private static async Task<int> RunAsync(CliArguments args, CliContext console, CancellationToken cancellationToken)
    {
        var http = ListenAddress.Parse("--http", args["--http"] ?? DefaultHttp);
        // A bad --ssh is refused before the data directory is touched; Ssh:Listen is read below with the other settings.
        var sshOption = args["--ssh"] is { } option ? SshSettings.Listen(new ConfigurationBuilder().Build(), option, DefaultSsh) : null;
        var paths = DataDirectory.Resolve(args, console);

        // No command-line args for the host: ours are parsed above, and ASP.NET's own syntax
        // (--urls, --environment) would be a second, undocumented interface.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        // Settings: DATA/wharf.json, then WHARF_-prefixed environment variables (WHARF_Ssh__MaxAuthTries=20).
        builder.Configuration.AddWharfSources(paths);
        // Http:Certificate makes the web listener speak HTTPS; Http:PublicUrl names the address people use.
        var httpSettings = HttpSettings.Read(builder.Configuration);
        builder.WebHost.ConfigureKestrel(k => k.Listen(http, listen =>
        {
            if (httpSettings.Certificate is { } certificate) listen.UseHttps(certificate);
        }));
        // Validated here, before anything listens: a bad value is a start-up error with its own message.
        var sshOptions = SshSettings.Build(builder.Configuration, paths);
        // --ssh, else Ssh:Listen, else the default; several addresses share one server and its limits.
        var ssh = sshOption ?? SshSettings.Listen(builder.Configuration, null, DefaultSsh);
        var database = DatabaseOption.Resolve(args, console, builder.Configuration);
        var proxies = TrustedProxies.Parse(builder.Configuration);
        LogFormat.Configure(builder.Logging, builder.Configuration);
        // A listener that cannot bind is reported in one line below; the host's own "failed to start" error,
        // with its stack trace, would repeat it. Only while starting: later host errors are logged as usual.
        var starting = new StrongBox<bool>(true);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", level => level >= LogLevel.Information && !(starting.Value && level >= LogLevel.Error));
        // Every SQL statement at Information would bury the SSH and git events; warnings still show.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        // The SSH drain (Ssh:ShutdownGraceTime) runs inside the host's stop; leave it room to finish and log.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = sshOptions.ShutdownGraceTime + TimeSpan.FromSeconds(20));

        // Repositories need git (and hg for Mercurial): say so at once rather than at the first push.
        var tools = new RequiredTools(console.GetEnvironmentVariable("PATH") ?? Environment.GetEnvironmentVariable("PATH"));
        if (!tools.HasGit) await console.Error.WriteLineAsync(RequiredTools.GitMissing);
        if (!tools.HasHg) await console.Error.WriteLineAsync(RequiredTools.HgMissing);
        builder.Services.AddSingleton(tools);

        var announcer = new ServeAnnouncer(console.Out);
        builder.Services.AddSingleton(announcer);
        builder.Services.AddWharf(paths, database, builder.Configuration);
        var (publicHost, publicPort) = SshSettings.Public(builder.Configuration);
        builder.Services.AddSingleton(new SshListenOptions(ssh, publicPort is not null));
        builder.Services.AddSingleton(sshOptions);
        // The same key objects the SSH server signs with, for the pages, /meta and host_key_info.
        builder.Services.AddSingleton(new PublishedHostKeys(sshOptions.HostKeys, sshOptions.AnnouncedHostKeys));
        builder.Services.AddSingleton<SshLog>();
        builder.Services.AddSingleton<WharfSshHandler>();
        builder.Services.AddOperations();
        builder.Services.AddSingleton<SshHostedService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<SshHostedService>());
        // Ends the connections and commands of revoked keys and grants (Ssh:RevocationCheckInterval).
        builder.Services.AddHostedService<RevocationSweeper>();
        builder.Services.AddHostedService<KeyUsageFlusher>();
        // The OpenSSH front end's fast path: wharf keys authorized and wharf shell ask this process (OpenSsh:Socket).
        builder.Services.AddHostedService<OpenSsh.FrontEndSocket>();
        // Repacks git repositories after pushes, one at a time, never during a push (Maintenance:*).
        builder.Services.AddSingleton<Maintenance.MaintenanceService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<Maintenance.MaintenanceService>());
        builder.Services.AddHostedService<Mail.KeyReminderService>();
        // Gives back the memory a burst left committed once the server goes quiet (MemoryTrimPolicy).
        builder.Services.AddHostedService<MemoryTrimmer>();
        // Returns at once unless Smtp:Host is set.
        builder.Services.AddHostedService<Mail.OutboxSender>();
        builder.Services.AddAuthentication(ApiTokenAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null)
            .AddWebCookie();
        // The API's default policy takes tokens only; the web pages take the session cookie only.
        builder.Services.AddAuthorizationBuilder().AddPolicy(AccountEndpoints.Policy, p => p
            .AddAuthenticationSchemes(AccountEndpoints.Scheme).RequireAuthenticatedUser());
        builder.Services.AddWebAccounts(paths);
        builder.Services.AddRepositoryPages();
        builder.Services.AddOpenApi();
        // Pages are Razor components rendered on the server (static SSR) by their endpoints (WebPage.Render).
        builder.Services.AddRazorComponents();
        // Bitbucket's field names: created_on, last_used, key_type.
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);

        await using var app = builder.Build();
        await WharfServices.PrepareAsync(app.Services, cancellationToken);
        // Before anything is served: what a crash left half-done in the repository store is finished or undone.
        await using (var recovery = app.Services.CreateAsyncScope())
            await ActivatorUtilities.CreateInstance<RepositoryRecovery>(recovery.ServiceProvider).RunAsync(cancellationToken);
        // First, so that everything after (the sign-in throttle, the audit log, mails, logs, the cookies' Secure
        // flag) sees the client's address and scheme. With no trusted proxy the middleware is left out: given
        // empty lists it would believe every sender.
        if (!proxies.IsEmpty)
        {
            var forwarded = new ForwardedHeadersOptions();
            proxies.Configure(forwarded);
            app.UseForwardedHeaders(forwarded);
        }
        // Explicit, so that HEAD can be routed as GET (Web/HeadRequests.cs).
        app.UseRoutingWithHead();
        app.UseUnexpectedErrors();
        RevocationSweeper.UseRevocationWake(app);
        app.UseApiResponses();
        app.UseErrorPages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.UseAntiforgeryGate();
        app.MapHome();
        app.MapHostKeys();
        app.MapOperations();
        app.MapStaticAssets();
        app.MapAccounts();
        app.MapAdminUsers();
        app.MapSshKeyPages();
        app.MapAuditPages();
        app.MapTokenPages();
        app.MapSshKeyApi();
        app.MapRepositoryApi();
        Web.Lfs.LfsEndpoints.MapLfs(app);
        app.MapHistoryApi();
        app.MapOpenApi("/2.0/openapi.json");
        // /OWNER/NAME takes the two-segment paths whose first segment no fixed route has (routing prefers literal
        // segments whatever the order); Names.ReservedUserNames keeps accounts off those first segments.
        app.MapRepositoryPages();
        // /OWNER/NAME.git/info/refs and /OWNER/NAME.git/git-*-pack: git's smart HTTP protocol.
        Web.GitHttp.GitHttpEndpoints.MapGitHttp(app);
        // /USER.keys and /OWNER/NAME/allowed_signers: public keys as OpenSSH and git read them.
        Web.Signing.PublicKeyEndpoints.MapPublicKeyFiles(app);

        var webAddress = app.Services.GetRequiredService<WebAddress>();
        webAddress.PublicUrl = httpSettings.PublicUrl;
        webAddress.BaseUrl = httpSettings.PublicUrl;
        webAddress.SshHost = publicHost;
        if (publicPort is { } port) webAddress.SshPort = port;
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (Exception e) when (ListenFailure.Of(e, ListenFailure.SshEndPoint(e) ?? (ListenFailure.WebFailed(e, app.Services.GetRequiredService<IServer>(), announcer) ? http : ssh[0])) is { } failure)
        {
            throw failure;
        }
        finally
        {
            starting.Value = false;
        }
        console.Serving?.Invoke(app.Services);
        foreach (var address in app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses)
        {
            app.Services.GetRequiredService<WebAddress>().BaseUrl ??= address;
            announcer.Announce($"HTTP listening on {address}");
        }

        // Ends on Ctrl+C / SIGTERM (the host's console lifetime) or when the caller cancels.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, app.Lifetime.ApplicationStopping);
        await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await app.StopAsync(CancellationToken.None);
        return ExitCodes.Success;
    }
}
