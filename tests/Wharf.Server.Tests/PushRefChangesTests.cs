using Wharf.Core.Git;

namespace Wharf.Server.Tests;

/// <summary>How a push's ref changes read, from git for-each-ref's output before and after it.</summary>
public sealed class PushRefChangesTests
{
    private const string A = "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string B = "2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    private const string C = "3333333ccccccccccccccccccccccccccccccccc";

    [Fact]
    public void New_changed_deleted_and_tag_refs_are_named_in_ref_order_and_unchanged_ones_left_out()
    {
        var before = $"{A} refs/heads/main\n{A} refs/heads/old\n{B} refs/heads/same\n";
        var after = $"{C} refs/heads/main\n{B} refs/heads/same\n{B} refs/heads/feature\n{A} refs/tags/v1\n{C} refs/notes/commits\n";
        Assert.Equal(["feature new 2222222", "main 1111111→3333333", "old deleted", "refs/notes/commits new 3333333", "tag v1 new 1111111"],
            GitBinary.RefChanges(before, after));
    }

    [Fact]
    public void A_first_push_into_an_empty_repository_lists_every_ref_as_new_and_nothing_changed_lists_nothing()
    {
        Assert.Equal(["main new 1111111"], GitBinary.RefChanges("", $"{A} refs/heads/main\n"));
        Assert.Empty(GitBinary.RefChanges($"{A} refs/heads/main\n", $"{A} refs/heads/main\n"));
    }
}
