using Microsoft.Extensions.Configuration;
using Wharf.Core.Errors;
using Wharf.Core.Repositories;
using Wharf.Server.Hosting;

namespace Wharf.Server.Tests;

public sealed class CloneUrlTests
{
    [Theory]
    [InlineData(Scm.Git, 22, "git@example.org:alice/site.git")]
    [InlineData(Scm.Git, 2222, "ssh://git@example.org:2222/alice/site.git")]
    [InlineData(Scm.Hg, 22, "ssh://hg@example.org/alice/site")]
    [InlineData(Scm.Hg, 2222, "ssh://hg@example.org:2222/alice/site")]
    public void The_clone_url_has_the_form_each_tool_expects_with_the_port_only_when_it_is_not_22(Scm scm, int port, string expected) =>
        Assert.Equal(expected, CloneUrls.Ssh(scm, "example.org", port, "alice", "site"));

    private static SshAddress Build(params (string Key, string Value)[] settings) =>
        SshAddress.Build(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build());

    [Fact]
    public void The_operator_can_name_the_host_and_port_people_use_instead_of_the_listeners()
    {
        var address = Build(("Clone:SshHost", "git.example.org"), ("Clone:SshPort", "22"));
        address.Bound = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 2222);
        var repository = new RepositoryInfo(1, 1, "alice", "site", "/tmp/x") { Scm = Scm.Git };
        var request = new Microsoft.AspNetCore.Http.DefaultHttpContext().Request;
        request.Host = new Microsoft.AspNetCore.Http.HostString("127.0.0.1", 8080);
        Assert.Equal("git@git.example.org:alice/site.git", address.CloneUrl(repository, request));
        // Unset, the page's own host and the bound port.
        var unset = Build();
        unset.Bound = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 2222);
        Assert.Equal("ssh://git@127.0.0.1:2222/alice/site.git", unset.CloneUrl(repository, request));
    }

    [Theory]
    [InlineData("Clone:SshPort", "0", "Invalid setting 'Clone:SshPort': 0 is not a port (1 to 65535).")]
    [InlineData("Clone:SshPort", "ssh", "Invalid setting 'Clone:SshPort': 'ssh' is not a port (1 to 65535).")]
    [InlineData("Clone:SshHost", "git example", "Invalid setting 'Clone:SshHost': 'git example' is not a host name or address.")]
    public void A_bad_clone_setting_stops_the_start_with_its_message(string key, string value, string message)
    {
        var e = Assert.Throws<WharfException>(() => Build((key, value)));
        Assert.Equal(message, e.Message);
    }
}
