#!/usr/bin/env bash
# Starts an OpenSSH server for p's tests and for the docker/ worker container.
#
#   start-sshd.sh --port 2222 --state-dir DIR --authorized-keys FILE
#                 [--listen 127.0.0.1] [--foreground] [--watch-pid PID] [--password-auth]
#                 [--option 'Keyword value']...
#
# DIR receives the host keys (generated once: ed25519, ecdsa, rsa), sshd_config, the pid
# file and sshd.log. In the background (the default) the script returns once sshd accepts
# connections and prints "ready PORT"; with --watch-pid, sshd is stopped when that process
# ends, so a crashed test run leaves nothing behind. --foreground execs sshd (containers).
set -euo pipefail

listen=127.0.0.1 port='' state='' authorized='' foreground=0 watch_pid='' password=no
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --listen) listen=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --state-dir) state=$2; shift 2 ;;
    --authorized-keys) authorized=$2; shift 2 ;;
    --foreground) foreground=1; shift ;;
    --watch-pid) watch_pid=$2; shift 2 ;;
    --password-auth) password=yes; shift ;;
    --option) extra+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "start-sshd.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$port" ] && [ -n "$state" ] && [ -n "$authorized" ] || {
  echo "start-sshd.sh: --port, --state-dir and --authorized-keys are required" >&2; exit 2; }

sshd=$(command -v sshd || echo /usr/sbin/sshd)
[ -x "$sshd" ] || { echo "start-sshd.sh: sshd not found; install openssh-server" >&2; exit 3; }

mkdir -p "$state"
chmod 700 "$state"
for type in ed25519 ecdsa rsa; do
  key="$state/ssh_host_${type}_key"
  [ -f "$key" ] || ssh-keygen -q -t "$type" -N '' -f "$key" -C "p-test-host"
done
# sshd running as root needs its privilege-separation directory.
if [ "$(id -u)" = 0 ]; then mkdir -p /run/sshd && chmod 755 /run/sshd; fi

case "$listen" in *:*) address="[$listen]:$port" ;; *) address="$listen:$port" ;; esac
config="$state/sshd_config"
{
  # sshd keeps the first value of a keyword: the caller's options come first so they win.
  for option in "${extra[@]+"${extra[@]}"}"; do echo "$option"; done
  echo "ListenAddress $address"
  for type in ed25519 ecdsa rsa; do echo "HostKey $state/ssh_host_${type}_key"; done
  echo "PidFile $state/sshd.pid"
  echo "AuthorizedKeysFile $authorized"
  # The test directories live under /tmp, whose permissions StrictModes would refuse.
  echo "StrictModes no"
  echo "UsePAM no"
  echo "PasswordAuthentication $password"
  echo "KbdInteractiveAuthentication no"
  echo "PermitRootLogin $( [ "$password" = yes ] && echo yes || echo prohibit-password )"
  echo "PubkeyAuthentication yes"
  echo "Subsystem sftp internal-sftp"
  echo "MaxStartups 200"
  # Tests run 20 commands at once on one connection; sshd allows 10 by default.
  echo "MaxSessions 64"
  echo "LogLevel VERBOSE"
} > "$config"

"$sshd" -t -f "$config"

if [ "$foreground" = 1 ]; then
  exec "$sshd" -D -e -f "$config"
fi

rm -f "$state/sshd.pid"
"$sshd" -f "$config" -E "$state/sshd.log"
for _ in $(seq 1 100); do
  [ -s "$state/sshd.pid" ] && (exec 3<>"/dev/tcp/$listen/$port") 2>/dev/null && break
  sleep 0.05
done
[ -s "$state/sshd.pid" ] || { echo "start-sshd.sh: sshd did not start; see $state/sshd.log" >&2; cat "$state/sshd.log" >&2 || true; exit 1; }
pid=$(cat "$state/sshd.pid")
if [ -n "$watch_pid" ]; then
  # Stop sshd (and its sessions) when the watched process ends.
  nohup sh -c "while kill -0 $watch_pid 2>/dev/null && kill -0 $pid 2>/dev/null; do sleep 1; done; kill $pid 2>/dev/null; pkill -P $pid 2>/dev/null; true" \
    >/dev/null 2>&1 </dev/null &
fi
echo "ready $port"
