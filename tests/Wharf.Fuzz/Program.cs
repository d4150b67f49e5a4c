using Wharf.Fuzz;

// Wharf.Fuzz list                    the target names, one a line
// Wharf.Fuzz TARGET                  one target under afl-fuzz (SharpFuzz's persistent out-of-process loop)
// Wharf.Fuzz run TARGET FILE|DIR...  replays inputs without AFL; exit 1 and the exception on the first failure
// Wharf.Fuzz mlkem-seed DIR         writes one ML-KEM hybrid key exchange seed into DIR
// Wharf.Fuzz record DIR PORT         the corpus recorder: an SSH server on 127.0.0.1:PORT that keeps what clients send
switch (args)
{
    case ["list"]:
        foreach (var name in Targets.All.Keys) Console.WriteLine(name);
        return 0;
    case ["run", var name, .. var paths] when paths.Length > 0:
        return Replay(Targets.Get(name), paths);
    case ["mlkem-seed", var dir]:
        // OpenSSH 9.2 (Debian 12) has no mlkem768x25519-sha256, so this seed is made as a client makes it: message 30
        // with a fresh ML-KEM-768 public key followed by an X25519 public key (draft-ietf-sshm-mlkem-hybrid-kex).
        return Recorder.MlKemSeed(dir);
    case ["record", var dir, var port]:
        return await Recorder.RunAsync(dir, int.Parse(port, System.Globalization.CultureInfo.InvariantCulture));
    case [var name] when Targets.All.ContainsKey(name):
        var target = Targets.Get(name);
        SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            target(buffer.ToArray());
        });
        return 0;
    default:
        Console.Error.WriteLine("usage: Wharf.Fuzz list | TARGET | run TARGET FILE|DIR... | record DIR PORT");
        Console.Error.WriteLine("targets: " + string.Join(", ", Targets.All.Keys));
        return 2;
}

static int Replay(Action<byte[]> target, string[] paths)
{
    var files = paths.SelectMany(p => Directory.Exists(p) ? (IEnumerable<string>)Directory.GetFiles(p, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal) : [p]);
    var count = 0;
    foreach (var file in files)
    {
        try
        {
            target(File.ReadAllBytes(file));
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"{file}: {e}");
            return 1;
        }
        count++;
    }
    Console.WriteLine($"{count} input(s) passed");
    return 0;
}
