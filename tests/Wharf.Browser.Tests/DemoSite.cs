using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Wharf.Server.Tests;

namespace Wharf.Browser.Tests;

/// <summary>
/// One <c>wharf serve</c> with demo data in every state the page walk shows, and one chromium, shared by the walk's
/// rows (an xunit class fixture). Made through the product's own doors: accounts, keys, repositories, grants and
/// tokens with the <c>wharf admin</c> commands, commits pushed with real git over SSH with alice's key, and each
/// person signed in through the sign-in form once (their cookies are then reused by every row).
/// </summary>
/// <remarks>
/// The people: <c>alice</c> (admin; two SSH keys; repositories <c>site</c> with pushes on two branches, a read
/// grant for bob and an access key, <c>empty</c>, and the Mercurial <c>notes</c>; an API token), <c>bob</c> (no
/// key; reads alice/site) and <c>carol</c> (nothing yet). <see cref="BrokenAsync"/> is a second server whose
/// database lost a table, for the 500 page.
/// </remarks>
public sealed class DemoSite : IAsyncLifetime
{
    public const string Password = "correct horse battery";
    private IPlaywright _playwright = null!;
    private readonly Dictionary<(WharfHost, string), string> _signedIn = [];
    private WharfHost? _broken;

    public WharfHost Host { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        Browser = await Chromium.LaunchAsync(_playwright);
        Host = await WharfHost.StartAsync();
        await SeedAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        if (Host is not null) await Host.DisposeAsync();
        if (_broken is not null) await _broken.DisposeAsync();
    }

    /// <summary>
    /// A browser context for <paramref name="width"/> (1280: a desktop window, 1280x800; 390: a phone, 390x844 with
    /// touch), signed in as <paramref name="user"/> (null: signed out) on <paramref name="host"/>.
    /// </summary>
    public async Task<IBrowserContext> NewContextAsync(WharfHost host, string? user, int width)
    {
        var options = new BrowserNewContextOptions { BaseURL = host.BaseAddress.ToString() };
        if (width == Viewports.Phone) (options.ViewportSize, options.IsMobile, options.HasTouch) = (new() { Width = 390, Height = 844 }, true, true);
        else if (width == Viewports.Desktop) options.ViewportSize = new() { Width = 1280, Height = 800 };
        else throw new ArgumentOutOfRangeException(nameof(width), width, "the walk knows 1280 and 390");
        if (user is not null) options.StorageState = await SignedInAsync(host, user);
        return await Browser.NewContextAsync(options);
    }

    /// <summary>A second server whose database lost its repositories table: /repositories answers 500 there.</summary>
    public async Task<WharfHost> BrokenAsync()
    {
        if (_broken is not null) return _broken;
        _broken = await WharfHost.StartAsync();
        await CreateUserAsync(_broken, "dave", admin: false);
        await SignedInAsync(_broken, "dave");
        await using var db = _broken.Data.OpenDatabase();
        await db.Database.ExecuteSqlRawAsync(_broken.Data.IsPostgres ? "DROP TABLE repositories CASCADE" : "DROP TABLE repositories");
        return _broken;
    }

