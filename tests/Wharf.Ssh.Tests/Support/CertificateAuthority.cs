using System.Diagnostics;
using Wharf.Ssh.Keys;
using Wharf.Ssh.Wire;

namespace Wharf.Ssh.Tests.Support;

/// <summary>
/// Makes keys and certificates with the real OpenSSH <c>ssh-keygen</c> (<c>-s</c> signs) in a temporary directory.
/// Security-key (sk-*) public keys are built by hand from an Ed25519 or ECDSA key: ssh-keygen needs only the
/// public key to certify one, so no authenticator is involved.
/// </summary>
internal sealed class CertificateAuthority : IDisposable
{
    public CertificateAuthority(string caType = "ed25519")
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("wharf-certs-").FullName;
        CaPath = NewKey("ca", caType);
    }

    public string Directory { get; }
    public string CaPath { get; }
    public SshPublicKey CaPublicKey => SshPublicKey.ParseOpenSsh(File.ReadAllText(CaPath + ".pub"));

    /// <summary>Creates a key pair with ssh-keygen; <paramref name="type"/> as for <c>-t</c>, optionally <c>ecdsa:384</c> for the size.</summary>
    public string NewKey(string name, string type)
    {
        var path = Path.Combine(Directory, name);
        var parts = type.Split(':');
        var args = new List<string> { "-q", "-t", parts[0], "-N", "", "-C", name, "-f", path };
        if (parts.Length > 1) args.AddRange(["-b", parts[1]]);
        Run("ssh-keygen", args);
        return path;
    }

    /// <summary>Writes a security-key public key (sk-ssh-ed25519 / sk-ecdsa-sha2-nistp256) for the point of a plain key.</summary>
    public string SecurityKeyPublicKey(string name, SshPublicKey plain)
    {
        var w = new SshWriter();
        if (plain.KeyType == SshKeyTypes.Ed25519)
        {
            w.WriteString(SshKeyTypes.SkEd25519);
            var r = new SshReader(plain.Blob);
            r.ReadBinary();
            w.WriteBinary(r.ReadBinary());
        }
        else
        {
            w.WriteString(SshKeyTypes.SkEcdsaP256);
            var r = new SshReader(plain.Blob);
            r.ReadBinary();
            w.WriteBinary(r.ReadBinary());
            w.WriteBinary(r.ReadBinary());
        }
        w.WriteString("ssh:");
        var path = Path.Combine(Directory, name);
        var key = SshPublicKey.FromBlob(w.WrittenSpan);
        File.WriteAllText(path + ".pub", key.ToOpenSshLine() + " " + name + "\n");
        return path;
    }

    /// <summary>Signs <paramref name="keyPath"/>.pub; returns the certificate's line. Extra ssh-keygen options go in <paramref name="options"/>.</summary>
    public string Sign(string keyPath, string keyId, string principals, params string[] options)
    {
        var args = new List<string> { "-q", "-s", CaPath, "-I", keyId };
        if (principals.Length > 0) args.AddRange(["-n", principals]);
        args.AddRange(options);
        args.Add(keyPath + ".pub");
        Run("ssh-keygen", args);
        return File.ReadAllText(keyPath + "-cert.pub").Trim();
    }

    public static string Run(string program, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', start.ArgumentList)} failed ({p.ExitCode}): {stderr}");
        return stdout.Result;
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
