using Wharf.Server.Admin;
using Wharf.Server.Hosting;

namespace Wharf.Server.Cli;

/// <summary>Every verb of the <c>wharf</c> executable, in the order <c>wharf --help</c> lists them.</summary>
public static class WharfCommands
{
    public static IReadOnlyList<CliCommand> All { get; } =
    [
        ServeCommand.Command,          // wharf serve [--http ADDR:PORT] [--ssh ADDR:PORT[;...]] [--data DIR]
        UserCommands.Create,           // wharf admin user create NAME --email EMAIL [--admin] [--password-stdin]
        UserCommands.Password,         // wharf admin user password USER   < password
        KeyCommands.Add,               // wharf admin key add USER [--label LABEL]   < key.pub
        KeyCommands.List,              // wharf admin key list USER
        KeyCommands.Remove,            // wharf admin key remove USER (--label LABEL | --fingerprint FP)
        KeyCommands.Relabel,           // wharf admin key label USER --label OLD --to NEW
        KeyCommands.Usage,             // wharf admin key usage USER --label LABEL --to USAGE
        KeyCommands.Compromised,       // wharf admin key compromised USER --label LABEL [--since DATE]
        OpenSsh.OpenSshCommands.Authorized, // wharf keys authorized --user %u --type %t --key %k   (sshd AuthorizedKeysCommand)
        OpenSsh.OpenSshCommands.Principals, // wharf keys principals --user %u --certificate %k          (sshd AuthorizedPrincipalsCommand)
        OpenSsh.OpenSshCommands.Shell, // wharf shell --key-id N | --access-key-id N              (its forced command)
        TokenCommands.Create,          // wharf admin token create USER [--name NAME]
        RepositoryCommands.Create,     // wharf admin repo create OWNER/NAME [--hg] [--public]
        RepositoryCommands.List,       // wharf admin repo list [--owner OWNER]
        RepositoryCommands.Delete,     // wharf admin repo delete OWNER/NAME --confirm OWNER/NAME
        RepositoryCommands.Grant,      // wharf admin repo grant OWNER/NAME USER --permission read|write|admin
        RepositoryCommands.Revoke,     // wharf admin repo revoke OWNER/NAME USER
        RepositoryCommands.DefaultBranch, // wharf admin repo default-branch OWNER/NAME BRANCH
        RepositoryCommands.Maintain,   // wharf admin repo maintain OWNER/NAME
        Signing.SignedPushes.Require,  // wharf admin repo signed-commits OWNER/NAME --require on|off
        Signing.SignedPushes.CheckPush, // wharf signatures check-push (the pre-receive hook of such repositories)
        RepositoryCommands.AddAccessKey, // wharf admin repo access-key add OWNER/NAME [--label L] [--write]   < key.pub
        BackupCommands.Backup,         // wharf admin backup --to FILE
        HostKeyCommands.Add,           // wharf admin host-key add ed25519|rsa-3072|rsa-4096
        HostKeyCommands.Promote,       // wharf admin host-key promote FINGERPRINT [--retire-old]
        HostKeyCommands.Retire,        // wharf admin host-key retire FINGERPRINT
        HostKeyCommands.List,          // wharf admin host-key list
        HostKeyCommands.Sshfp,         // wharf admin host-key sshfp --host NAME
    ];
}
