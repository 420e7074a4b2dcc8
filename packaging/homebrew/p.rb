# Homebrew formula for p: builds from source with the Swift toolchain Homebrew's users have
# (Xcode's, or the swift formula) and links Homebrew's libssh2. Not tested on macOS here (no
# macOS machine); `ruby -c` checks its syntax in scripts/package.
class P < Formula
  desc "Run commands on remote workers over SSH, keep them running, watch them"
  homepage "https://github.com/p-developers/p"
  url "https://github.com/p-developers/p/archive/refs/tags/v0.1.0.tar.gz"
  # The release's checksum goes here when the release is tagged.
  sha256 "0000000000000000000000000000000000000000000000000000000000000000"
  license "Apache-2.0"
  head "https://github.com/p-developers/p.git", branch: "main"

  depends_on "pkg-config" => :build
  depends_on xcode: ["16.0", :build]
  depends_on "libssh2"

  def install
    system "swift", "build", "--disable-sandbox", "-c", "release", "--product", "p"
    system "swift", "build", "--disable-sandbox", "-c", "release", "--product", "p-server"
    bin_path = Utils.safe_popen_read("swift", "build", "-c", "release", "--show-bin-path").strip
    bin.install "#{bin_path}/p", "#{bin_path}/p-server"
    man1.install "docs/man/p.1"
    generate_completions_from_executable(bin/"p", "--generate-completion-script")
  end

  test do
    assert_equal version.to_s, shell_output("#{bin}/p --version").strip
    output = pipe_output("#{bin}/p mcp",
      '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",' \
      '"capabilities":{},"clientInfo":{"name":"brew","version":"1"}}}' + "\n")
    assert_match "serverInfo", output
  end
end
