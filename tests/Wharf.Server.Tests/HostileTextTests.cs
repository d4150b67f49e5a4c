using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Wharf.Core;
using Wharf.Core.Errors;
using Wharf.Core.Git;
using Wharf.Core.Keys;
using Wharf.Ssh.Keys;

namespace Wharf.Server.Tests;

/// <summary>
/// Hostile text (control characters, line breaks, escape sequences, odd Unicode, very long strings) through every
/// name and label rule on every front end. Each input is either accepted and stored exactly (after the documented
/// trimming) as a string without control characters, or refused with a known code or message and nothing stored.
/// The inputs come from a seeded generator (<see cref="HostileStrings"/>): a failure names the seed and the input.
/// </summary>
public sealed class HostileTextTests : WebPageTestBase
{
    private const string Escapes = "evil\u001b]0;PWNED\u0007\u001b[2K\u001b[1Gfake-line";

    private async Task<string> TokenAsync(string user) =>
        (await Host.Data.RunAsync("admin", "token", "create", user)).Out.TrimEnd('\n').Split('\n')[^1];

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string token, HttpContent? content = null)
    {
        using var http = new HttpClient { BaseAddress = Host.BaseAddress };
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static string? CodeOf(JsonElement body) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out var e) ? e.GetProperty("code").GetString() : null;

    /// <summary>A path segment as a client puts it on the wire: every byte of its UTF-8 outside the unreserved set percent-encoded.</summary>
    private static string Segment(string s)
    {
        var sb = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(s))
            if (b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)'_' or (byte)'~')
                sb.Append((char)b);
            else sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    /// <summary>What a form or URL carries of a string: its UTF-8, in which half a surrogate pair becomes U+FFFD.</summary>
    private static string OnTheWire(string s) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(s));

    private static void AssertClean(string? stored, string input) =>
        Assert.False(stored is not null && Display.HasUnsafe(stored), $"stored {JsonSerializer.Serialize(stored)} for input {HostileStrings.Show(input)}");

    /// <summary>What the CLI printed: nothing but its own line breaks and column tabs may be control characters.</summary>
    private static void AssertPrintable(string output, string input)
    {
        foreach (var line in output.Split('\n'))
            Assert.False(Display.HasUnsafe(line.Replace("\t", "", StringComparison.Ordinal)),
                $"printed {JsonSerializer.Serialize(output)} for input {HostileStrings.Show(input)}");
    }

    [Fact]
    public void Names_and_labels_accept_exactly_the_clean_strings_their_rules_describe()
    {
        foreach (var s in HostileStrings.Generate(3000))
        {
            // The rule of Names, written out by hand: no regular expression, so no '$' that matches before a final "\n".
            bool Expected(int max) => s.Length is > 0 && s.Length <= max && char.IsAsciiLetterOrDigit(s[0])
                && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')
                && !s.Contains("..", StringComparison.Ordinal) && !s.EndsWith(".git", StringComparison.OrdinalIgnoreCase) && !s.EndsWith('.');
            Assert.True(Expected(Names.MaxUserNameLength) == Names.IsValidUserName(s), $"user name {HostileStrings.Show(s)}");
            Assert.True(Expected(Names.MaxRepositoryNameLength) == Names.IsValidRepositoryName(s), $"repository name {HostileStrings.Show(s)}");
            // One trailing ".git" is dropped first, as in a clone URL.
            var repo = s.EndsWith(".git", StringComparison.Ordinal) ? s[..^4] : s;
            Assert.True(RepositoryNameParses(s) == Names.IsValidRepositoryName(repo), $"alice/{HostileStrings.Show(s)}");

            try
            {
                Assert.Equal(s, SshKeyService.ValidateLabel(s));
                AssertClean(s, s);
                Assert.True(s.Length <= SshKeyService.MaxLabelLength);
            }
            catch (WharfException e)
            {
                Assert.Contains(e.Code, new[] { KeyErrors.LabelInvalid, KeyErrors.LabelTooLong });
            }

            // A key comment is cleaned, never refused, and what is left is a valid label.
            var key = SshPublicKey.ParseOpenSsh(TestKeys.Ed25519(null));
            var comment = SshKeyService.StoredComment(key.WithComment(s));
            AssertClean(comment, s);
            if (comment is not null) Assert.Equal(comment, SshKeyService.ValidateLabel(comment));
            AssertClean(SshKeyService.ChooseLabel(null, key.WithComment(s)), s);
        }
    }

    private static bool RepositoryNameParses(string s) => Core.Repositories.RepositoryName.TryParse("alice/" + s, out _);

    [Theory]
    [InlineData("site\n")]
    [InlineData("x.git\n")]
    [InlineData("site.\n")]
    [InlineData("site\r\n")]
    public void A_name_with_a_final_line_break_is_invalid(string name)
    {
        // Before: '$' matched before the final "\n", so these were valid, and the '.git' and '.' suffix rules were bypassed.
        Assert.False(Names.IsValidUserName(name));
        Assert.False(Names.IsValidRepositoryName(name));
        Assert.False(Core.Repositories.RepositoryName.TryParse("alice/" + name, out _));
    }

    [Fact]
    public void A_git_protocol_value_with_a_final_line_break_is_not_passed_to_git()
    {
        Assert.True(GitProcessRunner.IsAcceptedGitProtocol("version=2"));
        Assert.False(GitProcessRunner.IsAcceptedGitProtocol("version=2\n"));
    }

    [Fact]
    public async Task Creating_a_repository_named_with_a_final_line_break_is_refused_through_the_api_and_nothing_is_created()
    {
        using var alice = await SignUpAsync("alice");
        var token = await TokenAsync("alice");
        // Before: 200 with "full_name": "alice/site\n" and a directory "site\n.git".
        var (status, body) = await SendAsync(HttpMethod.Post, "/2.0/repositories/alice/site%0A", token);
        Assert.Equal((HttpStatusCode.BadRequest, "repository-name-invalid",
                "Invalid repository name 'site?': use 1 to 100 letters, digits, '-', '_' or '.', starting with a letter or digit, not ending in '.git'."),
            (status, CodeOf(body), body.GetProperty("error").GetProperty("message").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, "/2.0/repositories/alice/x.git%0A", token)).Status);
        Assert.Equal(0, await Host.Data.CountAsync(db => db.Repositories));
        Assert.False(Directory.Exists(Path.Combine(Host.Data.Paths.DataDirectory, "repositories", "alice")) &&
            Directory.EnumerateFileSystemEntries(Path.Combine(Host.Data.Paths.DataDirectory, "repositories", "alice")).Any());
    }

    [Fact]
    public async Task A_key_comment_with_escape_sequences_is_stored_without_them_and_never_reaches_the_admins_terminal()
    {
        using var mallory = await SignUpAsync("mallory");
        var token = await TokenAsync("mallory");
        var key = TestKeys.Ed25519(null) + " " + Escapes;
        var added = await SendAsync(HttpMethod.Post, "/2.0/users/mallory/ssh-keys", token, JsonContent.Create(new { key }));
        Assert.Equal(HttpStatusCode.Created, added.Status);
        // Before: the comment kept ESC and BEL, and an empty relabel made it the label that 'admin key list' printed raw.
        const string Cleaned = "evil ]0;PWNED  [2K [1Gfake-line";
        Assert.Equal((Cleaned, Cleaned), (added.Body.GetProperty("comment").GetString(), added.Body.GetProperty("label").GetString()));
        var id = Uri.EscapeDataString(added.Body.GetProperty("uuid").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, $"/2.0/users/mallory/ssh-keys/{id}", token, JsonContent.Create(new { label = "laptop" }))).Status);
        Assert.Equal("label-empty", CodeOf((await SendAsync(HttpMethod.Put, $"/2.0/users/mallory/ssh-keys/{id}", token, JsonContent.Create(new { label = "" }))).Body));
        Assert.Equal("label-invalid", CodeOf((await SendAsync(HttpMethod.Put, $"/2.0/users/mallory/ssh-keys/{id}", token, JsonContent.Create(new { label = Escapes }))).Body));
        // Half a surrogate pair, escaped in JSON, is not a string .NET can store: refused as malformed.
        Assert.Equal("body-invalid-json", CodeOf((await SendAsync(HttpMethod.Put, $"/2.0/users/mallory/ssh-keys/{id}", token,
            new StringContent("{\"label\": \"a\\ud800\"}", Encoding.UTF8, "application/json"))).Body));

        await using (var db = Host.Data.OpenDatabase())
        {
            // An anonymous type, not a tuple: Npgsql cannot read a record into a ValueTuple.
            var stored = await db.SshKeys.Select(k => new { k.Label, k.Comment }).SingleAsync();
            Assert.Equal(("laptop", Cleaned), (stored.Label, stored.Comment));
        }
        var list = await Host.Data.RunAsync("admin", "key", "list", "mallory");
        Assert.Equal(0, list.ExitCode);
        Assert.StartsWith("laptop\tssh-ed25519\t256\t", list.Out);
        AssertPrintable(list.Out, Escapes);
    }

    [Fact]
    public async Task The_cli_replaces_control_characters_in_what_it_prints_even_from_rows_stored_before_the_rules()
    {
        using var alice = await SignUpAsync("alice");
        await Host.Data.PipeAsync(TestKeys.Ed25519(), "admin", "key", "add", "alice", "--label", "laptop");
        Assert.Equal(0, (await Host.Data.RunAsync("admin", "repo", "create", "alice/site")).ExitCode);
        await using (var db = Host.Data.OpenDatabase())
        {
            // Rows as an older Wharf could have stored them.
            await db.SshKeys.ExecuteUpdateAsync(s => s.SetProperty(k => k.Label, Escapes));
            await db.Repositories.ExecuteUpdateAsync(s => s.SetProperty(r => r.Name, "site\n\tgit\tpublic\u001b[2K"));
        }
        // Before: ESC, BEL and the line break reached the terminal as they are.
        var keys = await Host.Data.RunAsync("admin", "key", "list", "alice");
        Assert.StartsWith("evil?]0;PWNED??[2K?[1Gfake-line\tssh-ed25519\t256\t", keys.Out);
        var repos = await Host.Data.RunAsync("admin", "repo", "list");
        Assert.Equal("alice/site??git?public?[2K\tgit\tprivate\tnever\n", repos.Out);
    }

    [Fact]
    public async Task Random_names_and_labels_through_the_api_are_stored_clean_or_refused_with_a_code()
    {
        using var alice = await SignUpAsync("alice");
        var token = await TokenAsync("alice");
        await CreateAsync(alice, "site");
        var keyText = TestKeys.Ed25519("alice@laptop");
        var key = await SendAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", token, JsonContent.Create(new { key = keyText, label = "first" }));
        var keyPath = "/2.0/users/alice/ssh-keys/" + Uri.EscapeDataString(key.Body.GetProperty("uuid").GetString()!);
        var deploy = await SendAsync(HttpMethod.Post, "/2.0/repositories/alice/site/deploy-keys", token, JsonContent.Create(new { key = TestKeys.Ed25519("ci"), label = "CI" }));
        var deployPath = $"/2.0/repositories/alice/site/deploy-keys/{deploy.Body.GetProperty("id").GetInt64()}";
        string[] labelCodes = [KeyErrors.LabelInvalid, KeyErrors.LabelTooLong, KeyErrors.LabelEmpty, KeyErrors.LabelDuplicate];

        foreach (var input in HostileStrings.Generate(120))
        {
            // JSON and URLs carry UTF-8, so half a surrogate pair arrives as U+FFFD (a raw "\ud800" escape: see below).
            var s = OnTheWire(input);
            // Repository names in the URL. Dot segments and the empty string are resolved by every HTTP client before sending.
            if (s.Trim('.').Length > 0)
            {
                var before = await Host.Data.CountAsync(db => db.Repositories);
                var created = await SendAsync(HttpMethod.Post, "/2.0/repositories/alice/" + Segment(s), token);
                if (created.Status == HttpStatusCode.OK)
                {
                    Assert.Equal(s, created.Body.GetProperty("name").GetString());
                    AssertClean(s, s);
                    Assert.Equal(before + 1, await Host.Data.CountAsync(db => db.Repositories));
                }
                else
                {
                    // Kestrel itself refuses a NUL in the path (400, no body), before any of Wharf runs.
                    Assert.True(CodeOf(created.Body) is "repository-name-invalid" or "repository-exists" || (s.Contains('\0') && created.Status == HttpStatusCode.BadRequest),
                        $"{created.Status} {CodeOf(created.Body)} for {HostileStrings.Show(s)}");
                    Assert.Equal(before, await Host.Data.CountAsync(db => db.Repositories));
                }
            }

            // A new key's label, and its comment.
            var keysBefore = await Host.Data.CountAsync(db => db.SshKeys);
            foreach (var (body, label) in new[] { (new { key = TestKeys.Ed25519("c"), label = s }, (string?)s), (new { key = TestKeys.Ed25519(null) + " " + s, label = "" }, null) })
            {
                var added = await SendAsync(HttpMethod.Post, "/2.0/users/alice/ssh-keys", token, JsonContent.Create(body));
                if (added.Status == HttpStatusCode.Created)
                {
                    var stored = added.Body.GetProperty("label").GetString();
                    if (label is not null && label.Trim().Length > 0) Assert.Equal(label.Trim(), stored);
                    AssertClean(stored, s);
                    AssertClean(added.Body.GetProperty("comment").GetString(), s);
                    Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, "/2.0/users/alice/ssh-keys/" +
                        Uri.EscapeDataString(added.Body.GetProperty("uuid").GetString()!), token)).Status);
                }
                else
                {
                    var code = CodeOf(added.Body);
                    Assert.True(code is not null && (labelCodes.Contains(code) || code.StartsWith("key-", StringComparison.Ordinal)),
                        $"{added.Status} {code} for {HostileStrings.Show(s)}");
                }
                Assert.Equal(keysBefore, await Host.Data.CountAsync(db => db.SshKeys));
            }

            // Relabelling an account key and an access key.
            foreach (var path in new[] { keyPath, deployPath })
            {
                var put = await SendAsync(HttpMethod.Put, path, token, JsonContent.Create(new { label = s }));
                await using var db = Host.Data.OpenDatabase();
                var now = path == keyPath ? await db.SshKeys.Select(k => k.Label).SingleAsync() : await db.RepositoryAccessKeys.Select(k => k.Label).SingleAsync();
                if (put.Status == HttpStatusCode.OK) Assert.Equal(s.Trim(), now);
                else Assert.True(CodeOf(put.Body) is { } code && (labelCodes.Contains(code) || code == "access-key-label-duplicate"),
                    $"{put.Status} {CodeOf(put.Body)} for {HostileStrings.Show(s)}");
                AssertClean(now, s);
            }
        }
    }

    [Fact]
    public async Task Random_names_and_labels_through_the_web_forms_are_stored_clean_or_refused_with_a_message()
    {
        using var alice = await SignUpAsync("alice");
        await CreateAsync(alice, "site");
        Assert.Equal(HttpStatusCode.Redirect, (await alice.PostFormAsync("/account/ssh-keys", "/account/ssh-keys", ("label", "first"), ("key", TestKeys.Ed25519()))).StatusCode);
        await alice.PostFormAsync("/alice/site/settings/access-keys", "/alice/site/settings/access-keys", ("label", "CI"), ("key", TestKeys.Ed25519("ci")));
        Guid keyId;
        long accessId;
        await using (var db = Host.Data.OpenDatabase())
            (keyId, accessId) = (await db.SshKeys.Select(k => k.Uuid).SingleAsync(), await db.RepositoryAccessKeys.Select(k => k.Id).SingleAsync());

        var i = 0;
        foreach (var input in HostileStrings.Generate(60))
        {
            // A form carries UTF-8, so half a surrogate pair arrives as U+FFFD. ASP.NET's form reader refuses a NUL in
            // any field with a bare 400 before the page's code runs: refused all the same, nothing stored.
            var s = OnTheWire(input);
            // Sign-up (a fresh browser each time: signing up signs in).
            if (i++ % 3 == 0)
            {
                var users = await Host.Data.CountAsync(db => db.Users);
                using var visitor = new WebSession(Host.BaseAddress);
                var signUp = await visitor.PostFormAsync("/signup", "/signup", ("username", s), ("email", $"v{i}@example.org"), ("password", WebSession.Password));
                await using var db = Host.Data.OpenDatabase();
                if (signUp.StatusCode == HttpStatusCode.Redirect)
                    Assert.True(await db.Users.AnyAsync(u => u.Name == s.Trim()), $"user {HostileStrings.Show(input)}");
                else
                {
                    Assert.Equal(HttpStatusCode.BadRequest, signUp.StatusCode);
                    if (!s.Contains('\0')) Assert.Contains("<p class=\"field-error\" id=\"username-error\">", await signUp.Content.ReadAsStringAsync());
                    Assert.Equal(users, await db.Users.CountAsync());
                }
                Assert.All(await db.Users.Select(u => u.Name).ToListAsync(), n => AssertClean(n, input));
            }

            // New repository.
            var repos = await Host.Data.CountAsync(db => db.Repositories);
            var created = await CreateAsync(alice, s);
            if (created.StatusCode == HttpStatusCode.Redirect)
                Assert.NotNull(await StoredAsync(Names.Lower(s.Trim())));
            else
            {
                Assert.Equal(HttpStatusCode.BadRequest, created.StatusCode);
                Assert.Equal(repos, await Host.Data.CountAsync(db => db.Repositories));
            }

            // Relabelling an account key and an access key.
            foreach (var (page, path) in new[] { ("/account/ssh-keys", $"/account/ssh-keys/{keyId:D}/label"), ("/alice/site/settings/access-keys", $"/alice/site/settings/access-keys/{accessId}/label") })
            {
                var relabelled = await alice.PostFormAsync(page, path, ("label", s));
                await using var db = Host.Data.OpenDatabase();
                var now = page == "/account/ssh-keys" ? await db.SshKeys.Select(k => k.Label).SingleAsync() : await db.RepositoryAccessKeys.Select(k => k.Label).SingleAsync();
                if (relabelled.StatusCode == HttpStatusCode.Redirect) Assert.Equal(s.Trim(), now);
                else
                {
                    var html = await relabelled.Content.ReadAsStringAsync();
                    // Both pages show the refusal beside the key's label field.
                    var error = page == "/account/ssh-keys" ? $"<p class=\"field-error\" id=\"label-{keyId:D}-error\">" : $"<p class=\"field-error\" id=\"label-{accessId}-error\">";
                    Assert.True(relabelled.StatusCode == HttpStatusCode.BadRequest
                            && (html.Contains(error, StringComparison.Ordinal) || s.Contains('\0')),
                        $"{path}: {relabelled.StatusCode} {html[..Math.Min(html.Length, 300)]} for {HostileStrings.Show(input)}");
                }
                AssertClean(now, input);
            }
        }
        await using (var db = Host.Data.OpenDatabase())
            Assert.All(await db.Repositories.Select(r => r.Name).ToListAsync(), n => AssertClean(n, n));
    }

    [Fact]
    public async Task Random_names_and_labels_through_the_cli_are_stored_clean_or_refused_with_a_message()
    {
        Assert.Equal(0, (await Host.Data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org")).ExitCode);
        Assert.Equal(0, (await Host.Data.PipeAsync(TestKeys.Ed25519(), "admin", "key", "add", "alice", "--label", "first")).ExitCode);
        Assert.Equal(0, (await Host.Data.RunAsync("admin", "repo", "create", "alice/site")).ExitCode);
        var label = "first";
        var i = 0;
        foreach (var s in HostileStrings.Generate(80))
        {
            i++;
            async Task<TestData.Result> Run(string what, Func<Task<TestData.Result>> run, Func<Task<int>> count)
            {
                var before = await count();
                var r = await run();
                AssertPrintable(r.Out, s);
                AssertPrintable(r.Error, s);
                if (r.ExitCode != 0)
                {
                    Assert.True(r.ExitCode is 2 or 4 && r.Error.StartsWith("wharf: ", StringComparison.Ordinal) && r.Out.Length == 0,
                        $"{what}: exit {r.ExitCode}, {JsonSerializer.Serialize(r.Error)} for {HostileStrings.Show(s)}");
                    Assert.Equal(before, await count());
                }
                return r;
            }

            var user = await Run("user create", () => Host.Data.RunAsync("admin", "user", "create", s, "--email", $"u{i}@example.org"),
                () => Host.Data.CountAsync(db => db.Users));
            if (user.ExitCode == 0) Assert.Equal(1, await Host.Data.CountAsync(db => db.Users.Where(u => u.Name == s)));

            var repo = await Run("repo create", () => Host.Data.RunAsync("admin", "repo", "create", "alice/" + s), () => Host.Data.CountAsync(db => db.Repositories));
            // One trailing ".git" is dropped, as in a clone URL.
            var repoName = s.EndsWith(".git", StringComparison.Ordinal) ? s[..^4] : s;
            if (repo.ExitCode == 0) Assert.Equal(1, await Host.Data.CountAsync(db => db.Repositories.Where(r => r.Name == repoName)));

            var relabel = await Run("key label", () => Host.Data.RunAsync("admin", "key", "label", "alice", "--label", label, "--to", s), () => Task.FromResult(1));
            await using (var db = Host.Data.OpenDatabase())
            {
                var now = await db.SshKeys.Select(k => k.Label).SingleAsync();
                Assert.Equal(relabel.ExitCode == 0 ? s.Trim() : label, now);
                label = now;
            }

            var token = await Run("token create", () => Host.Data.RunAsync("admin", "token", "create", "alice", "--name", s), () => Host.Data.CountAsync(db => db.ApiTokens));
            if (token.ExitCode == 0) Assert.True(await Host.Data.CountAsync(db => db.ApiTokens.Where(t => t.Name == (string.IsNullOrWhiteSpace(s) ? "token" : s.Trim()))) >= 1);

            var access = await Run("access-key add", () => Host.Data.PipeAsync(TestKeys.Ed25519("ci"), "admin", "repo", "access-key", "add", "alice/site", "--label", s),
                () => Host.Data.CountAsync(db => db.RepositoryAccessKeys));
            if (access.ExitCode == 0)
                Assert.True(await Host.Data.CountAsync(db => db.RepositoryAccessKeys.Where(k => k.Label == (s.Trim().Length == 0 ? "ci" : s.Trim()))) >= 1);
        }
        await using (var db = Host.Data.OpenDatabase())
        {
            foreach (var n in await db.Users.Select(u => u.Name).ToListAsync()) AssertClean(n, n);
            foreach (var n in await db.Repositories.Select(r => r.Name).ToListAsync()) AssertClean(n, n);
            foreach (var n in await db.ApiTokens.Select(t => t.Name).ToListAsync()) AssertClean(n, n);
            foreach (var n in await db.RepositoryAccessKeys.Select(k => k.Label).ToListAsync()) AssertClean(n, n);
        }
    }
}

/// <summary>
/// Seeded random strings for the tests above: valid-looking names, the same with a hostile tail, mixes of
/// control characters, escape sequences, line and paragraph separators, bidirectional overrides, emoji, halves
/// of surrogate pairs, path characters and quotes, very long runs, and random code units.
/// </summary>
internal static class HostileStrings
{
    public const int Seed = 20261205;

    private static readonly string[] Pieces =
    [
        "a", "Z", "0", "site", "alice", ".", "-", "_", "..", ".git", " ", "\t", "\n", "\r", "\r\n", "\0", "\u001b[2K", "\u001b]0;PWNED\u0007",
        "\u007f", "\u0085", "\u009b", "\u2028", "\u2029", "\u202e", "\ufeff", "é", "中", "😀", "\ud800", "\udc00", "/", "\\", "'", "\"", "<b>",
        "%0A", "%", "?", "#", " x ", "\u00a0",
    ];

    public static IEnumerable<string> Generate(int count)
    {
        var random = new Random(Seed);
        string Alnum(int length) => new([.. Enumerable.Range(0, length).Select(_ => "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[random.Next(62)])]);
        string Piece() => Pieces[random.Next(Pieces.Length)];
        for (var i = 0; i < count; i++)
            yield return (i % 6) switch
            {
                0 => Alnum(random.Next(4, 12)),
                1 => Alnum(random.Next(4, 12)) + Piece(),
                2 => string.Concat(Enumerable.Range(0, random.Next(1, 7)).Select(_ => Piece())),
                3 => new string('x', random.Next(35, 300)) + (random.Next(2) == 0 ? Piece() : ""),
                4 => new string([.. Enumerable.Range(0, random.Next(1, 20)).Select(_ => (char)random.Next(0, 0x10000))]),
                _ => Piece() + Alnum(random.Next(1, 8)) + Piece(),
            };
    }

    /// <summary>An input as a failure message shows it: JSON-escaped, with the seed that makes it again.</summary>
    public static string Show(string s) => $"{JsonSerializer.Serialize(s)} (seed {Seed})";
}
