using Microsoft.EntityFrameworkCore;

namespace Wharf.Data;

/// <summary>The SQLite flavour of the model; its migrations live in Migrations/Sqlite.</summary>
public sealed class SqliteWharfDbContext(DbContextOptions<SqliteWharfDbContext> options) : WharfDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configuration)
    {
        // SQLite has no DateTimeOffset type, and EF stores it as text that sorts wrongly across offsets.
        // Stored as UTC ticks instead, it sorts and compares correctly.
        configuration.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToUtcTicksConverter>();
    }
}
