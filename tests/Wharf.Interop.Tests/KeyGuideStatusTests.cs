using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Wharf.Core;
using Wharf.Data;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// The SSH key set-up guide's last step with the real OpenSSH client: the key's status says "not yet" until
/// <c>ssh -T</c> logs in with it, then names the time and the address the login came from.
/// </summary>
public sealed partial class KeyGuideStatusTests(WharfServer server) : IClassFixture<WharfServer>
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    [GeneratedRegex("^Your key 'laptop-ed25519' connected at \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} UTC from 127\\.0\\.0\\.1: it works$")]
    private static partial Regex Works();

    [Fact]
    public async Task TheStatusTurnsToItWorksWithTheAddressAfterSshTLogsIn()
    {
        var erin = await server.CreateUserAsync("erin", "ed25519");
        await server.WharfOrThrowAsync(["admin", "user", "password", "erin"], "a long enough password\n");
        Guid uuid;
        await using (var db = WharfDatabase.OpenSqlite(new WharfPaths(server.DataDirectory)))
            uuid = await db.SshKeys.Where(k => k.Fingerprint == erin.Key.Fingerprint).Select(k => k.Uuid).SingleAsync();

        using var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        using var browser = new HttpClient(handler) { BaseAddress = server.HttpAddress };
        var token = WebUtility.HtmlDecode(AntiforgeryField().Match(await browser.GetStringAsync("/signin")).Groups[1].Value);
        var signIn = await browser.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["username"] = "erin", ["password"] = "a long enough password", ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var status = $"/account/ssh-keys/{uuid:D}/status";

        var before = JsonDocument.Parse(await browser.GetStringAsync(status)).RootElement;
        Assert.False(before.GetProperty("used").GetBoolean());

        Expect.Succeeded(await server.SshAsync(erin.Key, ["-T"]), server, "ssh -T with erin's key");

        // The login is recorded as the server accepts the key; bounded polling, as the guide's script does.
        JsonElement after = default;
        for (var i = 0; i < 50; i++)
        {
            after = JsonDocument.Parse(await browser.GetStringAsync(status)).RootElement;
            if (after.GetProperty("used").GetBoolean()) break;
            await Task.Delay(100);
        }
        Assert.True(after.GetProperty("used").GetBoolean(), after.ToString());
        Assert.Equal("127.0.0.1", after.GetProperty("address").GetString());
        Assert.Matches(Works(), after.GetProperty("message").GetString());
    }
}
