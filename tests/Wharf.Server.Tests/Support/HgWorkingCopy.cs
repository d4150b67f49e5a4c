using System.Diagnostics;
using System.Text;

namespace Wharf.Server.Tests.Support;

/// <summary>
/// A Mercurial repository with a working copy, made by the real <c>hg</c> for tests: files written, changesets
/// committed with fixed users and dates (so hashes are the same on every run), and anything else hg can do.
/// Runs hg as Wharf does: no user or system configuration, <c>HGPLAIN=1</c>.
/// </summary>
public sealed class HgWorkingCopy : IDisposable
{
    public const string User = "Alice Example <alice@example.org>";

    public HgWorkingCopy(string? directory = null)
    {
        Directory = directory ?? Path.Combine(Path.GetTempPath(), "wharf-hg-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Hg("init");
    }

    public string Directory { get; }

    /// <summary>Runs hg in the working copy; fails the test unless it exits 0.</summary>
    public string Hg(params string[] arguments)
    {
        var (status, stdout, stderr) = TryHg(arguments);
        Assert.True(status == 0, $"hg {string.Join(' ', arguments)} failed with exit code {status}: {stderr}");
        return stdout;
    }

    /// <summary>Runs hg in the working copy: its exit status and both outputs.</summary>
    public (int Status, string Stdout, string Stderr) TryHg(params string[] arguments)
    {
        var psi = new ProcessStartInfo("hg")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = Directory,
        };
        foreach (var name in psi.Environment.Keys.Where(k => k.StartsWith("HG", StringComparison.Ordinal)).ToList()) psi.Environment.Remove(name);
        psi.Environment["HGPLAIN"] = "1";
        psi.Environment["HGRCPATH"] = "";
        psi.Environment["HGENCODING"] = "utf-8";
        psi.Environment["HGUSER"] = User;
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, stderr.Result);
    }

    public HgWorkingCopy Write(string path, string text) => Write(path, Encoding.UTF8.GetBytes(text));

    public HgWorkingCopy Write(string path, byte[] bytes)
    {
        var full = Path.Combine(Directory, path);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
        return this;
    }

    /// <summary>Commits everything (added and removed files too) at <paramref name="date"/> (hg's "SECONDS OFFSET-WEST"); the new changeset's hash.</summary>
    public string Commit(string message, string date = "1700000000 0")
    {
        Hg("commit", "-A", "-q", "-m", message, "-d", date);
        return Node(".");
    }

    /// <summary>The full hash of a revision (a name Mercurial resolves itself, for the test's own bookkeeping).</summary>
    public string Node(string revision) => Hg("log", "-r", revision, "-T", "{node}");

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
