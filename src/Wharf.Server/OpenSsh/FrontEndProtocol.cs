using System.Buffers.Binary;
using System.Text;

namespace Wharf.Server.OpenSsh;

/// <summary>
/// The front-end socket's wire format (<c>DATA/run/wharf.sock</c>, docs/OPERATIONS.md "OpenSSH as the front door"):
/// frames of one type byte, a 4-byte big-endian length and that many bytes. The client sends one request frame
/// (<see cref="KeysRequest"/> or <see cref="ShellRequest"/>), then for a shell its standard input as <see cref="Input"/>
/// frames and one empty <see cref="InputEnd"/>; the server answers with <see cref="Answer"/> (keys), <see cref="Output"/>
/// and <see cref="Error"/> frames, and one <see cref="Exit"/> frame carrying the exit status. Nothing else is accepted.
/// A request is a version byte and a fixed number of fields, each a 2-byte big-endian length and UTF-8 text, or
/// <see cref="Absent"/> for a field that is not there.
/// </summary>
public static class FrontEndProtocol
{
    public const byte Version = 1;

    public const byte KeysRequest = (byte)'K';
    public const byte ShellRequest = (byte)'S';
    public const byte Input = (byte)'I';
    public const byte InputEnd = (byte)'i';

    public const byte Answer = (byte)'A';
    public const byte Output = (byte)'O';
    public const byte Error = (byte)'E';
    public const byte Exit = (byte)'X';

    /// <summary>The largest request (an RSA key of 16384 bits is about 2.8 KB of base64; a command line is short).</summary>
    public const int MaxRequest = 16 * 1024;

    /// <summary>The largest data frame either side sends or accepts.</summary>
    public const int MaxData = 64 * 1024;

    /// <summary>The field length that says "absent" (an unset variable, as opposed to an empty one).</summary>
    public const ushort Absent = 0xFFFF;

    /// <summary>Fields in a keys request: user, key type, base64 key.</summary>
    public const int KeysFields = 3;

    /// <summary>Fields in a shell request: key id, access key id, SSH_ORIGINAL_COMMAND, GIT_PROTOCOL, SSH_CONNECTION.</summary>
    public const int ShellFields = 5;

    /// <summary>The forced command's options naming the key (<c>wharf shell --key-id N</c> or <c>--access-key-id N</c>).</summary>
    public const string KeyIdOption = "--key-id";
    public const string AccessKeyIdOption = "--access-key-id";

    /// <summary>The data directory without <c>--data</c>: this variable, else <see cref="DefaultDataDirectory"/>.</summary>
    public const string DataEnvironmentVariable = "WHARF_DATA";
    public const string DefaultDataDirectory = "data";

    /// <summary>Where <c>wharf serve</c> listens for the data directory <paramref name="dataDirectory"/>.</summary>
    public static string SocketPath(string dataDirectory) => Path.Combine(dataDirectory, "run", "wharf.sock");

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static byte[] Frame(byte type, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = type;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), payload.Length);
        payload.CopyTo(frame.AsSpan(5));
        return frame;
    }

    public static byte[] ExitFrame(int status)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(payload, status);
        return Frame(Exit, payload);
    }

    /// <summary>A request payload: the version and the fields, null for absent ones.</summary>
    public static byte[] Request(params string?[] fields)
    {
        using var buffer = new MemoryStream();
        buffer.WriteByte(Version);
        Span<byte> length = stackalloc byte[2];
        foreach (var field in fields)
        {
            if (field is null)
            {
                BinaryPrimitives.WriteUInt16BigEndian(length, Absent);
                buffer.Write(length);
                continue;
            }
            var bytes = Strict.GetBytes(field);
            if (bytes.Length >= Absent) throw new ArgumentException("a front-end request field is too long", nameof(fields));
            BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)bytes.Length);
            buffer.Write(length);
            buffer.Write(bytes);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Reads a request payload strictly: the version, exactly <paramref name="count"/> fields of valid UTF-8 without NUL,
    /// nothing after them. Returns null, with the reason, for anything else.
    /// </summary>
    public static string?[]? ParseRequest(ReadOnlySpan<byte> payload, int count, out string? malformed)
    {
        malformed = null;
        if (payload.Length < 1 || payload[0] != Version)
        {
            malformed = "unknown protocol version";
            return null;
        }
        var fields = new string?[count];
        var at = 1;
        for (var i = 0; i < count; i++)
        {
            if (payload.Length - at < 2)
            {
                malformed = "truncated field";
                return null;
            }
            var length = BinaryPrimitives.ReadUInt16BigEndian(payload[at..]);
            at += 2;
            if (length == Absent) continue;
            if (payload.Length - at < length)
            {
                malformed = "truncated field";
                return null;
            }
            var bytes = payload.Slice(at, length);
            at += length;
            if (bytes.Contains((byte)0))
            {
                malformed = "NUL in a field";
                return null;
            }
            try { fields[i] = Strict.GetString(bytes); }
            catch (DecoderFallbackException)
            {
                malformed = "a field is not UTF-8";
                return null;
            }
        }
        if (at != payload.Length)
        {
            malformed = "bytes after the last field";
            return null;
        }
        return fields;
    }

    /// <summary>The text of an <see cref="Answer"/>: empty for no line, else <c>OPTION ID KEYTYPE BASE64</c>.</summary>
    public static string AnswerText(string? option, long id, string? keyLine) =>
        option is null ? "" : $"{option} {id.ToString(System.Globalization.CultureInfo.InvariantCulture)} {keyLine}";

    // Everything sshd could grant beyond running the forced command is refused; "restrict" covers the lot on
    // OpenSSH 7.2+, the explicit options say the same to older servers and to people reading the line.
    private const string Restrictions = "no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty,no-user-rc,restrict";

    /// <summary>
    /// The authorized_keys (or principals) line: forced command <c>PROGRAM shell OPTION VALUE --data DATA</c>, where
    /// <paramref name="program"/> are the words that start the program sshd should run, the restrictions, then
    /// <paramref name="keyOrPrincipal"/>.
    /// </summary>
    public static string AuthorizedKeysLine(IEnumerable<string> program, string option, string value, string dataDirectory, string keyOrPrincipal)
    {
        var forced = string.Join(' ', program.Concat(["shell", option, value, "--data", dataDirectory]).Select(ShellQuote));
        return $"command=\"{forced.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\",{Restrictions} {keyOrPrincipal}";
    }

    /// <summary>
    /// Quotes one word for the POSIX shell sshd runs a forced command with: single quotes, with each embedded
    /// single quote closed, escaped and reopened.
    /// </summary>
    public static string ShellQuote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '=' or ':' or '+')
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
