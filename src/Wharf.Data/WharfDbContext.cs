using Microsoft.EntityFrameworkCore;
using Wharf.Core.Access;
using Wharf.Core.AccessKeys;
using Wharf.Core.Audit;
using Wharf.Core.Keys;
using Wharf.Core.Repositories;
using Wharf.Core.Tokens;
using Wharf.Core.Users;

namespace Wharf.Data;

/// <summary>
/// The provider-neutral model. Each database provider derives its own context (see
/// <see cref="SqliteWharfDbContext"/>) so that each keeps its own migrations folder; nothing here may
/// use a provider-specific type, SQL or function.
/// </summary>
public abstract class WharfDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<User> Users => Set<User>();
    public DbSet<SshKey> SshKeys => Set<SshKey>();
    public DbSet<Repository> Repositories => Set<Repository>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<AuditEntry> AuditLog => Set<AuditEntry>();
    public DbSet<RepositoryGrant> RepositoryGrants => Set<RepositoryGrant>();
    public DbSet<AccessKey> AccessKeys => Set<AccessKey>();
    public DbSet<RepositoryAccessKey> RepositoryAccessKeys => Set<RepositoryAccessKey>();
    public DbSet<UserSession> UserSessions => Set<UserSession>();
    public DbSet<EmailToken> EmailTokens => Set<EmailToken>();
    public DbSet<Core.Signatures.CommitSignature> CommitSignatures => Set<Core.Signatures.CommitSignature>();
    public DbSet<Core.Lfs.LfsLock> LfsLocks => Set<Core.Lfs.LfsLock>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<User>(e =>
        {
            e.ToTable("users");
            e.HasKey(u => u.Id);
            e.Property(u => u.Name).HasMaxLength(Core.Names.MaxUserNameLength).IsRequired();
            e.Property(u => u.LowerName).HasMaxLength(Core.Names.MaxUserNameLength).IsRequired();
            e.Property(u => u.Email).HasMaxLength(UserService.MaxEmailLength).IsRequired();
            // Identity's v3 format: about 84 base64 characters today; room for a later format.
            e.Property(u => u.PasswordHash).HasMaxLength(512);
            e.HasIndex(u => u.LowerName).IsUnique();
            e.HasIndex(u => u.Uuid).IsUnique();
            // One account per address, compared as UserService.NormaliseEmail writes it. Null (several allowed
            // by both providers) only for accounts that shared an address before this index existed.
            e.Property(u => u.LowerEmail).HasMaxLength(UserService.MaxEmailLength);
            e.HasIndex(u => u.LowerEmail).IsUnique();
        });

        model.Entity<EmailToken>(e =>
        {
            e.ToTable("email_tokens");
            e.HasKey(t => t.Id);
            e.Property(t => t.Purpose).HasMaxLength(32).IsRequired();
            e.Property(t => t.TokenHash).HasMaxLength(64).IsRequired();
            e.Property(t => t.Email).HasMaxLength(UserService.MaxEmailLength).IsRequired();
            e.HasIndex(t => t.TokenHash).IsUnique();
            e.HasIndex(t => new { t.UserId, t.Purpose });
            e.HasIndex(t => t.ExpiresAt);
            e.HasOne<User>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<UserSession>(e =>
        {
            e.ToTable("user_sessions");
            e.HasKey(s => s.Id);
            e.Property(s => s.Id).ValueGeneratedNever();
            e.HasIndex(s => s.UserId);
            e.HasIndex(s => s.LastSeenAt);
            e.HasOne<User>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<SshKey>(e =>
        {
            e.ToTable("ssh_keys");
            e.HasKey(k => k.Id);
            // "SHA256:" + 43 base64 characters.
            e.Property(k => k.Fingerprint).HasMaxLength(64).IsRequired();
            // A 16384-bit RSA key is about 2.8 KB of base64; leave room.
            e.Property(k => k.PublicKey).HasMaxLength(4096).IsRequired();
            e.Property(k => k.KeyType).HasMaxLength(64).IsRequired();
            e.Property(k => k.Label).HasMaxLength(SshKeyService.MaxLabelLength).IsRequired();
            e.Property(k => k.Comment).HasMaxLength(SshKeyService.MaxLabelLength);
            e.HasIndex(k => k.Uuid).IsUnique();
            // Login looks keys up by fingerprint, and one key opens one account on the whole instance.
            e.HasIndex(k => k.Fingerprint).IsUnique();
            e.HasIndex(k => k.UserId);
            e.HasOne<User>().WithMany().HasForeignKey(k => k.UserId).OnDelete(DeleteBehavior.Cascade);
            // Spelled as in the API; every key stored before usages existed logs in, as it did.
            e.Property(k => k.Usage).HasConversion(v => v.ToApi(), v => KeyUsages.Parse(v)).HasMaxLength(32).IsRequired()
                .HasDefaultValue(KeyUsage.Authentication).HasSentinel((KeyUsage)(-1));
        });

        model.Entity<Core.Signatures.CommitSignature>(e =>
        {
            e.ToTable("commit_signatures");
            e.HasKey(c => c.Id);
            // A SHA-256 object id is 64 hex digits.
            e.Property(c => c.ObjectId).HasMaxLength(64).IsRequired();
            e.Property(c => c.Status).HasConversion(v => Core.Signatures.SignatureStatuses.ToApi(v), v => Core.Signatures.SignatureStatuses.FromApi(v))
                .HasMaxLength(16).IsRequired();
            e.Property(c => c.Reason).HasMaxLength(Core.Signatures.CommitSignature.MaxReasonLength);
            e.Property(c => c.KeyFingerprint).HasMaxLength(64);
            e.Property(c => c.KeyLabel).HasMaxLength(SshKeyService.MaxLabelLength);
            e.Property(c => c.Account).HasMaxLength(Core.Names.MaxUserNameLength);
            // The first verdict on an object in a repository is the one kept.
            e.HasIndex(c => new { c.RepositoryId, c.ObjectId }).IsUnique();
            // A compromise report finds the verdicts made with the key.
            e.HasIndex(c => c.KeyFingerprint);
            e.HasOne<Repository>().WithMany().HasForeignKey(c => c.RepositoryId).OnDelete(DeleteBehavior.Cascade);
            // No foreign key to the account or the key: what was verified stays recorded after either is deleted.
        });

        model.Entity<ApiToken>(e =>
        {
            e.ToTable("api_tokens");
            e.HasKey(t => t.Id);
            e.Property(t => t.Name).HasMaxLength(ApiTokenService.MaxNameLength).IsRequired();
            // 64 hex digits of SHA-256; looked up on every API call.
            e.Property(t => t.TokenHash).HasMaxLength(64).IsRequired();
            e.Property(t => t.Scopes).HasMaxLength(TokenScopes.MaxStoredLength);
            e.HasIndex(t => t.TokenHash).IsUnique();
            e.HasIndex(t => t.UserId);
            e.HasOne<User>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<AuditEntry>(e =>
        {
            e.ToTable("audit_log");
            e.HasKey(a => a.Id);
            e.Property(a => a.Action).HasMaxLength(32).IsRequired();
            e.Property(a => a.KeyFingerprint).HasMaxLength(64).IsRequired();
            e.Property(a => a.KeyLabel).HasMaxLength(SshKeyService.MaxLabelLength).IsRequired();
            e.Property(a => a.Actor).HasMaxLength(100).IsRequired();
            // An IPv6 address with a zone id fits in 64.
            e.Property(a => a.SourceAddress).HasMaxLength(64);
            e.Property(a => a.Detail).HasMaxLength(AuditEntry.MaxDetailLength);
            e.HasIndex(a => new { a.UserId, a.At });
            e.HasIndex(a => a.KeyFingerprint);
            e.Property(a => a.Repository).HasMaxLength(Core.Names.MaxUserNameLength + 1 + Core.Names.MaxRepositoryNameLength);
            // No foreign key: a repository's history outlives the repository.
            e.HasIndex(a => a.RepositoryId);
            e.HasOne<User>().WithMany().HasForeignKey(a => a.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<Repository>(e =>
        {
            e.ToTable("repositories");
            e.HasKey(r => r.Id);
            e.Property(r => r.Name).HasMaxLength(Core.Names.MaxRepositoryNameLength).IsRequired();
            e.Property(r => r.LowerName).HasMaxLength(Core.Names.MaxRepositoryNameLength).IsRequired();
            e.Property(r => r.Path).HasMaxLength(4096).IsRequired();
            // Stored as Bitbucket spells it ("git", "hg"), so the database reads like the API.
            e.Property(r => r.Scm).HasConversion(v => v.ToApi(), v => v == "hg" ? Scm.Hg : Scm.Git).HasMaxLength(8).IsRequired();
            e.HasIndex(r => new { r.OwnerId, r.LowerName }).IsUnique();
            e.HasIndex(r => r.Uuid).IsUnique();
            // Restrict: deleting a user must decide what happens to the repositories on disk first.
            e.HasOne<User>().WithMany().HasForeignKey(r => r.OwnerId).OnDelete(DeleteBehavior.Restrict);
        });

        model.Entity<RepositoryGrant>(e =>
        {
            e.ToTable("repository_grants");
            e.HasKey(g => g.Id);
            e.Property(g => g.Level).HasConversion(v => v.ToApi(), v => v == "admin" ? AccessLevel.Admin : v == "write" ? AccessLevel.Write : AccessLevel.Read)
                .HasMaxLength(8).IsRequired();
            e.HasIndex(g => new { g.RepositoryId, g.UserId }).IsUnique();
            e.HasIndex(g => g.UserId);
            e.HasOne<Repository>().WithMany().HasForeignKey(g => g.RepositoryId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<User>().WithMany().HasForeignKey(g => g.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<Core.Lfs.LfsLock>(e =>
        {
            e.ToTable("lfs_locks");
            e.HasKey(l => l.Id);
            e.Property(l => l.Path).HasMaxLength(Core.Lfs.LfsLocks.MaxPathLength).IsRequired();
            e.HasIndex(l => new { l.RepositoryId, l.Path }).IsUnique();
            e.HasIndex(l => l.OwnerId);
            e.HasOne<Repository>().WithMany().HasForeignKey(l => l.RepositoryId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<User>().WithMany().HasForeignKey(l => l.OwnerId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<AccessKey>(e =>
        {
            e.ToTable("access_keys");
            e.HasKey(k => k.Id);
            e.Property(k => k.Fingerprint).HasMaxLength(64).IsRequired();
            e.Property(k => k.PublicKey).HasMaxLength(4096).IsRequired();
            e.Property(k => k.KeyType).HasMaxLength(64).IsRequired();
            e.Property(k => k.Comment).HasMaxLength(SshKeyService.MaxLabelLength);
            // Login looks access keys up by fingerprint too; one row per key however many repositories it serves.
            e.HasIndex(k => k.Fingerprint).IsUnique();
        });

        model.Entity<RepositoryAccessKey>(e =>
        {
            e.ToTable("repository_access_keys");
            e.HasKey(k => k.Id);
            e.Property(k => k.Label).HasMaxLength(SshKeyService.MaxLabelLength).IsRequired();
            e.HasIndex(k => new { k.RepositoryId, k.AccessKeyId }).IsUnique();
            e.HasIndex(k => k.AccessKeyId);
            e.HasOne<Repository>().WithMany().HasForeignKey(k => k.RepositoryId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<AccessKey>().WithMany().HasForeignKey(k => k.AccessKeyId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
