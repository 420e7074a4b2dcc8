/* The floor for p's connect benchmark: libssh2 called directly from C, blocking, doing what
 * `p _exec` does (connect, handshake, check nothing, authenticate with a key file, exec,
 * read to EOF, read the exit status). Built by bench/connect; not part of p. */
#include <libssh2.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 6) { fprintf(stderr, "usage: %s port user key pubkey command\n", argv[0]); return 2; }
    libssh2_init(0);
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET; a.sin_port = htons(atoi(argv[1])); a.sin_addr.s_addr = inet_addr("127.0.0.1");
    if (connect(s, (struct sockaddr *)&a, sizeof a)) { perror("connect"); return 255; }
    LIBSSH2_SESSION *session = libssh2_session_init();
    if (libssh2_session_handshake(session, s)) { fprintf(stderr, "handshake failed\n"); return 255; }
    if (libssh2_userauth_publickey_fromfile(session, argv[2], argv[4], argv[3], NULL)) { fprintf(stderr, "auth failed\n"); return 255; }
    LIBSSH2_CHANNEL *channel = libssh2_channel_open_session(session);
    if (!channel || libssh2_channel_exec(channel, argv[5])) { fprintf(stderr, "exec failed\n"); return 255; }
    static char buffer[65536];
    for (;;) {
        ssize_t n = libssh2_channel_read(channel, buffer, sizeof buffer);
        if (n > 0) { fwrite(buffer, 1, n, stdout); continue; }
        if (n < 0) { fprintf(stderr, "read failed\n"); return 255; }
        n = libssh2_channel_read_stderr(channel, buffer, sizeof buffer);
        if (n > 0) { fwrite(buffer, 1, n, stderr); continue; }
        if (libssh2_channel_eof(channel)) break;
    }
    libssh2_channel_close(channel);
    libssh2_channel_wait_closed(channel);
    int status = libssh2_channel_get_exit_status(channel);
    libssh2_channel_free(channel);
    libssh2_session_disconnect(session, "bye");
    libssh2_session_free(session);
    close(s);
    return status;
}
