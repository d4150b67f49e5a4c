using Wharf.Server.Hosting;

namespace Wharf.Server.Tests;

/// <summary>
/// <c>--database</c>, <c>WHARF_DATABASE</c> and the settings: which one wins, and what a person sees when the
/// URL is wrong or the server cannot be used. None of these messages may contain the password.
/// </summary>
public sealed class DatabaseOptionTests : IDisposable
{
    private const string Password = "s3cret-Pa55";
    private const string Refused = "connection refused (is the server running, and on that port?)";
    private static readonly Dictionary<string, string> NoEnvironment = [];
    private readonly TestData _data = new();
    public void Dispose() => _data.Dispose();

    private Task<TestData.Result> CreateUserAsync(IReadOnlyDictionary<string, string> environment, params string[] options) =>
        _data.RunExactlyAsync(environment, ["admin", "user", "create", "alice", "--email", "alice@example.org", "--data", _data.Paths.DataDirectory, .. options]);

    private void WriteSettings(string json)
    {
        Directory.CreateDirectory(_data.Paths.DataDirectory);
        File.WriteAllText(Path.Combine(_data.Paths.DataDirectory, "wharf.json"), json);
    }

    [Theory]
    [InlineData("mysql://wharf:" + Password + "@db/wharf", "expected postgres://USER:PASSWORD@HOST:PORT/DATABASE")]
    [InlineData("postgres://wharf:" + Password + "@db.example/", "the URL must name one database after the host: postgres://USER:PASSWORD@HOST:PORT/DATABASE")]
    [InlineData("postgres://wharf:" + Password + "@db.example/a/b", "the URL must name one database after the host: postgres://USER:PASSWORD@HOST:PORT/DATABASE")]
    [InlineData("postgres://wharf:" + Password + "@db.example:99999/wharf", "not a URL of the form postgres://USER:PASSWORD@HOST:PORT/DATABASE")]
    [InlineData("postgres://wharf:" + Password + "@db.example/wharf?colour=blue", "unknown or invalid parameter 'colour'")]
    [InlineData("postgres://wharf@db.example/wharf?password=" + Password, "put the password in the URL's user part (postgres://USER:PASSWORD@HOST/DATABASE), not in a parameter")]
    [InlineData("Username=wharf;Password=" + Password, "the connection string names no Host")]
    [InlineData("Host=db;Password=" + Password + ";Frobnicate=1", "not a valid Npgsql connection string (Host=...;Username=...;Password=...;Database=...)")]
    public async Task ABadDatabaseUrlExits2WithItsReasonAndNeverThePassword(string url, string reason)
    {
        var r = await CreateUserAsync(NoEnvironment, "--database", url);
        Assert.Equal((2, "", $"wharf: Invalid --database: {reason}.\n"), (r.ExitCode, r.Out, r.Error));
        Assert.False(File.Exists(_data.Paths.Database));
    }

    [Fact]
    public async Task AnUnreachableServerExits6AndNamesTheDatabaseWithoutThePassword()
    {
        var r = await CreateUserAsync(NoEnvironment, "--database", $"postgres://wh%40rf:{Password}@127.0.0.1:1/wharf");
        Assert.Equal((6, "", $"wharf: Cannot use the PostgreSQL database postgres://wh%40rf@127.0.0.1:1/wharf: {Refused}.\n"),
            (r.ExitCode, r.Out, r.Error));
    }

    [Fact]
    public async Task AWrongPasswordExits6WithPostgresReasonAndNeverThePassword()
    {
        var server = TestDatabase.ServerUrl();
        var user = Uri.UnescapeDataString(server.UserInfo.Split(':')[0]);
        var url = new UriBuilder(server) { Password = Password, Path = "/wharf_never_created" }.Uri.AbsoluteUri;
        var r = await CreateUserAsync(NoEnvironment, "--database", url);
        Assert.Equal((6, $"wharf: Cannot use the PostgreSQL database postgres://{user}@{server.Host}:{server.Port}/wharf_never_created: " +
            $"password authentication failed for user \"{user}\" (SQLSTATE 28P01).\n"), (r.ExitCode, r.Error));
    }

