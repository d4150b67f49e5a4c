using Wharf.Core.Access;
using Wharf.Core.Errors;
using Wharf.Core.Git;

namespace Wharf.Server.Tests;

/// <summary>Every form git and Mercurial clients send, and every attack shape, through <see cref="RepositoryCommand.Parse"/>.</summary>
public sealed class RepositoryCommandParseTests
{
    private const string Help = "ssh -p 2222 git@example.org help";

    [Theory]
    [InlineData("whoami", AccountCommandName.Whoami, false)]
    [InlineData("whoami --json", AccountCommandName.Whoami, true)]
    [InlineData("info", AccountCommandName.Info, false)]
    [InlineData("info --json", AccountCommandName.Info, true)]
    [InlineData("keys", AccountCommandName.Keys, false)]
    [InlineData("keys --json", AccountCommandName.Keys, true)]
    [InlineData("host_key_info", AccountCommandName.HostKeyInfo, false)]
    [InlineData("host_key_info --json", AccountCommandName.HostKeyInfo, true)]
    [InlineData("help", AccountCommandName.Help, false)]
    [InlineData("help --json", AccountCommandName.Help, true)]
    public void EachAccountCommandIsItsExactWordWithOptionallyJson(string commandLine, AccountCommandName name, bool json) =>
        Assert.Equal(new AccountCommand(name, json), AccountCommand.TryParse(commandLine));

    [Theory]
    [InlineData("")]
    [InlineData(" whoami")]
    [InlineData("whoami ")]            // a trailing space is another command
    [InlineData("whoami  --json")]     // so are two spaces
    [InlineData("whoami\t--json")]
    [InlineData("Whoami")]
    [InlineData("HOST_KEY_INFO")]
    [InlineData("host_key_info now")]
    [InlineData("info --json --json")]
    [InlineData("info --JSON")]
    [InlineData("info --json=1")]
    [InlineData("info -j")]
    [InlineData("info alice/site")]
    [InlineData("keys\n")]
    [InlineData("keys;id")]
    [InlineData("keys && id")]
    [InlineData("help whoami")]
    [InlineData("--json")]
    [InlineData("--json whoami")]
    [InlineData("git-upload-pack 'alice/site.git'")]
    public void AnythingElseIsNoAccountCommand(string commandLine) => Assert.Null(AccountCommand.TryParse(commandLine));

    [Fact]
    public void AnUnknownCommandCarriesItsCode()
    {
        var e = Assert.Throws<WharfException>(() => RepositoryCommand.Parse("ls -la", Help));
        Assert.Equal((ErrorCategory.InvalidArgument, "Unknown command 'ls -la'. Try 'ssh -p 2222 git@example.org help'.", RepositoryCommand.UnknownCode),
            (e.Category, e.Message, e.Code));
    }

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
    [InlineData("git-lfs-transfer alice/site.git download", RepositoryOperation.LfsTransferDownload)]   // what git-lfs 3 sends
    [InlineData("git-lfs-transfer /alice/site.git upload", RepositoryOperation.LfsTransferUpload)]      // ssh:// URLs keep the '/'
    [InlineData("git-lfs-authenticate 'alice/site.git' download", RepositoryOperation.LfsAuthenticateDownload)]
    [InlineData("git-lfs-authenticate alice/site upload", RepositoryOperation.LfsAuthenticateUpload)]
    public void AcceptedFormsNameTheOperationAndRepository(string commandLine, RepositoryOperation operation)
    {
        var command = RepositoryCommand.Parse(commandLine, Help);
        Assert.Equal(operation, command.Operation);
        Assert.Equal("alice/site", command.Repository.ToString().ToLowerInvariant());
    }

