#!/usr/bin/env bash
# Creates the keys the compose setup shares between the sshd container and the test runner
# (kept when they exist; the known_hosts line is written anew):
#   DIR/host/ssh_host_*_key           the server's host keys
#   DIR/client/id_ed25519             the client key, authorized in DIR/client/authorized_keys
#   DIR/client/known_hosts            the server's ed25519 key under HOST:PORT
# Usage: make-test-keys.sh DIR HOST PORT
set -euo pipefail
dir=$1 host=$2 port=$3
mkdir -p "$dir/host" "$dir/client"
for type in ed25519 ecdsa rsa; do
  [ -f "$dir/host/ssh_host_${type}_key" ] || ssh-keygen -q -t "$type" -N '' -C p-compose-host -f "$dir/host/ssh_host_${type}_key"
done
[ -f "$dir/client/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C p-compose-client -f "$dir/client/id_ed25519"
cp "$dir/client/id_ed25519.pub" "$dir/client/authorized_keys"
echo "[$host]:$port $(cut -d' ' -f1,2 "$dir/host/ssh_host_ed25519_key.pub")" > "$dir/client/known_hosts"
# Private keys stay private (sshd and the test runner are root); public ones are readable,
# since sshd reads authorized_keys with the test user's rights.
chmod 755 "$dir" "$dir/client"
chmod 700 "$dir/host"
chmod 600 "$dir"/host/*_key "$dir/client/id_ed25519"
chmod 644 "$dir/client/authorized_keys" "$dir/client/known_hosts" "$dir/client/id_ed25519.pub"
# Made in a container as root for a directory someone else owns (a bind mount): the client
# side is theirs, so the tests on the host can read the client key.
owner=$(stat -c %u:%g "$dir")
[ "$owner" = 0:0 ] || chown -R "$owner" "$dir/client"
