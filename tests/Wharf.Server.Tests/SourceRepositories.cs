using System.Text;

namespace Wharf.Server.Tests;

/// <summary>
/// Repositories for the source pages and API, made by real git: a small project on <c>main</c> with a <c>trunk</c>
/// branch and tags, and a hostile one written object by object (<c>git hash-object -w</c>, <c>git mktree -z</c>,
/// <c>git commit-tree</c>) with what a page must survive.
/// </summary>
internal static class SourceRepositories
{
    public const string Readme = """
        # Demo project

        | Column | Value |
        | --- | --- |
        | one | 1 |

        - [x] done
        - [ ] to do

        See [the guide](docs/guide.md) and ![logo](img/logo.png). Visit https://example.org today.

        <script>alert(1)</script>

        <img src="x.png" onerror="alert(2)">

        [click](javascript:alert(3))

        <iframe src="https://example.org/frame"></iframe>

        ## Getting started
        [Back up](#demo-project)
        """;

    public const string AppCs = """
        using System;

        // Says hello.
        public static class App
        {
            public static string Greeting = "hello";
        }
        """;

    /// <summary>Pushes the demo project into <paramref name="bare"/>: main (with README.md), trunk, tags v1.0 (annotated) and light.</summary>
    public static void PushDemo(string scratch, string bare)
    {
        var work = Path.Combine(scratch, "demo-" + Guid.NewGuid().ToString("N")[..8]);
        Git.Ok(scratch, "init", "-q", work);
        Write(work, "README.md", Readme);
        Write(work, "src/app.cs", AppCs);
        Write(work, "docs/guide.md", "# Guide\n");
        Write(work, "page.html", "<html><script>alert(document.cookie)</script></html>\n");
        Write(work, "img/logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"></svg>\n");
        File.WriteAllBytes(Path.Combine(work, "img/logo.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 0, 1, 2, 3]);
        Git.Ok(work, "add", "-A");
        Commit(work, "First commit", "2026-01-02T03:04:05Z");
        Write(work, "src/app.cs", AppCs + "\n// more\n");
        Git.Ok(work, "add", "-A");
        Commit(work, "Change the app", "2026-02-03T04:05:06Z");
        Git.Ok(work, "tag", "-a", "v1.0", "-m", "Release 1.0");
        Git.Ok(work, "checkout", "-q", "-b", "trunk");
        Write(work, "src/trunk-only.txt", "only on trunk\n");
        Git.Ok(work, "add", "-A");
        Commit(work, "On trunk", "2026-03-04T05:06:07Z");
        Git.Ok(work, "tag", "light");
        Git.Ok(work, "push", "-q", bare, "main:main", "trunk:trunk", "refs/tags/v1.0:refs/tags/v1.0", "refs/tags/light:refs/tags/light");
    }

    /// <summary>
    /// Points <c>main</c> of <paramref name="bare"/> at a hostile commit: names with a newline and with bytes that are not
    /// UTF-8, a symlink to /etc/passwd, a submodule, a 50,000-entry directory, a 100 MB file and a 20-level deep tree.
    /// </summary>
    public static string WriteHostile(string bare)
    {
        var hello = Blob(bare, Encoding.UTF8.GetBytes("hello\n"));
        var link = Blob(bare, Encoding.UTF8.GetBytes("/etc/passwd"));
        var gitmodules = Blob(bare, Encoding.UTF8.GetBytes("[submodule \"lib\"]\n\tpath = lib\n\turl = https://example.org/lib.git\n"));
        var big = new StringBuilder();
        for (var i = 0; i < 50_000; i++) big.Append($"100644 blob {hello}\tf{i:D5}\0");
        var bigTree = Tree(bare, Encoding.UTF8.GetBytes(big.ToString()));
        var deep = Tree(bare, Encoding.UTF8.GetBytes($"100644 blob {hello}\tbottom.txt\0"));
        for (var level = 20; level >= 2; level--) deep = Tree(bare, Encoding.UTF8.GetBytes($"040000 tree {deep}\td{level}\0"));
        var huge = HugeBlob(bare);
        var root = new List<byte>();
        void Add(string mode, string type, string id, byte[] name) =>
            root.AddRange([.. Encoding.ASCII.GetBytes($"{mode} {type} {id}\t"), .. name, 0]);
        Add("100644", "blob", hello, "line\nbreak.txt"u8.ToArray());
        Add("100644", "blob", hello, [(byte)'b', (byte)'a', (byte)'d', 0xff, 0xfe, (byte)'.', (byte)'t', (byte)'x', (byte)'t']);
        Add("120000", "blob", link, "passwd-link"u8.ToArray());
        Add("160000", "commit", "1234567890abcdef1234567890abcdef12345678", "lib"u8.ToArray());
        Add("100644", "blob", gitmodules, ".gitmodules"u8.ToArray());
        Add("040000", "tree", bigTree, "big"u8.ToArray());
        Add("040000", "tree", deep, "d1"u8.ToArray());
        Add("100644", "blob", huge, "huge.bin"u8.ToArray());
        Add("100644", "blob", hello, "README"u8.ToArray());
        var tree = Tree(bare, [.. root]);
        var commit = Git.OkWithInput(bare, Encoding.UTF8.GetBytes("Hostile\n"), "-c", "user.name=Mallory", "-c", "user.email=m@example.org", "commit-tree", tree);
        Git.Ok(bare, "update-ref", "refs/heads/main", commit);
        return commit;
    }

    public const long HugeSize = 100L * 1024 * 1024;

    private static string HugeBlob(string bare)
    {
        var file = Path.Combine(bare, "huge.tmp");
        using (var f = File.Create(file))
        {
            var chunk = new byte[1024 * 1024];
            for (var i = 0; i < chunk.Length; i++) chunk[i] = (byte)('a' + i % 26);
            for (var i = 0; i < HugeSize / chunk.Length; i++) f.Write(chunk);
        }
        try { return Git.Ok(bare, "hash-object", "-w", file); }
        finally { File.Delete(file); }
    }

    private static string Blob(string bare, byte[] content) => Git.OkWithInput(bare, content, "hash-object", "-w", "--stdin");

    private static string Tree(string bare, byte[] entries) => Git.OkWithInput(bare, entries, "mktree", "-z");

    private static void Write(string work, string path, string text)
    {
        var full = Path.Combine(work, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    private static void Commit(string work, string message, string date)
    {
        var psiArgs = new[] { "-c", "user.name=Alice", "-c", "user.email=alice@example.org", "commit", "-q", "-m", message, "--date", date };
        Git.Ok(work, psiArgs);
    }
}
