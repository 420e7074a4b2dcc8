# shellcheck shell=bash
# shellcheck disable=SC2034 # the P_DEBS_* and P_BREWS_* lists are read through eval
# What p's build, its tests and its CI need from the system, in one place, and how to get
# it. Sourced by scripts/try, scripts/test and .ci/run:
#
#   . scripts/requirements.sh
#   p_require NAME build test        installs what is missing, or stops saying what to run
#
# Sets: build (compiling p), try (scripts/try's demo sshd), test (the whole suite), ci (the
# container engine and what builds its base image), package (scripts/package).
#
# Debian and Ubuntu: apt-get (as root, or through `sudo -n`); macOS: Homebrew. Silent when
# nothing is missing; says what it installs; never prompts.

# Debian/Ubuntu packages. libcurl's headers: p-server linked with the Swift runtime and
# Foundation built in (--static-swift-stdlib, how p is installed) needs FoundationNetworking's
# libcurl at link time (the MCP SDK's HTTP transports use it).
P_DEBS_build="libssh2-1-dev pkg-config libcurl4-openssl-dev"
P_DEBS_try="openssh-server openssh-client python3"
P_DEBS_test="openssh-server openssh-client rsync git python3 python3-venv procps iproute2 tar dash zsh busybox slurmctld slurmd slurm-client munge shellcheck chromium chromium-driver"
P_DEBS_ci="docker.io docker-compose debootstrap"
# scripts/package: dpkg-shlibdeps (the .deb's Depends), dpkg-deb's xz, and Ruby to check the
# Homebrew formula's syntax.
P_DEBS_package="dpkg-dev xz-utils ruby"
# Homebrew formulae (macOS has ssh, sshd, tar and python3 of its own).
P_BREWS_build="libssh2 pkg-config"
P_BREWS_try=""
P_BREWS_test="rsync shellcheck"
P_BREWS_ci=""
P_BREWS_package=""

# The packages of `sets` (build, test, ci) that are not installed, on this system's
# package manager.
p_missing() {
  local manager=$1; shift
  local set package list=""
  for set in "$@"; do
    if [ "$manager" = apt ]; then eval "list=\"\$list \$P_DEBS_$set\""; else eval "list=\"\$list \$P_BREWS_$set\""; fi
  done
  for package in $list; do
    case $manager in
      apt) [ "$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null)" = installed ] || echo "$package" ;;
      brew) brew list --versions "$package" >/dev/null 2>&1 || echo "$package" ;;
    esac
  done
}

# Installs what `sets` need and is missing; `who` names the caller in messages.
p_require() {
  local who=$1; shift
  if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then export PATH=/opt/swift/usr/bin:$PATH; fi
  command -v swift >/dev/null 2>&1 || {
    echo "$who: Swift 6 is not installed; get it from https://www.swift.org/install and run $who again" >&2
    exit 1
  }
  local missing
  if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    missing=$(p_missing apt "$@" | tr '\n' ' ')
    [ -n "${missing% }" ] || return 0
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
      if sudo -n true 2>/dev/null; then sudo="sudo -n"; else
        echo "$who: missing packages: ${missing% }. Install them with: sudo apt-get install ${missing% }" >&2
        exit 1
      fi
    fi
    echo "$who: installing ${missing% } (apt-get)" >&2
    local start=$SECONDS
    local log
    log=$(mktemp)
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 &&
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
        </dev/null >>"$log" 2>&1 || {
      tail -n 15 "$log" >&2
      rm -f "$log"
      echo "$who: apt-get could not install ${missing% }; install them by hand: sudo apt-get install ${missing% }" >&2
      exit 1
    }
    rm -f "$log"
    echo "$who: installed in $((SECONDS - start)) s" >&2
  elif [ "$(uname -s)" = Darwin ] && command -v brew >/dev/null 2>&1; then
    missing=$(p_missing brew "$@" | tr '\n' ' ')
    [ -n "${missing% }" ] || return 0
    echo "$who: installing ${missing% } (brew)" >&2
    HOMEBREW_NO_AUTO_UPDATE=1 brew install $missing </dev/null >/dev/null || {
      echo "$who: brew could not install ${missing% }; install them by hand: brew install ${missing% }" >&2
      exit 1
    }
  else
    local set debs=""
    for set in "$@"; do eval "debs=\"\$debs \$P_DEBS_$set\""; done
    echo "$who: cannot check packages on this system; make sure these (Debian names) are installed:$debs" >&2
  fi
}
