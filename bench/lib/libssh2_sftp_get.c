/* The floor for p's SFTP download benchmark: libssh2 called from C, blocking, reading a
 * remote file with 1 MB buffers into a local file. Built by bench/sftp; not part of p. */
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

int main(int argc, char **argv) {
    if (argc != 7) { fprintf(stderr, "usage: %s port user key pubkey remote local\n", argv[0]); return 2; }
    libssh2_init(0);
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET; a.sin_port = htons(atoi(argv[1])); a.sin_addr.s_addr = inet_addr("127.0.0.1");
    if (connect(s, (struct sockaddr *)&a, sizeof a)) { perror("connect"); return 255; }
    LIBSSH2_SESSION *session = libssh2_session_init();
    if (libssh2_session_handshake(session, s)) return 255;
    if (libssh2_userauth_publickey_fromfile(session, argv[2], argv[4], argv[3], NULL)) return 255;
    LIBSSH2_SFTP *sftp = libssh2_sftp_init(session);
    LIBSSH2_SFTP_HANDLE *file = sftp ? libssh2_sftp_open(sftp, argv[5], LIBSSH2_FXF_READ, 0) : NULL;
    if (!file) { fprintf(stderr, "open failed\n"); return 255; }
    int out = open(argv[6], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    static char buffer[1200000];
    ssize_t n;
    while ((n = libssh2_sftp_read(file, buffer, sizeof buffer)) > 0) {
        if (write(out, buffer, n) != n) return 1;
    }
    close(out);
    libssh2_sftp_close(file);
    libssh2_sftp_shutdown(sftp);
    libssh2_session_disconnect(session, "bye");
    libssh2_session_free(session);
    return n < 0 ? 255 : 0;
}
