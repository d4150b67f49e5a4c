/* A small libssh client for Wharf's interop tests, compiled by the test with gcc against libssh-dev.
 *
 *   libssh_client HOST PORT USER KEYFILE SHA256:HOSTKEYFINGERPRINT [COMMAND]
 *
 * Connects, checks the server's host key against the fingerprint, authenticates with the private key file,
 * opens a session and asks for a shell (no PTY, what `ssh -T` does) or execs COMMAND (sending all of its own
 * stdin to it first), copies the channel's stdout and stderr to its own, and ends with the remote exit status (255 on any failure, or when the
 * server sent none). Set LIBSSH_CLIENT_VERBOSE=1 for libssh's protocol log on stderr. */
#include <libssh/libssh.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(ssh_session s, const char *what) {
    fprintf(stderr, "libssh_client: %s: %s\n", what, s ? ssh_get_error(s) : "");
    return 255;
}

static void copy(ssh_channel c, int is_stderr, int fd) {
    char buf[16384];
    int n;
    while ((n = ssh_channel_read_timeout(c, buf, sizeof buf, is_stderr, 30000)) > 0)
        if (write(fd, buf, (size_t)n) != n) return;
}

int main(int argc, char **argv) {
    if (argc < 6) { fprintf(stderr, "usage: libssh_client HOST PORT USER KEYFILE SHA256:FP [COMMAND]\n"); return 2; }
    ssh_session s = ssh_new();
    unsigned int port = (unsigned int)atoi(argv[2]);
    long timeout = 30;
    int verbosity = getenv("LIBSSH_CLIENT_VERBOSE") ? SSH_LOG_PROTOCOL : SSH_LOG_NOLOG;
    ssh_options_set(s, SSH_OPTIONS_HOST, argv[1]);
    ssh_options_set(s, SSH_OPTIONS_PORT, &port);
    ssh_options_set(s, SSH_OPTIONS_USER, argv[3]);
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
    ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &(int){0});
    if (ssh_connect(s) != SSH_OK) return fail(s, "connect");

    ssh_key served = NULL;
    unsigned char *hash = NULL;
    size_t hlen = 0;
    if (ssh_get_server_publickey(s, &served) != SSH_OK ||
        ssh_get_publickey_hash(served, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) != 0) return fail(s, "host key");
    char *fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
    fprintf(stderr, "libssh_client: server host key %s %s\n", ssh_key_type_to_char(ssh_key_type(served)), fp);
    if (strcmp(fp, argv[5]) != 0) { fprintf(stderr, "libssh_client: host key mismatch, expected %s\n", argv[5]); return 255; }

    ssh_key key = NULL;
    if (ssh_pki_import_privkey_file(argv[4], NULL, NULL, NULL, &key) != SSH_OK) return fail(s, "read key");
    if (ssh_userauth_publickey(s, NULL, key) != SSH_AUTH_SUCCESS) return fail(s, "publickey auth");
    fprintf(stderr, "libssh_client: authenticated; cipher %s\n", ssh_get_cipher_out(s));

    ssh_channel c = ssh_channel_new(s);
    if (ssh_channel_open_session(c) != SSH_OK) return fail(s, "open session");
    if (argc > 6 ? ssh_channel_request_exec(c, argv[6]) != SSH_OK : ssh_channel_request_shell(c) != SSH_OK)
        return fail(s, argc > 6 ? "exec" : "shell");
    if (argc > 6) {
        char in[16384];
        ssize_t n;
        while ((n = read(0, in, sizeof in)) > 0)
            if (ssh_channel_write(c, in, (uint32_t)n) != n) return fail(s, "write");
    }
    ssh_channel_send_eof(c);
    copy(c, 0, 1);
    copy(c, 1, 2);
    int status = ssh_channel_get_exit_status(c);
    fprintf(stderr, "libssh_client: exit status %d\n", status);
    ssh_channel_close(c);
    ssh_channel_free(c);
    ssh_disconnect(s);
    ssh_free(s);
    return status < 0 ? 255 : status;
}