    [Fact]
    public async Task ServeWithAnUnreachableDatabaseExits6BeforeListening()
    {
        var r = await _data.RunExactlyAsync(NoEnvironment, "serve", "--http", "127.0.0.1:0", "--ssh", "127.0.0.1:0",
            "--data", _data.Paths.DataDirectory, "--database", $"postgres://wharf:{Password}@127.0.0.1:1/wharf");
        Assert.Equal((6, ""), (r.ExitCode, r.Out));
        Assert.StartsWith($"wharf: Cannot use the PostgreSQL database postgres://wharf@127.0.0.1:1/wharf: {Refused}.", r.Error);
        Assert.DoesNotContain(Password, r.Error);
    }

    [Fact]
    public async Task TheEnvironmentVariableIsUsedWhenNoOptionIsGiven()
    {
        var r = await CreateUserAsync(new Dictionary<string, string> { [DatabaseOption.EnvironmentVariable] = $"postgres://env:{Password}@127.0.0.1:1/fromenv" });
        Assert.Equal((6, $"wharf: Cannot use the PostgreSQL database postgres://env@127.0.0.1:1/fromenv: {Refused}.\n"), (r.ExitCode, r.Error));
    }

    [Fact]
    public async Task TheOptionWinsOverTheEnvironmentVariable()
    {
        var r = await CreateUserAsync(new Dictionary<string, string> { [DatabaseOption.EnvironmentVariable] = $"postgres://env:{Password}@127.0.0.1:1/fromenv" },
            "--database", "sqlite");
        Assert.Equal((0, "Created user alice.\n"), (r.ExitCode, r.Out));
        Assert.True(File.Exists(_data.Paths.Database));
    }

    [Fact]
    public async Task TheSettingsFileCanNameAPostgresDatabase()
    {
        WriteSettings($$"""{ "Database": { "Provider": "postgres" }, "ConnectionStrings": { "Wharf": "postgres://cfg:{{Password}}@127.0.0.1:1/fromsettings" } }""");
        var r = await CreateUserAsync(NoEnvironment);
        Assert.Equal((6, $"wharf: Cannot use the PostgreSQL database postgres://cfg@127.0.0.1:1/fromsettings: {Refused}.\n"), (r.ExitCode, r.Error));
    }

    [Fact]
    public async Task TheSettingsFileTakesAnNpgsqlKeywordConnectionString()
    {
        WriteSettings($$"""{ "ConnectionStrings": { "Wharf": "Host=127.0.0.1;Port=1;Username=kw;Password={{Password}};Database=keywords" } }""");
        var r = await CreateUserAsync(NoEnvironment);
        Assert.Equal((6, $"wharf: Cannot use the PostgreSQL database postgres://kw@127.0.0.1:1/keywords: {Refused}.\n"), (r.ExitCode, r.Error));
    }

    [Theory]
    [InlineData("""{ "Database": { "Provider": "postgres" } }""",
        "Database:Provider is 'postgres' but ConnectionStrings:Wharf is not set (postgres://USER:PASSWORD@HOST:PORT/DATABASE).")]
    [InlineData("""{ "Database": { "Provider": "oracle" } }""", "Invalid Database:Provider 'oracle': expected 'sqlite' or 'postgres'.")]
    [InlineData("""{ "Database": { "Provider": "sqlite" }, "ConnectionStrings": { "Wharf": "Host=db" } }""",
        "ConnectionStrings:Wharf is for PostgreSQL; SQLite always uses wharf.db in the data directory.")]
    public async Task InconsistentDatabaseSettingsExit2(string json, string message)
    {
        WriteSettings(json);
        var r = await CreateUserAsync(NoEnvironment);
        Assert.Equal((2, $"wharf: {message}\n"), (r.ExitCode, r.Error));
    }
}
