/* The floor for p's benchmarks: libssh2 called directly from C, blocking, doing what p does.
 * Built by bench/connect and bench/sftp; not part of p.
 *
 *   libssh2_floor exec     PORT USER KEY PUBKEY COMMAND        run a command, copy its output
 *   libssh2_floor sftp-get PORT USER KEY PUBKEY REMOTE LOCAL   download with 1.2 MB reads
 */
#include <libssh2.h>
#include <libssh2_sftp.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char buffer[1200000];

/* Connects to 127.0.0.1:port and authenticates with the key file; NULL on failure. */
static LIBSSH2_SESSION *connect_session(const char *port, const char *user, const char *key, const char *pubkey) {
    libssh2_init(0);
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET; a.sin_port = htons(atoi(port)); a.sin_addr.s_addr = inet_addr("127.0.0.1");
    if (connect(s, (struct sockaddr *)&a, sizeof a)) { perror("connect"); return NULL; }
    LIBSSH2_SESSION *session = libssh2_session_init();
    if (libssh2_session_handshake(session, s)) { fprintf(stderr, "handshake failed\n"); return NULL; }
    if (libssh2_userauth_publickey_fromfile(session, user, pubkey, key, NULL)) { fprintf(stderr, "auth failed\n"); return NULL; }
    return session;
}

static int run_exec(LIBSSH2_SESSION *session, const char *command) {
    LIBSSH2_CHANNEL *channel = libssh2_channel_open_session(session);
    if (!channel || libssh2_channel_exec(channel, command)) { fprintf(stderr, "exec failed\n"); return 255; }
    for (;;) {
        ssize_t n = libssh2_channel_read(channel, buffer, 65536);
        if (n > 0) { fwrite(buffer, 1, n, stdout); continue; }
        if (n < 0) { fprintf(stderr, "read failed\n"); return 255; }
        n = libssh2_channel_read_stderr(channel, buffer, 65536);
        if (n > 0) { fwrite(buffer, 1, n, stderr); continue; }
        if (libssh2_channel_eof(channel)) break;
    }
    libssh2_channel_close(channel);
    libssh2_channel_wait_closed(channel);
    int status = libssh2_channel_get_exit_status(channel);
    libssh2_channel_free(channel);
    return status;
}

static int run_sftp_get(LIBSSH2_SESSION *session, const char *remote, const char *local) {
    LIBSSH2_SFTP *sftp = libssh2_sftp_init(session);
    LIBSSH2_SFTP_HANDLE *file = sftp ? libssh2_sftp_open(sftp, remote, LIBSSH2_FXF_READ, 0) : NULL;
    if (!file) { fprintf(stderr, "open failed\n"); return 255; }
    int out = open(local, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ssize_t n;
    while ((n = libssh2_sftp_read(file, buffer, sizeof buffer)) > 0) {
        if (write(out, buffer, n) != n) return 1;
    }
    close(out);
    libssh2_sftp_close(file);
    libssh2_sftp_shutdown(sftp);
    return n < 0 ? 255 : 0;
}

int main(int argc, char **argv) {
    int exec = argc == 7 && !strcmp(argv[1], "exec"), get = argc == 8 && !strcmp(argv[1], "sftp-get");
    if (!exec && !get) { fprintf(stderr, "usage: see the comment at the top of libssh2_floor.c\n"); return 2; }
    LIBSSH2_SESSION *session = connect_session(argv[2], argv[3], argv[4], argv[5]);
    if (!session) return 255;
    int status = exec ? run_exec(session, argv[6]) : run_sftp_get(session, argv[6], argv[7]);
    libssh2_session_disconnect(session, "bye");
    libssh2_session_free(session);
    return status;
}
