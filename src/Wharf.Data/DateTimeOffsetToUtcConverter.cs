using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Wharf.Data;

/// <summary>The same instant with offset zero: what PostgreSQL's timestamptz accepts.</summary>
public sealed class DateTimeOffsetToUtcConverter() : ValueConverter<DateTimeOffset, DateTimeOffset>(
    v => v.ToUniversalTime(),
    v => v.ToUniversalTime());
