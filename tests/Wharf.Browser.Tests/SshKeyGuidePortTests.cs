using Microsoft.Playwright;

namespace Wharf.Browser.Tests;

/// <summary>
/// The SSH key set-up guide (<c>/account/ssh-keys/guide</c>) is made for this server: its test command and its
/// <c>~/.ssh/config</c> block carry the real SSH host and port (the test server's port is never 22), and it shows
/// the host key fingerprint the first connection will ask the user to compare, as ssh-keyscan sees it.
/// </summary>
public sealed class SshKeyGuidePortTests : BrowserTest
{
    public const string GuidePath = "/account/ssh-keys/guide";

    [Fact]
    public async Task The_guide_tests_with_ssh_T_on_the_servers_real_port_and_shows_its_host_key_fingerprint()
    {
        await DemoSite.CreateUserAsync(Host, "erin", admin: false);
        await DemoSite.SignInAsync(Page, "erin");

        var response = await Page.GotoAsync(GuidePath);
        Assert.True(response!.Status == 200, $"GET {GuidePath} answered {response.Status}, expected the guide page (200)");
        var port = Host.SshEndPoint.Port;
        Assert.NotEqual(22, port);
        var main = Page.Locator("main");
        // The test command is a read-only field with its Copy button: its value is what the person copies.
        await Assertions.Expect(Page.Locator("#test-command")).ToHaveValueAsync($"ssh -T -p {port} git@127.0.0.1");
        // The ~/.ssh/config block, since the port is not 22.
        await Assertions.Expect(main).ToContainTextAsync("HostName 127.0.0.1");
        await Assertions.Expect(main).ToContainTextAsync($"Port {port}");
        await Assertions.Expect(main).ToContainTextAsync("User git");
        await Assertions.Expect(main).ToContainTextAsync("AddKeysToAgent");

        var ed25519 = (await Keyscan.ScanAsync(port)).Single(k => k.Type == "ssh-ed25519");
        await Assertions.Expect(main).ToContainTextAsync("SHA256:" + ed25519.Sha256);
    }
}