    [Theory]
    [InlineData("git-upload-pack 'alice/site.git'", AccessLevel.Read)]
    [InlineData("git-upload-archive 'alice/site.git'", AccessLevel.Read)]
    [InlineData("git-receive-pack 'alice/site.git'", AccessLevel.Write)]
    [InlineData("hg -R alice/site serve --stdio", AccessLevel.Read)]   // hg pushes are refused by hooks below Write
    [InlineData("git-lfs-transfer alice/site.git download", AccessLevel.Read)]
    [InlineData("git-lfs-transfer alice/site.git upload", AccessLevel.Write)]
    [InlineData("git-lfs-authenticate alice/site.git download", AccessLevel.Read)]
    [InlineData("git-lfs-authenticate alice/site.git upload", AccessLevel.Write)]
    public void EachOperationNeedsItsLevelBeforeAnythingRuns(string commandLine, AccessLevel level) =>
        Assert.Equal(level, RepositoryCommand.Parse(commandLine, Help).RequiredAccess);

    [Theory]
    [InlineData("git-lfs-transfer alice/site.git", "Expected 'git-lfs-transfer OWNER/NAME.git upload' or 'git-lfs-transfer OWNER/NAME.git download'.")]
    [InlineData("git-lfs-transfer alice/site.git lock", "Expected 'git-lfs-transfer OWNER/NAME.git upload' or 'git-lfs-transfer OWNER/NAME.git download'.")]
    [InlineData("git-lfs-transfer alice/site.git upload --debug", "Expected 'git-lfs-transfer OWNER/NAME.git upload' or 'git-lfs-transfer OWNER/NAME.git download'.")]
    [InlineData("git-lfs-authenticate alice/site.git Upload", "Expected 'git-lfs-authenticate OWNER/NAME.git upload' or 'git-lfs-authenticate OWNER/NAME.git download'.")]
    [InlineData("git-lfs-transfer alice/../bob/site.git upload", "Invalid repository path 'alice/../bob/site.git': '.' and '..' are not allowed.")]
    [InlineData("git-lfs-authenticate --help download", "Invalid repository path '--help': options are not accepted.")]
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
    [InlineData("sh -c 'id'", "Unknown command 'sh -c 'id''. Try 'ssh -p 2222 git@example.org help'.")]
    [InlineData("git-upload-pack 'alice/site.git'\nid", "Unknown command 'git-upload-pack 'alice/site.git'?id'. Try 'ssh -p 2222 git@example.org help'.")]
    [InlineData("git -c core.sshCommand=id upload-pack 'alice/site.git'", "Unknown command 'git -c core.sshCommand=id upload-pack 'alice/site.git''. Try 'ssh -p 2222 git@example.org help'.")]
    [InlineData("whoami --verbose", "Unknown command 'whoami --verbose'. Try 'ssh -p 2222 git@example.org help'.")]
    [InlineData("WHOAMI", "Unknown command 'WHOAMI'. Try 'ssh -p 2222 git@example.org help'.")]
    [InlineData("info; id", "Unknown command 'info; id'. Try 'ssh -p 2222 git@example.org help'.")]
    [InlineData("", "No command given: " + RepositoryCommand.Supported)]
    public void AttacksAndOtherCommandsAreRefusedWithAClearMessage(string commandLine, string message)
    {
        var e = Assert.Throws<WharfException>(() => RepositoryCommand.Parse(commandLine, Help));
        Assert.Equal((ErrorCategory.InvalidArgument, message), (e.Category, e.Message));
    }

    [Fact]
    public void AnAbsoluteLookingPathStaysInsideWharfsNamespace()
    {
        // "/etc/passwd" is just owner "etc", repository "passwd": looked up in the database, never on disk.
        Assert.Equal("etc/passwd", RepositoryCommand.Parse("git-upload-pack '/etc/passwd'", Help).Repository.ToString());
    }

    [Fact]
    public void OverlongCommandIsRefusedWithoutEchoingItAll()
    {
        var e = Assert.Throws<WharfException>(() => RepositoryCommand.Parse("git-upload-pack '" + new string('a', 5000) + "'", Help));
        Assert.True(e.Message.Length < 300);
    }
}
