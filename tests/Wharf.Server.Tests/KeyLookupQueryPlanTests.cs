using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Wharf.Data;
using Wharf.Data.Stores;

namespace Wharf.Server.Tests;

/// <summary>
/// Login time must not grow with the number of keys (issue 6 point 4): the lookup at every SSH login is one
/// search of the unique fingerprint index, never a scan. Checked with SQLite's own plan of the exact SQL
/// the store sends; bench/key-scale.sh measures the time with a million keys.
/// </summary>
public sealed class KeyLookupQueryPlanTests : IDisposable
{
    private readonly TestData _data = new(sqlite: true); // what only SQLite has: SQLite in both runs
    public void Dispose() => _data.Dispose();

    private sealed class PlanRecorder : DbCommandInterceptor
    {
        public List<string> Plans { get; } = [];

        public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            await using var explain = command.Connection!.CreateCommand();
            explain.CommandText = "EXPLAIN QUERY PLAN " + command.CommandText;
            foreach (DbParameter p in command.Parameters)
            {
                var copy = explain.CreateParameter();
                copy.ParameterName = p.ParameterName;
                copy.Value = p.Value;
                explain.Parameters.Add(copy);
            }
            await using var reader = await explain.ExecuteReaderAsync(cancellationToken);
            var lines = new List<string>();
            while (await reader.ReadAsync(cancellationToken)) lines.Add(reader.GetString(3));
            Plans.Add(string.Join("\n", lines));
            return result;
        }
    }

    [Fact]
    public async Task TheLoginLookupSearchesTheFingerprintIndexAndScansNothing()
    {
        var key = TestKeys.Ed25519();
        await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org");
        await _data.PipeAsync(key, "admin", "key", "add", "alice");
        var recorder = new PlanRecorder();
        var options = new DbContextOptionsBuilder<SqliteWharfDbContext>();
        WharfDatabase.ConfigureSqlite(options, _data.Paths);
        options.AddInterceptors(recorder);
        await using var db = new SqliteWharfDbContext(options.Options);

        var owner = await new EfSshKeyStore(db).FindByFingerprintAsync(TestKeys.Fingerprint(key), CancellationToken.None);

        Assert.Equal("alice", owner?.UserName);
        var plan = Assert.Single(recorder.Plans);
        Assert.Contains("USING INDEX IX_ssh_keys_Fingerprint (Fingerprint=?)", plan);
        Assert.DoesNotContain("SCAN", plan);
    }
}
