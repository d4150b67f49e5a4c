using Npgsql;

namespace Wharf.Interop.Tests.Infrastructure;

/// <summary>
/// Two `wharf serve` nodes on different ports sharing one data directory (repositories and host keys) and
/// one PostgreSQL database: a fresh database on the server that <c>WHARF_TEST_POSTGRES</c> names
/// (postgres://USER:PASSWORD@HOST:PORT/DB, a user that may create databases; scripts/test.sh starts a private
/// server and sets it). Without the variable the fixture fails: these tests are never skipped. The first node
/// is the inherited <see cref="WharfServer"/> (<see cref="WharfServer.SshPort"/>); the second starts once the
/// first has created the schema, the host keys and the accounts.
/// </summary>
public class WharfCluster : WharfServer
{
    public const string ServerVariable = "WHARF_TEST_POSTGRES";

    private readonly string databaseName = "wharf_interop_" + Guid.NewGuid().ToString("N");
    private string databaseUrl = "";

    protected override IReadOnlyList<string> DatabaseArguments => ["--database", databaseUrl];

    /// <summary>The second node's name in <see cref="WharfServer.StderrLines(string)"/>.</summary>
    public const string SecondNode = "node 2";

    public int SecondSshPort { get; private set; }

    public Uri SecondHttpAddress { get; private set; } = null!;

    private static Uri PostgresServer()
    {
        var url = Environment.GetEnvironmentVariable(ServerVariable);
        return string.IsNullOrWhiteSpace(url)
            ? throw new InvalidOperationException(
                $"{ServerVariable} is not set: the several-nodes tests need a PostgreSQL server. scripts/test.sh starts a private " +
                "one; by hand: eval \"$(scripts/postgres-test-server.sh start /tmp/wharf-pg)\" (and stop it with the same DIR).")
            : new Uri(url);
    }

    public override async Task InitializeAsync()
    {
        databaseUrl = new UriBuilder(PostgresServer()) { Path = "/" + databaseName, Query = "" }.Uri.AbsoluteUri;
        await base.InitializeAsync();
        var (port, url) = await StartNodeAsync(SecondNode);
        (SecondSshPort, SecondHttpAddress) = (port, new Uri(url));
    }

    /// <summary>The nodes' database, to read what they stored; the caller disposes it.</summary>
    public Wharf.Data.WharfDbContext OpenDatabase() =>
        Wharf.Data.WharfDatabase.Open(Wharf.Data.DatabaseTarget.Postgres(Wharf.Data.PostgresConnection.Parse(databaseUrl, ServerVariable)),
            new Wharf.Core.WharfPaths(DataDirectory));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        var server = Wharf.Data.PostgresConnection.Parse(PostgresServer().AbsoluteUri, ServerVariable);
        server.Pooling = false;
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{databaseName}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
