namespace Wharf.Server.Tests;

/// <summary><c>wharf admin backup --to FILE</c>: a copy that can be restored, taken while <c>serve</c> runs.</summary>
public sealed class BackupCommandTests : IDisposable
{
    private readonly TestData _data = new(sqlite: true); // what only SQLite has: SQLite in both runs
    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task OnPostgreSqlTheBackupCommandPointsToPgDumpAndWritesNothing()
    {
        var file = Path.Combine(_data.Root, "wharf-backup.db");
        // Nothing listens on port 1: the refusal must come before any connection, and never show the password.
        var r = await _data.RunAsync("admin", "backup", "--to", file, "--database", "postgres://wharf:s3cret@127.0.0.1:1/wharf");
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("wharf: wharf admin backup copies the SQLite database; this Wharf uses ", r.Error);
        Assert.EndsWith(". Back it up with pg_dump (docs/OPERATIONS.md, Backups).\n", r.Error);
        Assert.DoesNotContain("s3cret", r.Error);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task ABackupTakenWhileServingRestoresWithTheAccountsAndKeys()
    {
        var key = TestKeys.Ed25519("alice@laptop");
        await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org");
        await _data.PipeAsync(key, "admin", "key", "add", "alice", "--label", "laptop");
        var file = Path.Combine(_data.Root, "wharf-backup.db");

        TestData.Result backup;
        await using (var serve = await InProcessServe.StartAsync(_data))
        {
            backup = await _data.RunAsync("admin", "backup", "--to", file);
            // Written after the backup: must not be in it.
            await _data.RunAsync("admin", "user", "create", "bob", "--email", "bob@example.org");
        }

        Assert.Equal(0, backup.ExitCode);
        Assert.Equal("", backup.Error);
        Assert.Equal($"Backed up {_data.Paths.Database} to {file} ({new FileInfo(file).Length} bytes).\n", backup.Out);
        Assert.Empty(Directory.GetFiles(_data.Root, ".wharf-backup.db.partial-*"));

        // Restore: the backup becomes the database of a fresh data directory.
        using var restored = new TestData(sqlite: true);
        Directory.CreateDirectory(restored.Paths.DataDirectory);
        File.Copy(file, restored.Paths.Database);
        var keys = await restored.RunAsync("admin", "key", "list", "alice");
        Assert.Equal(0, keys.ExitCode);
        Assert.StartsWith("laptop\tssh-ed25519\t256\t" + TestKeys.Fingerprint(key) + "\t", keys.Out);
        var bob = await restored.RunAsync("admin", "key", "list", "bob");
        Assert.Equal((3, ""), (bob.ExitCode, bob.Out));
    }

    [Fact]
    public async Task AnExistingFileIsNeverOverwritten()
    {
        await _data.RunAsync("admin", "user", "create", "alice", "--email", "alice@example.org");
        var file = Path.Combine(_data.Root, "taken.db");
        await File.WriteAllTextAsync(file, "keep me");

        var r = await _data.RunAsync("admin", "backup", "--to", file);

        Assert.Equal((4, "", $"wharf: {file} already exists; choose a new file name.\n"), (r.ExitCode, r.Out, r.Error));
        Assert.Equal("keep me", await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task ADataDirectoryWithoutADatabaseIsNotFound()
    {
        var r = await _data.RunAsync("admin", "backup", "--to", Path.Combine(_data.Root, "b.db"));

        Assert.Equal((3, $"wharf: No database at {_data.Paths.Database}.\n"), (r.ExitCode, r.Error));
        Assert.False(File.Exists(Path.Combine(_data.Root, "b.db")));
    }
}
