using Wharf.Core.Access;
using Wharf.Core.Errors;
using Wharf.Core.Git;

namespace Wharf.Server.Tests;

/// <summary>Every form git and Mercurial clients send, and every attack shape, through <see cref="RepositoryCommand.Parse"/>.</summary>
public sealed class RepositoryCommandParseTests
{
    [Theory]
    [InlineData("git-upload-pack 'alice/site.git'", RepositoryOperation.GitUploadPack)]
    [InlineData("git-upload-pack '/alice/site.git'", RepositoryOperation.GitUploadPack)]    // ssh://host/alice/site.git
    [InlineData("git-upload-pack '~/alice/site.git'", RepositoryOperation.GitUploadPack)]   // ~/ forms some clients send
    [InlineData("git-upload-pack 'alice/site'", RepositoryOperation.GitUploadPack)]        // URL without .git
    [InlineData("git-upload-pack alice/site.git", RepositoryOperation.GitUploadPack)]      // unquoted
    [InlineData("git-upload-pack \"alice/site.git\"", RepositoryOperation.GitUploadPack)]  // double quotes
    [InlineData("git upload-pack '/alice/site.git'", RepositoryOperation.GitUploadPack)]   // "git upload-pack" form
    [InlineData("git-receive-pack 'alice/site.git'", RepositoryOperation.GitReceivePack)]
    [InlineData("git-receive-pack '/alice/site.git'", RepositoryOperation.GitReceivePack)]
    [InlineData("git receive-pack 'alice/site.git'", RepositoryOperation.GitReceivePack)]
    [InlineData("git-upload-archive 'alice/site.git'", RepositoryOperation.GitUploadArchive)]
    [InlineData("git upload-archive 'alice/site.git'", RepositoryOperation.GitUploadArchive)]
    [InlineData("git-upload-pack  'Alice/Site.git'", RepositoryOperation.GitUploadPack)]   // extra space, any case
    [InlineData("hg -R alice/site serve --stdio", RepositoryOperation.HgServe)]            // exactly what Mercurial sends
    [InlineData("hg -R /alice/site serve --stdio", RepositoryOperation.HgServe)]           // ssh://hg@host//alice/site
    [InlineData("hg -R 'alice/site' serve --stdio", RepositoryOperation.HgServe)]
    public void AcceptedFormsNameTheOperationAndRepository(string commandLine, RepositoryOperation operation)
    {
        var command = RepositoryCommand.Parse(commandLine);
        Assert.Equal(operation, command.Operation);
        Assert.Equal("alice/site", command.Repository.ToString().ToLowerInvariant());
    }

    [Theory]
    [InlineData("git-upload-pack 'alice/site.git'", AccessLevel.Read)]
    [InlineData("git-upload-archive 'alice/site.git'", AccessLevel.Read)]
    [InlineData("git-receive-pack 'alice/site.git'", AccessLevel.Write)]
    [InlineData("hg -R alice/site serve --stdio", AccessLevel.Read)]   // hg pushes are refused by hooks below Write
    public void EachOperationNeedsItsLevelBeforeAnythingRuns(string commandLine, AccessLevel level) =>
        Assert.Equal(level, RepositoryCommand.Parse(commandLine).RequiredAccess);

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
    [InlineData("git-upload-pack '~alice/site.git'", "Invalid repository path ''~alice/site.git'': expected 'OWNER/NAME.git'.")]
    [InlineData("git-upload-pack '/srv/git/alice/site.git'", "Invalid repository path ''/srv/git/alice/site.git'': expected 'OWNER/NAME.git'.")]
    [InlineData("hg -R alice/site serve --stdio --debugger", "Unsupported Mercurial command 'hg -R alice/site serve --stdio --debugger': Wharf runs only 'hg -R OWNER/NAME serve --stdio'.")]
    [InlineData("hg -R --config=hooks.x=id serve --stdio", "Invalid repository path '--config=hooks.x=id': options are not accepted.")]
    [InlineData("hg --config hooks.pre-serve=id -R alice/site serve --stdio", "Unsupported Mercurial command 'hg --config hooks.pre-serve=id -R alice/site serve --stdio': Wharf runs only 'hg -R OWNER/NAME serve --stdio'.")]
    [InlineData("hg -R alice/../bob/site serve --stdio", "Invalid repository path 'alice/../bob/site': '.' and '..' are not allowed.")]
    [InlineData("hg -R alice/site;id serve --stdio", "Invalid repository path 'alice/site;id': expected 'OWNER/NAME.git'.")]
    [InlineData("hg serve --stdio", "Unsupported Mercurial command 'hg serve --stdio': Wharf runs only 'hg -R OWNER/NAME serve --stdio'.")]
    [InlineData("git-upload-pack 'alice\\site.git'", "Invalid repository path ''alice\\site.git'': expected 'OWNER/NAME.git'.")]
    [InlineData("git-upload-pack 'alice/site.git' extra", "Expected exactly one repository path, such as 'OWNER/NAME.git'.")]
    [InlineData("git-upload-pack", "Expected exactly one repository path, such as 'OWNER/NAME.git'.")]
    [InlineData("sh -c 'id'", "Unsupported command 'sh -c 'id'': " + RepositoryCommand.Supported)]
    [InlineData("git-upload-pack 'alice/site.git'\nid", "Unsupported command 'git-upload-pack 'alice/site.git'?id': " + RepositoryCommand.Supported)]
    [InlineData("git -c core.sshCommand=id upload-pack 'alice/site.git'", "Unsupported command 'git -c core.sshCommand=id upload-pack 'alice/site.git'': " + RepositoryCommand.Supported)]
    [InlineData("", "No command given: " + RepositoryCommand.Supported)]
    public void AttacksAndOtherCommandsAreRefusedWithAClearMessage(string commandLine, string message)
    {
        var e = Assert.Throws<WharfException>(() => RepositoryCommand.Parse(commandLine));
        Assert.Equal((ErrorCategory.InvalidArgument, message), (e.Category, e.Message));
    }

    [Fact]
    public void AnAbsoluteLookingPathStaysInsideWharfsNamespace()
    {
        // "/etc/passwd" is just owner "etc", repository "passwd": looked up in the database, never on disk.
        Assert.Equal("etc/passwd", RepositoryCommand.Parse("git-upload-pack '/etc/passwd'").Repository.ToString());
    }

    [Fact]
    public void OverlongCommandIsRefusedWithoutEchoingItAll()
    {
        var e = Assert.Throws<WharfException>(() => RepositoryCommand.Parse("git-upload-pack '" + new string('a', 5000) + "'"));
        Assert.True(e.Message.Length < 300);
    }
}
