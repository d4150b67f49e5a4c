using Wharf.Core.Errors;
using Wharf.Core.Git;

namespace Wharf.Server.Tests;

public sealed class GitCommandTests
{
    [Theory]
    [InlineData("git-upload-pack 'alice/site.git'", GitService.UploadPack)]
    [InlineData("git-upload-pack '/alice/site.git'", GitService.UploadPack)]    // ssh://host/alice/site.git
    [InlineData("git-upload-pack 'alice/site'", GitService.UploadPack)]        // URL without .git
    [InlineData("git-upload-pack alice/site.git", GitService.UploadPack)]      // unquoted
    [InlineData("git upload-pack '/alice/site.git'", GitService.UploadPack)]   // "git upload-pack" form
    [InlineData("git-receive-pack 'alice/site.git'", GitService.ReceivePack)]
    [InlineData("git-receive-pack '/alice/site.git'", GitService.ReceivePack)]
    [InlineData("git receive-pack 'alice/site.git'", GitService.ReceivePack)]
    [InlineData("git-upload-pack  'Alice/Site.git'", GitService.UploadPack)]   // extra space, any case
    public void AcceptedFormsNameTheServiceAndRepository(string commandLine, GitService service)
    {
        var command = GitCommand.Parse(commandLine);
        Assert.Equal(service, command.Service);
        Assert.Equal("alice/site", command.Repository.ToString().ToLowerInvariant());
    }

    [Theory]
    [InlineData("git-upload-pack '../alice/site.git'", "Invalid repository path ''../alice/site.git'': '.' and '..' are not allowed.")]
    [InlineData("git-upload-pack 'alice/../bob/site.git'", "Invalid repository path ''alice/../bob/site.git'': '.' and '..' are not allowed.")]
    [InlineData("git-upload-pack '/alice/..'", "Invalid repository path ''/alice/..'': '.' and '..' are not allowed.")]
    [InlineData("git-upload-pack '--upload-pack=touch /tmp/x'", "Expected exactly one repository path, such as 'OWNER/NAME.git'.")]
    [InlineData("git-upload-pack --help", "Invalid repository path '--help': options are not accepted.")]
    [InlineData("git-upload-pack '-c'", "Invalid repository path ''-c'': options are not accepted.")]
    [InlineData("git-upload-pack 'alice/site.git';id", "Invalid repository path ''alice/site.git';id': expected 'OWNER/NAME.git'.")]
    [InlineData("git-upload-pack 'alice/$(id).git'", "Invalid repository path ''alice/$(id).git'': expected 'OWNER/NAME.git'.")]
    [InlineData("git-upload-pack 'alice/`id`.git'", "Invalid repository path ''alice/`id`.git'': expected 'OWNER/NAME.git'.")]
    [InlineData("git-upload-pack 'alice/site.git|id'", "Invalid repository path ''alice/site.git|id'': expected 'OWNER/NAME.git'.")]
    [InlineData("git-upload-pack '~/alice/site.git'", "Invalid repository path ''~/alice/site.git'': expected 'OWNER/NAME.git'.")]
    [InlineData("git-upload-pack 'alice\\site.git'", "Invalid repository path ''alice\\site.git'': expected 'OWNER/NAME.git'.")]
    [InlineData("git-upload-pack 'alice/site.git' extra", "Expected exactly one repository path, such as 'OWNER/NAME.git'.")]
    [InlineData("git-upload-pack", "Expected exactly one repository path, such as 'OWNER/NAME.git'.")]
    [InlineData("git-upload-archive 'alice/site.git'", "Unsupported command 'git-upload-archive 'alice/site.git'': Wharf runs only git-upload-pack and git-receive-pack over SSH.")]
    [InlineData("sh -c 'id'", "Unsupported command 'sh -c 'id'': Wharf runs only git-upload-pack and git-receive-pack over SSH.")]
    [InlineData("git-upload-pack 'alice/site.git'\nid", "Unsupported command 'git-upload-pack 'alice/site.git'?id': Wharf runs only git-upload-pack and git-receive-pack over SSH.")]
    [InlineData("git -c core.sshCommand=id upload-pack 'alice/site.git'", "Unsupported command 'git -c core.sshCommand=id upload-pack 'alice/site.git'': Wharf runs only git-upload-pack and git-receive-pack over SSH.")]
    [InlineData("", "No command given: Wharf runs only git-upload-pack and git-receive-pack over SSH.")]
    public void AttacksAndOtherCommandsAreRefusedWithAClearMessage(string commandLine, string message)
    {
        var e = Assert.Throws<WharfException>(() => GitCommand.Parse(commandLine));
        Assert.Equal((ErrorCategory.InvalidArgument, message), (e.Category, e.Message));
    }

    [Fact]
    public void AnAbsoluteLookingPathStaysInsideWharfsNamespace()
    {
        // "/etc/passwd" is just owner "etc", repository "passwd": looked up in the database, never on disk.
        Assert.Equal("etc/passwd", GitCommand.Parse("git-upload-pack '/etc/passwd'").Repository.ToString());
    }

    [Fact]
    public void OverlongCommandIsRefusedWithoutEchoingItAll()
    {
        var e = Assert.Throws<WharfException>(() => GitCommand.Parse("git-upload-pack '" + new string('a', 5000) + "'"));
        Assert.True(e.Message.Length < 300);
    }
}
