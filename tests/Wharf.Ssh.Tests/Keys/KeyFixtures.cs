namespace Wharf.Ssh.Tests.Keys;

/// <summary>Public keys made with OpenSSH 9.2's ssh-keygen, with the fingerprints ssh-keygen -l printed for them.</summary>
internal static class KeyFixtures
{
    public const string Ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGC6H6ib1Gpq/poFUMSQXXsV0CzZRGeOartfDiRca9Xe fixture@example.com";
    public const string Ed25519Sha256 = "SHA256:Nf9ZsWilLUd96N5Ixef8aiiLH5my3M/NGU4HrvTNPcI";
    public const string Ed25519Md5 = "MD5:1c:47:13:ea:08:9d:89:cb:fc:c3:ff:6a:a5:3d:34:f3";
    public const string Rsa3072 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCUjhVjEOm0jWkAgTnpIu3hKCWo+5DbMlfyZdtZ1sjV1zZ2ByaqlPU4n9tJRDZGN2jQFiEYNSgQEMedobHHr0jS32Gy6E5zTYhApEWmBwMlI5AR7zaSl7Ow5i4GYkRQ2QGrsE5Wcp0vMgrCuv/AZUDj7xNN6k/f2ao79vxxifHFfENDbtriSEUPeDW3O012Wnu0vxjqkhdMO8NHeaqZUB1pzdKuEeSAZU3GJ9XYWmHWp0QKLHbRrwZ7zfohMyrZu1FHvUhp3qdiq9bk6Uu3n2NMH9y/Lu9NP9x1sgs8RDj4uCBl9UB889sxI/mQNgZNt2hJpjGK1eiMBf3QkbK2wGg7331YAgTYguEUnXodZbIU78NPjsYQaLe6DVkUCCZRzaNno0zVE5qhyZ5XRPnR7UwQMDLCNiMYSbYGmX6K3QLnSMgDCHl+D1aMybTT/yNo1RgHh5MRUy2Pkw2+uX5he+w3ztvjrfWL3cEUbbGjzB3NTj0jKApsSXaJn69qvD8vHFs= fixture@example.com";
    public const string Rsa3072Sha256 = "SHA256:awrzX5C00suRBpEEfG+/pwfrH/4t63yLP7br5alC0o4";
    public const string EcdsaP256 = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMR9gsWQ7viBrQIHSankMdwCCaumNCkUCBLivMrV76nuC0/4pj9kU/mrhIhU3RNowdazKYDcgRyh4sWmXrM17cE= fixture@example.com";
    public const string EcdsaP256Sha256 = "SHA256:u6PICvnp6MKPcEAFkCYRttTW7f3qN15s6C2L3ECz99w";
    public const string EcdsaP384 = "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBO+iv+1IMnb5C2htW1X0FsyWlidqKL08S2jGUKfVV/EYHCGAIAmDmE3gLY5tbWoCN+WARR1jdEGcMt8eOjpCNXXKCsmqknw1vTP7zpvhoMVmbamDD5za56zpVIoQytOwlw== x";
    public const string EcdsaP384Sha256 = "SHA256:ErAsY/HIDTfBv3bndzgGwZX0PPcSZE+XI6fDm0ZTqd8";
    public const string EcdsaP521 = "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBABw5tiIcSYoBsvNaxQnHDIH9AyVxgLUzLto1m/E+7SeGgUm0VERsmT+r559pgGYvSeaEzgUu6Xdw9QIN9+yr2ejVQH1Zlv4T4oopXdBIU+UKuyUrCPC+Ynsg2vcqD1vwi11raP3Nl8IovfvyR5j522vUTwWIWDdS3Q1rsvf6DnbCEaCGQ== x";
    public const string EcdsaP521Sha256 = "SHA256:cMqKTKNVyKqVBCEvYDyuaJQRKG1koGZVO4yCGx32K2M";
}
