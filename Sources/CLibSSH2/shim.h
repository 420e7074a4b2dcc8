#ifndef P_CLIBSSH2_SHIM_H
#define P_CLIBSSH2_SHIM_H

// Thin wrappers for libssh2's function-like macros and for calls that exist only in newer
// releases. Nothing else belongs here: all logic lives in Swift.

#include <string.h>
#include <libssh2.h>
#include <libssh2_sftp.h>
#if __has_include(<openssl/crypto.h>)
#include <openssl/crypto.h>
#endif

/// Keeps OpenSSL (libssh2's crypto backend) from freeing its global state in an atexit
/// handler: a session thread still encrypting a keepalive while the process exits would
/// otherwise crash in OpenSSL's freed locks. Call before libssh2_init.
static inline void p_crypto_disable_atexit_cleanup(void) {
#if defined(OPENSSL_INIT_NO_ATEXIT)
    OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
#endif
}

/// 1 when the linked headers provide libssh2_channel_get_exit_status's companion
/// libssh2_channel_has_exit_status (1.11+), which tells "exited 0" from "nothing received".
static inline int p_libssh2_can_tell_missing_exit_status(void) {
#if LIBSSH2_VERSION_NUM >= 0x010b00
    return 1;
#else
    return 0;
#endif
}

/// 1 if an exit status arrived, 0 if none did; -1 when this libssh2 cannot tell (1.10).
static inline int p_libssh2_channel_has_exit_status(LIBSSH2_CHANNEL *channel) {
#if LIBSSH2_VERSION_NUM >= 0x010b00
    return libssh2_channel_has_exit_status(channel) ? 1 : 0;
#else
    (void)channel;
    return -1;
#endif
}

/// Sends a signal to the remote process where libssh2 supports it (1.11+); returns
/// LIBSSH2_ERROR_REQUEST_DENIED on older releases.
static inline int p_libssh2_channel_signal(LIBSSH2_CHANNEL *channel, const char *name) {
#if LIBSSH2_VERSION_NUM >= 0x010b00
    return libssh2_channel_signal_ex(channel, name, strlen(name));
#else
    (void)channel; (void)name;
    return LIBSSH2_ERROR_REQUEST_DENIED;
#endif
}

/// libssh2 1.10 cannot sign with rsa-sha2-256/512 (OpenSSH 8.8+ refuses ssh-rsa signatures).
static inline int p_libssh2_signs_rsa_sha2(void) {
#if LIBSSH2_VERSION_NUM >= 0x010b00
    return 1;
#else
    return 0;
#endif
}

static inline LIBSSH2_CHANNEL *p_libssh2_channel_open_session(LIBSSH2_SESSION *session,
                                                              unsigned int window) {
    return libssh2_channel_open_ex(session, "session", sizeof("session") - 1, window,
                                   LIBSSH2_CHANNEL_PACKET_DEFAULT, NULL, 0);
}

static inline int p_libssh2_channel_exec(LIBSSH2_CHANNEL *channel, const char *command,
                                         unsigned int length) {
    return libssh2_channel_process_startup(channel, "exec", sizeof("exec") - 1, command, length);
}

static inline int p_libssh2_channel_subsystem(LIBSSH2_CHANNEL *channel, const char *name, unsigned int length) {
    return libssh2_channel_process_startup(channel, "subsystem", sizeof("subsystem") - 1, name, length);
}

static inline int p_libssh2_session_disconnect(LIBSSH2_SESSION *session, const char *why) {
    return libssh2_session_disconnect_ex(session, SSH_DISCONNECT_BY_APPLICATION, why, "");
}

#endif
