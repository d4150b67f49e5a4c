using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Wharf.Data;

/// <summary>Stores a point in time as UTC ticks; read back with offset zero.</summary>
public sealed class DateTimeOffsetToUtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
    v => v.UtcTicks,
    v => new DateTimeOffset(v, TimeSpan.Zero));
