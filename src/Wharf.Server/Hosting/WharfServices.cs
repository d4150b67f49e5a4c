using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Wharf.Core;
using Wharf.Core.Git;
using Wharf.Core.Keys;
using Wharf.Core.Notifications;
using Wharf.Core.Repositories;
using Wharf.Core.Tokens;
using Wharf.Core.Users;
using Wharf.Data;
using Wharf.Data.Stores;
using Wharf.Server.Mail;

namespace Wharf.Server.Hosting;

/// <summary>The one composition of Wharf's services, shared by <c>wharf serve</c> and the admin commands.</summary>
public static class WharfServices
{
    public static IServiceCollection AddWharf(this IServiceCollection services, WharfPaths paths, DatabaseTarget database, IConfiguration? configuration = null)
    {
        services.AddSingleton(paths);
        // Built here, not lazily: an invalid setting stops the command before anything else happens.
        services.AddSingleton(WharfConfiguration.KeyPolicy(configuration));
        services.AddSingleton(SmtpSettings.Build(configuration));
        services.AddSingleton(WharfConfiguration.KeyReminders(configuration));
        services.AddSingleton(WharfConfiguration.Repositories(configuration));
        services.AddSingleton(Accounts.SignUpPolicy.Build(configuration));
        services.TryAddSingleton(TimeProvider.System);
        services.AddLogging();
        services.AddSingleton<WebAddress>();
        services.AddSingleton<Ssh.KeyUsageBuffer>();
        var sessionSettings = Ssh.SessionSettings.Build(configuration);
        services.AddSingleton(sessionSettings);
        services.AddSingleton(sessionSettings.ProcessLimits);
        services.AddSingleton(Ssh.UserCertificates.Build(configuration, paths));
        services.AddSingleton<Ssh.KeyStanding>();
        services.AddSingleton<Ssh.LiveSessions>();
        services.AddSingleton(new GitBinary());
        services.AddSingleton<GitProcessRunner>();
        services.AddSingleton(new Wharf.Core.Hg.HgBinary());
        services.AddSingleton<Wharf.Core.Hg.HgServeRunner>();
        services.AddSingleton<RepositoryHistory>();
        // The code pages and API: one ICodeBrowser per version control system, registered beside it.
        services.AddSingleton(WharfConfiguration.Browse(configuration));
        services.AddSingleton<Wharf.Core.Browse.ICodeBrowser, Wharf.Core.Browse.Git.GitCodeBrowser>();
        services.AddSingleton<Wharf.Core.Browse.ICodeBrowser, Wharf.Core.Browse.Hg.HgCodeBrowser>();
        services.AddSingleton<Wharf.Core.Browse.CodeBrowsers>();
        services.AddSingleton(Maintenance.MaintenanceSettings.Build(configuration));
        services.AddSingleton<Maintenance.RepositoryLocks>();
        services.AddSingleton<Maintenance.RepositoryMaintainer>();
        services.AddSingleton<Ssh.RepositorySessions>();
        services.AddSingleton(WharfConfiguration.Lfs(configuration));
        services.AddSingleton<Wharf.Core.Lfs.LfsObjectStore>();
        services.AddSingleton<Web.Lfs.LfsTokens>();

        services.AddWharfDatabase(database, paths);
        services.AddScoped<IUserStore, EfUserStore>();
        services.AddScoped<IUserSessionStore, EfUserSessionStore>();
        services.AddScoped<IEmailTokenStore, EfEmailTokenStore>();
        services.AddScoped<ISshKeyStore, EfSshKeyStore>();
        services.AddScoped<Wharf.Core.Signatures.ICommitSignatureStore, EfCommitSignatureStore>();
        services.AddScoped<Wharf.Core.Signatures.CommitSignatures>();
        services.AddScoped<IRepositoryStore, EfRepositoryStore>();
        services.AddScoped<Wharf.Core.AccessKeys.IAccessKeyStore, EfAccessKeyStore>();
        services.AddScoped<IApiTokenStore, EfApiTokenStore>();
        services.AddScoped<Wharf.Core.Audit.IAuditLog, EfAuditLog>();
        services.AddScoped<Wharf.Core.Lfs.ILfsLockStore, EfLfsLockStore>();
        services.AddScoped<Wharf.Core.Lfs.LfsLocks>();

        services.AddScoped<IKeyReminderStore, EfKeyReminderStore>();
        services.AddSingleton<Outbox>();
        services.AddSingleton<INotificationSender, MailSender>();
        services.AddSingleton<IKeyChangeNotifier, KeyChangeMailer>();
        services.AddScoped<AccountMailer>();
        services.AddScoped(sp => ActivatorUtilities.CreateInstance<KeyReminders>(sp,
            (Func<string>)(() => sp.GetRequiredService<WebAddress>().BaseUrl?.TrimEnd('/') ?? "")));

        services.AddScoped<UserService>();
        // Here, not with the web pages: `wharf admin user password` hashes exactly as the sign-up page does.
        services.AddSingleton<Microsoft.AspNetCore.Identity.IPasswordHasher<User>, Microsoft.AspNetCore.Identity.PasswordHasher<User>>();
        services.AddScoped<Accounts.PasswordService>();
        services.AddScoped<SshKeyService>();
        services.AddScoped<RepositoryService>();
        services.AddScoped<ApiTokenService>();
        services.AddScoped<Wharf.Core.Access.RepositoryAccess>();
        services.AddScoped<Wharf.Core.AccessKeys.AccessKeyService>();
        return services;
    }

    /// <summary>Creates the data directory and brings the database schema up to date. Every command runs this first.</summary>
    public static async Task PrepareAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        services.GetRequiredService<WharfPaths>().EnsureCreated();
        await using var scope = services.CreateAsyncScope();
        await WharfDatabase.MigrateAsync(scope.ServiceProvider.GetRequiredService<WharfDbContext>(), cancellationToken);
    }
}
