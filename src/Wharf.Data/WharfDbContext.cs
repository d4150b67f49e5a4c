using Microsoft.EntityFrameworkCore;
using Wharf.Core.Keys;
using Wharf.Core.Repositories;
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

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<User>(e =>
        {
            e.ToTable("users");
            e.HasKey(u => u.Id);
            e.Property(u => u.Name).HasMaxLength(Core.Names.MaxUserNameLength).IsRequired();
            e.Property(u => u.LowerName).HasMaxLength(Core.Names.MaxUserNameLength).IsRequired();
            e.Property(u => u.Email).HasMaxLength(UserService.MaxEmailLength).IsRequired();
            e.HasIndex(u => u.LowerName).IsUnique();
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
            // Login looks keys up by fingerprint, and one key opens one account on the whole instance.
            e.HasIndex(k => k.Fingerprint).IsUnique();
            e.HasIndex(k => k.UserId);
            e.HasOne<User>().WithMany().HasForeignKey(k => k.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<Repository>(e =>
        {
            e.ToTable("repositories");
            e.HasKey(r => r.Id);
            e.Property(r => r.Name).HasMaxLength(Core.Names.MaxRepositoryNameLength).IsRequired();
            e.Property(r => r.LowerName).HasMaxLength(Core.Names.MaxRepositoryNameLength).IsRequired();
            e.Property(r => r.Path).HasMaxLength(4096).IsRequired();
            e.HasIndex(r => new { r.OwnerId, r.LowerName }).IsUnique();
            // Restrict: deleting a user must decide what happens to the repositories on disk first.
            e.HasOne<User>().WithMany().HasForeignKey(r => r.OwnerId).OnDelete(DeleteBehavior.Restrict);
        });
    }
}
