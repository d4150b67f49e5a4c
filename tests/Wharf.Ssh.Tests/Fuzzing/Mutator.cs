namespace Wharf.Ssh.Tests.Fuzzing;

/// <summary>
/// A small deterministic mutation fuzzer (the AFL havoc idea, in process): starting from valid seeds it
/// flips bits, overwrites bytes with boundary values, writes hostile 32-bit lengths, inserts, deletes
/// and duplicates ranges. Seeded, so a failure names the iteration that reproduces it.
/// </summary>
internal sealed class Mutator(int seed)
{
    private static readonly uint[] InterestingLengths = [0, 1, 3, 4, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
    private readonly Random _random = new(seed);

    public byte[] Mutate(byte[] input)
    {
        var data = new List<byte>(input);
        var rounds = 1 + _random.Next(4);
        for (var i = 0; i < rounds; i++)
        {
            switch (_random.Next(7))
            {
                case 0 when data.Count > 0:
                {
                    var p = _random.Next(data.Count);
                    data[p] ^= (byte)(1 << _random.Next(8));
                    break;
                }
                case 1 when data.Count > 0:
                    data[_random.Next(data.Count)] = (byte)(_random.Next(3) switch { 0 => 0, 1 => 0xff, _ => _random.Next(256) });
                    break;
                case 2 when data.Count >= 4:
                {
                    var p = _random.Next(data.Count - 3);
                    var v = InterestingLengths[_random.Next(InterestingLengths.Length)];
                    data[p] = (byte)(v >> 24); data[p + 1] = (byte)(v >> 16); data[p + 2] = (byte)(v >> 8); data[p + 3] = (byte)v;
                    break;
                }
                case 3:
                {
                    var bytes = new byte[1 + _random.Next(16)];
                    _random.NextBytes(bytes);
                    data.InsertRange(_random.Next(data.Count + 1), bytes);
                    break;
                }
                case 4 when data.Count > 1:
                {
                    var p = _random.Next(data.Count);
                    data.RemoveRange(p, Math.Min(data.Count - p, 1 + _random.Next(16)));
                    break;
                }
                case 5 when data.Count > 1:
                {
                    var p = _random.Next(data.Count);
                    var n = Math.Min(data.Count - p, 1 + _random.Next(32));
                    data.InsertRange(_random.Next(data.Count + 1), data.GetRange(p, n));
                    break;
                }
                default:
                    if (data.Count > 0) data.RemoveRange(_random.Next(data.Count), data.Count > 0 ? 1 : 0);
                    break;
            }
        }
        return [.. data];
    }

    public T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];
}
