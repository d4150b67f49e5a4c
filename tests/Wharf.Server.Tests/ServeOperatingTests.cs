using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Wharf.Server.Cli;
using Wharf.Server.Operations;
using Wharf.Server.Web;

namespace Wharf.Server.Tests;

/// <summary>What an operator meets: a port already taken, git or hg missing, an unexpected error in the CLI, the web and the API.</summary>
public sealed class ServeOperatingTests : IDisposable
{
    private readonly TestData _data = new();
    private readonly List<string> _directories = [];

    public void Dispose()
    {
        foreach (var d in _directories) Directory.Delete(d, recursive: true);
        _data.Dispose();
    }

    /// <summary>Runs the real <c>wharf</c> executable (as an operator would) with this environment on top of the test's own.</summary>
    private static async Task<(int ExitCode, string Out, string Error)> RunWharfAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "/usr/share/dotnet/dotnet";
        var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "wharf.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (name, value) in environment) psi.Environment[name] = value;
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>A directory to put on PATH holding only links to the named programs.</summary>
    private string PathWith(params string[] programs)
    {
        var dir = Directory.CreateTempSubdirectory("wharf-path-").FullName;
        _directories.Add(dir);
        foreach (var program in programs) File.CreateSymbolicLink(Path.Combine(dir, program), "/usr/bin/" + program);
        return dir;
    }

    [Theory]
    [InlineData("--http")]
    [InlineData("--ssh")]
    [InlineData("--ssh, the second of two")]
    [InlineData("Ssh:Listen, the second of two")]
    public async Task Serve_on_a_port_in_use_prints_one_line_without_a_stack_trace_and_exits_6(string which)
    {
        // The database exists before serve starts (on PostgreSQL, EF logs its first failed connection as an error).
        Assert.Equal(0, (await _data.RunAsync("admin", "user", "create", "ann", "--email", "ann@example.org")).ExitCode);
        using var held = new TcpListener(IPAddress.Loopback, 0);
        held.Start();
        var taken = $"127.0.0.1:{((IPEndPoint)held.LocalEndpoint).Port}";
        string[] listen = which switch
        {
            "--http" => ["--http", taken, "--ssh", "127.0.0.1:0"],
            "--ssh" => ["--http", "127.0.0.1:0", "--ssh", taken],
            "--ssh, the second of two" => ["--http", "127.0.0.1:0", "--ssh", $"127.0.0.1:0;{taken}"],
            _ => ["--http", "127.0.0.1:0"],
        };
        // Logs at Error only: what is left on stderr is what serve itself says.
        var environment = new Dictionary<string, string> { ["WHARF_Logging__LogLevel__Default"] = "Error" };
        if (which.StartsWith("Ssh:Listen", StringComparison.Ordinal)) environment["WHARF_Ssh__Listen"] = $"127.0.0.1:0;{taken}";
        var (code, _, error) = await RunWharfAsync(environment, ["serve", .. listen, .. _data.DataOptions]);

        Assert.Equal((ExitCodes.Unavailable, $"wharf: cannot listen on {taken}: address already in use\n"), (code, error));
    }

    [Theory]
    [InlineData(new[] { "hg" }, new[] { RequiredTools.GitMissing }, HttpStatusCode.ServiceUnavailable,
        """{"status":"not ready","failed":["git"],"checks":{"database":"ok","git":"not found","repositories":"ok"}}""")]
    [InlineData(new[] { "git" }, new[] { RequiredTools.HgMissing }, HttpStatusCode.OK,
        """{"status":"ready","failed":[],"checks":{"database":"ok","git":"ok","repositories":"ok"}}""")]
    [InlineData(new string[0], new[] { RequiredTools.GitMissing, RequiredTools.HgMissing }, HttpStatusCode.ServiceUnavailable,
        """{"status":"not ready","failed":["git"],"checks":{"database":"ok","git":"not found","repositories":"ok"}}""")]
    public async Task Without_git_or_hg_on_the_PATH_serve_says_so_at_start_and_readyz_needs_git(
        string[] onPath, string[] warnings, HttpStatusCode status, string readyz)
    {
        var path = PathWith(onPath);
        await using var serve = await InProcessServe.StartAsync(_data, name => name == "PATH" ? path : null);

        Assert.Equal(string.Concat(warnings.Select(w => w + "\n")), serve.Errors);
        using var http = new HttpClient();
        using var response = await http.GetAsync(serve.HttpBaseUrl + "/readyz");
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(readyz, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_unexpected_error_in_the_cli_is_one_line_and_the_stack_trace_only_with_WHARF_DEBUG()
    {
        Assert.Equal(0, (await _data.RunAsync("admin", "user", "create", "ann", "--email", "ann@example.org")).ExitCode);
        var noGit = new Dictionary<string, string> { ["PATH"] = PathWith() };

        var (code, _, error) = await RunWharfAsync(noGit, ["admin", "repo", "create", "ann/site", .. _data.DataOptions]);
        Assert.Equal(ExitCodes.InternalError, code);
        Assert.StartsWith("wharf: internal error: Could not start 'git': is git installed and on PATH? (", error);
        Assert.EndsWith($") (set {CliApp.DebugVariable}=1 to see where)\n", error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));

        var (debugCode, _, debug) = await RunWharfAsync(new Dictionary<string, string>(noGit) { [CliApp.DebugVariable] = "1" },
            ["admin", "repo", "create", "ann/site", .. _data.DataOptions]);
        Assert.Equal(ExitCodes.InternalError, debugCode);
        Assert.StartsWith("wharf: internal error: System.InvalidOperationException: Could not start 'git'", debug);
        Assert.Contains("\n   at ", debug);
        await using var db = _data.OpenDatabase();
        Assert.Equal(0, await db.Repositories.CountAsync());
    }

    [Fact]
    public async Task An_unexpected_error_answers_500_with_a_page_on_the_web_and_Bitbucket_error_JSON_on_the_API()
    {
        Assert.Equal(0, (await _data.RunAsync("admin", "user", "create", "ann", "--email", "ann@example.org")).ExitCode);
        var token = (await _data.RunAsync("admin", "token", "create", "ann")).Out.TrimEnd('\n').Split('\n')[^1];
        await using var serve = await InProcessServe.StartAsync(_data);
        using var ben = await WebSession.SignUpAsync(new Uri(serve.HttpBaseUrl), "ben");
        // A database that lost a table: nothing any endpoint expects.
        await using (var db = _data.OpenDatabase())
            await db.Database.ExecuteSqlRawAsync(_data.IsPostgres ? "DROP TABLE repositories CASCADE" : "DROP TABLE repositories");

        var page = await ben.Client.GetAsync("/repositories");
        Assert.Equal(HttpStatusCode.InternalServerError, page.StatusCode);
        Assert.Equal("text/html; charset=utf-8", page.Content.Headers.ContentType?.ToString());
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains($"<h1>{UnexpectedErrors.Title}</h1>", html);
        Assert.Contains($"<p class=\"form-error\" id=\"page-error\" role=\"alert\">{Html.E(UnexpectedErrors.Message)}</p>", html);
        Assert.DoesNotContain("Exception", html);

        using var api = new HttpClient { BaseAddress = new Uri(serve.HttpBaseUrl) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await api.GetAsync("/2.0/repositories/ann");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("error", body.RootElement.GetProperty("type").GetString());
        Assert.Equal("Something went wrong on the server; it has been logged.", body.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("internal-error", body.RootElement.GetProperty("error").GetProperty("code").GetString());
    }
}
