/// Facts about the linked libssh2 that callers may need to explain behaviour.
public enum LibSSH2Info {
    /// The linked libssh2's version, for example "1.10.0".
    public static var version: String { LibSSH2.version }
    /// Whether RSA keys can sign with rsa-sha2 (libssh2 1.11+); without it OpenSSH 8.8+
    /// refuses RSA user keys and offers no RSA host key libssh2 can check.
    public static var supportsRSASHA2: Bool { LibSSH2.signsRSASHA2 }
}
