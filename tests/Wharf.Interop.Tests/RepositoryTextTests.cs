using System.Text;
using Wharf.Interop.Tests.Infrastructure;

namespace Wharf.Interop.Tests;

/// <summary>
/// Checks on the repository's own tracked text: a merge that leaves git's conflict markers in a document or a
/// source file (as one did in docs/SSH-INTEROP.md) is caught here rather than by a reader.
/// </summary>
public sealed class RepositoryTextTests
{
    [Fact]
    public async Task NoTrackedTextFileHoldsMergeConflictMarkers()
    {
        var root = InstallTests.RepositoryRoot();
        var list = await ProcessRunner.RunAsync("git", ["-C", root, "ls-files", "-z"], root);
        Assert.True(list.ExitCode == 0, list.Describe());
        var found = new List<string>();
        foreach (var path in list.Stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var full = Path.Combine(root, path);
            if (!File.Exists(full)) continue;
            var bytes = await File.ReadAllBytesAsync(full);
            if (Array.IndexOf(bytes, (byte)0) >= 0) continue; // binary (screenshots, fuzz seeds)
            var lines = Encoding.UTF8.GetString(bytes).Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i].TrimEnd('\r');
                // The opening and closing markers; a lone "=======" is also a Markdown heading underline.
                if (line.StartsWith("<<<<<<< ", StringComparison.Ordinal) || line.StartsWith(">>>>>>> ", StringComparison.Ordinal))
                    found.Add($"{path}:{i + 1}: {line}");
            }
        }
        Assert.True(found.Count == 0, "merge conflict markers in tracked files:\n" + string.Join('\n', found));
    }
}
