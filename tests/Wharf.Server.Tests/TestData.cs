using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Wharf.Core;
using Wharf.Data;
using Wharf.Server.Cli;

namespace Wharf.Server.Tests;

/// <summary>
/// A fresh data directory and database per test (SQLite, or PostgreSQL: see <see cref="TestDatabase"/>), and a
/// way to run <c>wharf</c> commands on them in-process.
/// </summary>
public sealed class TestData : IDisposable
{
    private readonly TestDatabase _database;

    /// <param name="sqlite">For tests of what only SQLite has (the backup of its file, its query plans): SQLite in both runs.</param>
    public TestData(bool sqlite = false)
    {
        _database = sqlite ? TestDatabase.Sqlite() : TestDatabase.Create();
        Root = Path.Combine(Path.GetTempPath(), "wharf-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Paths = new WharfPaths(Path.Combine(Root, "data"));
    }

    public string Root { get; }
    public WharfPaths Paths { get; }
    public DatabaseTarget Database => _database.Target;
    public bool IsPostgres => Database.Provider == DatabaseProvider.Postgres;

    /// <summary><c>--data DIR</c>, and <c>--database URL</c> on PostgreSQL: what every command of this test is given.</summary>
    public string[] DataOptions => _database.Url is { } url
        ? ["--data", Paths.DataDirectory, "--database", url]
        : ["--data", Paths.DataDirectory];

    public sealed record Result(int ExitCode, string Out, string Error);

    /// <summary>Runs <c>wharf ARGS --data DIR [--database URL]</c> with <paramref name="stdin"/> as standard input.</summary>
    public Task<Result> PipeAsync(string stdin, params string[] args)
    {
        // --data goes before a "--" so that it stays an option; a test that names its own --database keeps it.
        var split = Array.IndexOf(args, "--") is var i and >= 0 ? i : args.Length;
        var options = args[..split].Any(a => a == "--database" || a.StartsWith("--database=", StringComparison.Ordinal))
            ? ["--data", Paths.DataDirectory] : DataOptions;
        return RunCliAsync(stdin, _ => null, [.. args[..split], .. options, .. args[split..]]);
    }

    public Task<Result> RunAsync(params string[] args) => PipeAsync("", args);

    /// <summary>Runs exactly <c>wharf ARGV</c> (no options added) with these environment variables.</summary>
    public Task<Result> RunExactlyAsync(IReadOnlyDictionary<string, string> environment, params string[] argv) =>
        RunCliAsync("", name => environment.GetValueOrDefault(name), argv);

    private static async Task<Result> RunCliAsync(string stdin, Func<string, string?> environment, string[] argv)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        var console = new CliContext(new StringReader(stdin), output, error, environment);
        var code = await new CliApp(WharfCommands.All).RunAsync(argv, console, CancellationToken.None);
        return new Result(code, output.ToString(), error.ToString());
    }

    public WharfDbContext OpenDatabase() => WharfDatabase.Open(Database, Paths);

    public async Task<int> CountAsync<T>(Func<WharfDbContext, IQueryable<T>> query)
    {
        await using var db = OpenDatabase();
        return await query(db).CountAsync();
    }

    public void Dispose()
    {
        // SQLite pools connections per file; release them so the directory can go.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
        _database.Dispose();
    }
}

/// <summary>Public keys made in-process, so the CLI tests need no ssh-keygen.</summary>
public static class TestKeys
{
    public static string Ed25519(string? comment = "alice@laptop")
    {
        var point = RandomNumberGenerator.GetBytes(32);
        var blob = Concat(SshString("ssh-ed25519"u8), SshString(point));
        return $"ssh-ed25519 {Convert.ToBase64String(blob)}" + (comment is null ? "" : " " + comment);
    }

    public static string Rsa(int bits)
    {
        using var rsa = RSA.Create(bits);
        var p = rsa.ExportParameters(false);
        var blob = Concat(SshString("ssh-rsa"u8), SshMpInt(p.Exponent!), SshMpInt(p.Modulus!));
        return $"ssh-rsa {Convert.ToBase64String(blob)} rsa@test";
    }

