using Microsoft.EntityFrameworkCore;

namespace Wharf.Data;

/// <summary>The PostgreSQL flavour of the model; its migrations live in Migrations/Postgres.</summary>
public sealed class PostgresWharfDbContext(DbContextOptions<PostgresWharfDbContext> options) : WharfDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configuration)
    {
        // timestamptz keeps an instant, not an offset, and Npgsql refuses to write a DateTimeOffset whose
        // offset is not zero. Every point in time is turned to UTC on the way in (an API caller may send
        // "+02:00"), and read back with offset zero, as SQLite's ticks are.
        configuration.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToUtcConverter>();
    }
}
