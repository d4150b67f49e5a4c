using Wharf.Core.Repositories;
using Wharf.Server.Hosting;

namespace Wharf.Server.Tests;

public sealed class CloneUrlTests
{
    private static RepositoryInfo Repository(Scm scm) => new(1, 1, "alice", "site", "/nowhere") { Scm = scm };

    [Theory]
    [InlineData(Scm.Git, "example.org", 22, "git@example.org:alice/site.git")]
    [InlineData(Scm.Git, "example.org", 2222, "ssh://git@example.org:2222/alice/site.git")]
    [InlineData(Scm.Hg, "example.org", 22, "ssh://hg@example.org/alice/site")]
    [InlineData(Scm.Hg, "example.org", 2222, "ssh://hg@example.org:2222/alice/site")]
    [InlineData(Scm.Git, "::1", 2222, "ssh://git@[::1]:2222/alice/site.git")]
    public void The_clone_url_has_the_form_each_tool_expects_with_the_port_only_when_it_is_not_22(Scm scm, string host, int port, string expected) =>
        Assert.Equal(expected, CloneUrls.Ssh(Repository(scm), host, port));

    [Fact]
    public void Without_a_public_host_the_page_uses_the_host_the_browser_asked_for()
    {
        var request = new Microsoft.AspNetCore.Http.DefaultHttpContext().Request;
        request.Host = new Microsoft.AspNetCore.Http.HostString("git.example.org", 8080);
        Assert.Equal("ssh://git@git.example.org:2222/alice/site.git",
            CloneUrls.Ssh(Repository(Scm.Git), new WebAddress { SshPort = 2222 }, request));
        Assert.Equal("git@wharf.example.net:alice/site.git",
            CloneUrls.Ssh(Repository(Scm.Git), new WebAddress { SshHost = "wharf.example.net", SshPort = 22 }, request));
    }
}