    public static string EcdsaP256(string comment = "ecdsa@test")
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = ec.ExportParameters(false).Q;
        var blob = Concat(SshString("ecdsa-sha2-nistp256"u8), SshString("nistp256"u8), SshString([0x04, .. q.X!, .. q.Y!]));
        return $"ecdsa-sha2-nistp256 {Convert.ToBase64String(blob)} {comment}";
    }

    /// <summary>An ssh-rsa line with any modulus: a key blob carries whatever it is given.</summary>
    public static string RsaWithModulus(System.Numerics.BigInteger n)
    {
        var blob = Concat(SshString("ssh-rsa"u8), SshMpInt([0x01, 0x00, 0x01]), SshMpInt(n.ToByteArray(isUnsigned: true, isBigEndian: true)));
        return $"ssh-rsa {Convert.ToBase64String(blob)} roca@test";
    }

    /// <summary>The blob of a key line, re-wrapped as RFC 4716 (PuTTYgen's "Save public key").</summary>
    public static string Rfc4716(string line, string comment = "rsa-key-20261124")
    {
        var b64 = line.Split(' ')[1];
        var body = string.Join("\n", b64.Chunk(70).Select(c => new string(c)));
        return "---- BEGIN SSH2 PUBLIC KEY ----\nComment: \"" + comment + "\"\n" + body + "\n---- END SSH2 PUBLIC KEY ----\n";
    }

    public static string Fingerprint(string line) =>
        "SHA256:" + Convert.ToBase64String(SHA256.HashData(Convert.FromBase64String(line.Split(' ')[1]))).TrimEnd('=');

    private static byte[] SshString(ReadOnlySpan<byte> data)
    {
        var b = new byte[4 + data.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b, data.Length);
        data.CopyTo(b.AsSpan(4));
        return b;
    }

    private static byte[] SshMpInt(byte[] magnitude) =>
        SshString(magnitude[0] >= 0x80 ? [0, .. magnitude] : magnitude);

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}

/// <summary>
/// Runs git for a test's set-up and checks; a git that fails stops the test with its exit status and stderr. A new
/// repository starts on <c>main</c> (<c>init.defaultBranch</c>, as git's own hint, GitHub and Bitbucket suggest),
/// whatever the machine's git would choose.
/// </summary>
public static class Git
{
    public static string Run(string workingDirectory, params string[] args) =>
        System.Text.Encoding.UTF8.GetString(RunBinary(workingDirectory, null, args)).Trim();

    /// <summary>Runs git and fails the test unless it exits 0; returns its standard output.</summary>
    public static string Ok(string workingDirectory, params string[] args) => Run(workingDirectory, args);

    /// <summary>As <see cref="Ok"/>, with <paramref name="stdin"/> (bytes, so that a test can feed git what is not UTF-8) as standard input.</summary>
    public static string OkWithInput(string workingDirectory, byte[]? stdin, params string[] args) =>
        System.Text.Encoding.UTF8.GetString(Pipe(workingDirectory, stdin, args)).Trim();

    /// <summary>Runs git with <paramref name="stdin"/> as its standard input and returns its standard output as bytes.</summary>
    public static byte[] RunBinary(string workingDirectory, string? stdin, params string[] args) =>
        Pipe(workingDirectory, stdin is null ? null : System.Text.Encoding.UTF8.GetBytes(stdin), args);

    private static byte[] Pipe(string workingDirectory, byte[]? stdin, string[] args)
    {
        var psi = new ProcessStartInfo("git")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory,
        };
        psi.Environment["GIT_CONFIG_COUNT"] = "1";
        psi.Environment["GIT_CONFIG_KEY_0"] = "init.defaultBranch";
        psi.Environment["GIT_CONFIG_VALUE_0"] = "main";
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var error = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.BaseStream.Write(stdin);
        p.StandardInput.Close();
        using var output = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(output);
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException(
                $"git {string.Join(' ', args)} (in {workingDirectory}) exited with status {p.ExitCode}: {error.GetAwaiter().GetResult().Trim()}");
        return output.ToArray();
    }
}