    private async Task SeedAsync()
    {
        await CreateUserAsync(Host, "alice", admin: true);
        await CreateUserAsync(Host, "bob", admin: false);
        await CreateUserAsync(Host, "carol", admin: false);

        // alice's laptop key is a real one (ssh-keygen), so that git can push with it.
        var keyFile = Path.Combine(Host.Data.Root, "alice_ed25519");
        Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alice@laptop", "-f", keyFile);
        await CliAsync(Host, await File.ReadAllTextAsync(keyFile + ".pub"), "admin", "key", "add", "alice", "--label", "laptop",
            "--usage", "authentication_and_signing");
        await CliAsync(Host, TestKeys.Rsa(3072).Replace(" rsa@test", " alice@desktop", StringComparison.Ordinal) + "\n", "admin", "key", "add", "alice", "--label", "work desktop");

        await CliAsync(Host, "", "admin", "repo", "create", "alice/site");
        await CliAsync(Host, "", "admin", "repo", "create", "alice/empty");
        await CliAsync(Host, "", "admin", "repo", "create", "alice/notes", "--hg", "--public");
        await CliAsync(Host, "", "admin", "repo", "grant", "alice/site", "bob", "--permission", "read");
        await CliAsync(Host, TestKeys.Ed25519("ci@build") + "\n", "admin", "repo", "access-key", "add", "alice/site", "--label", "build server");
        await CliAsync(Host, "", "admin", "token", "create", "alice", "--name", "deploy script");

        // Two pushes over SSH: main, then a feature branch.
        var work = Path.Combine(Host.Data.Root, "alice-site-work");
        Directory.CreateDirectory(work);
        var ssh = $"ssh -i {keyFile} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR";
        var url = $"ssh://git@127.0.0.1:{Host.SshEndPoint.Port}/alice/site.git";
        Git.Ok(work, "init", "-q");
        Git.Ok(work, "config", "user.name", "Alice");
        Git.Ok(work, "config", "user.email", "alice@example.org");
        await File.WriteAllTextAsync(Path.Combine(work, "README.md"),
            "# site\n\nThe team's web site.\n\n| Page | Owner |\n| --- | --- |\n| Home | alice |\n| Blog | bob |\n\n- [x] home page\n- [ ] blog\n\nSee [the script](src/app.cs).\n");
        Directory.CreateDirectory(Path.Combine(work, "src"));
        await File.WriteAllTextAsync(Path.Combine(work, "src", "app.cs"),
            "using System;\n\n// Serves the site.\npublic static class App\n{\n    public static void Main() => Console.WriteLine(\"hello\");\n}\n");
        Git.Ok(work, "add", "README.md", "src/app.cs");
        Git.Ok(work, "commit", "-q", "-m", "Start the site");
        Git.Ok(work, "-c", "core.sshCommand=" + ssh, "push", "-q", url, "main");
        Git.Ok(work, "checkout", "-q", "-b", "phone-layout");
        await File.WriteAllTextAsync(Path.Combine(work, "site.css"), "body { max-width: 100%; }\n");
        Git.Ok(work, "add", "site.css");
        Git.Ok(work, "commit", "-q", "-m", "Fit phones");
        Git.Ok(work, "-c", "core.sshCommand=" + ssh, "push", "-q", url, "phone-layout");
        // Two more commits on main (a file added, then one of its lines changed) and an annotated tag, so the commit
        // page has a diff with added and deleted lines, and the branches and tags pages have something to compare.
        Git.Ok(work, "checkout", "-q", "main");
        await File.WriteAllTextAsync(Path.Combine(work, "CHANGES.md"), "# Changes\n\n- first page\n- a style sheet\n");
        Git.Ok(work, "add", "CHANGES.md");
        Git.Ok(work, "commit", "-q", "-m", "Keep a change log");
        Git.Ok(work, "tag", "-a", "v1.0", "-m", "First release");
        await File.WriteAllTextAsync(Path.Combine(work, "CHANGES.md"), "# Changes\n\n- the first page\n- a style sheet\n- a change log\n");
        // Signed with alice's laptop key (git's SSH signing), so the history shows a Verified badge.
        Git.Ok(work, "-c", "gpg.format=ssh", "-c", "user.signingkey=" + keyFile, "commit", "-q", "-S", "-a", "-m", "Say more in the change log\n\nEach change gets its own line.");
        Git.Ok(work, "-c", "core.sshCommand=" + ssh, "push", "-q", url, "main", "v1.0");

        // alice/notes (Mercurial): a README, a change on default and a named branch, pushed into the repository by hg.
        var notes = Path.Combine(Host.Data.Root, "alice-notes-work");
        string[] hg = ["--config", "ui.username=Alice <alice@example.org>"];
        Run("hg", "init", notes);
        await File.WriteAllTextAsync(Path.Combine(notes, "README.md"), "# notes\n\nMeeting notes, kept in Mercurial.\n");
        await File.WriteAllTextAsync(Path.Combine(notes, "monday.txt"), "- plan the week\n");
        Run("hg", [.. hg, "-R", notes, "commit", "-q", "-A", "-m", "First notes"]);
        await File.WriteAllTextAsync(Path.Combine(notes, "monday.txt"), "- plan the week\n- ship the site\n");
        Run("hg", [.. hg, "-R", notes, "commit", "-q", "-m", "Add to Monday"]);
        Run("hg", [.. hg, "-R", notes, "branch", "-q", "stable"]);
        await File.WriteAllTextAsync(Path.Combine(notes, "stable.txt"), "kept\n");
        Run("hg", [.. hg, "-R", notes, "commit", "-q", "-A", "-m", "Start stable"]);
        Run("hg", "-R", notes, "push", "-q", "--new-branch", Host.Data.Paths.Repository("alice", "notes", Wharf.Core.Repositories.Scm.Hg));

        foreach (var user in new[] { "alice", "bob", "carol" }) await SignedInAsync(Host, user);
    }

    /// <summary>Makes <paramref name="name"/> with <c>wharf admin user create --password-stdin</c> and <see cref="Password"/>.</summary>
    public static async Task CreateUserAsync(WharfHost host, string name, bool admin)
    {
        string[] args = ["admin", "user", "create", name, "--email", name + "@example.org", "--password-stdin", .. admin ? new[] { "--admin" } : []];
        await CliAsync(host, Password + "\n", args);
    }

    private static async Task CliAsync(WharfHost host, string stdin, params string[] args)
    {
        var result = await host.Data.PipeAsync(stdin, args);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"demo data: wharf {string.Join(' ', args)} exited with {result.ExitCode}: {result.Error}");
    }

    /// <summary>Signs <paramref name="user"/> in through the sign-in form once; returns the context's cookies as Playwright's storage state.</summary>
    private async Task<string> SignedInAsync(WharfHost host, string user)
    {
        if (_signedIn.TryGetValue((host, user), out var state)) return state;
        var context = await Browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() });
        await SignInAsync(await context.NewPageAsync(), user);
        state = await context.StorageStateAsync();
        await context.CloseAsync();
        return _signedIn[(host, user)] = state;
    }

    /// <summary>Signs <paramref name="user"/> (made with <see cref="Password"/>) in through the sign-in form.</summary>
    public static async Task SignInAsync(IPage page, string user)
    {
        await page.GotoAsync("/signin");
        await page.GetByLabel("User name").FillAsync(user);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Assertions.Expect(page).Not.ToHaveURLAsync(new Regex("/signin"));
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var error = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {p.ExitCode}: {error.Result}");
    }
}

/// <summary>The two window widths every page is walked at.</summary>
public static class Viewports
{
    /// <summary>1280x800, a laptop's window.</summary>
    public const int Desktop = 1280;
    /// <summary>390x844 with touch, a phone (iPhone 12 to 15 in CSS px).</summary>
    public const int Phone = 390;
    /// <summary>360 CSS px, the narrowest phones in common use; the phone rows check for sideways scroll at this width too.</summary>
    public const int NarrowPhone = 360;
}
