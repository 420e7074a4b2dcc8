#!/usr/bin/env bash
# Starts a single-node Slurm cluster on 127.0.0.1 from Debian's packages (slurmctld, slurmd,
# slurm-client, munge), everything in DIR: a munge key and daemon, slurm.conf, the state and
# spool directories, logs and pid files. Nothing outside DIR is written; clients find the
# cluster through SLURM_CONF=DIR/slurm.conf. Prints `SLURM_CONF=...` once the node is idle.
# Needs root (slurmd starts jobs as their users).
#
#   docker/slurm/start-slurm.sh DIR [CPUS] [--watch-pid PID]
#                                               start (DIR is created, and must be new or empty);
#                                               with --watch-pid, stop when that process ends
#   docker/slurm/start-slurm.sh --stop DIR      stop the daemons started in DIR, by their pids
set -euo pipefail
fail() { echo "start-slurm: $*" >&2; exit 1; }
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

if [ "${1:-}" = --stop ]; then
  dir=${2:?usage: start-slurm.sh --stop DIR}
  for daemon in slurmd slurmctld munged; do
    [ -s "$dir/$daemon.pid" ] || continue
    pid=$(cat "$dir/$daemon.pid")
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  exit 0
fi

dir=${1:?usage: start-slurm.sh DIR [CPUS] [--watch-pid PID]}
cpus=$(nproc); watch_pid=
shift
while [ $# -gt 0 ]; do
  case $1 in
    --watch-pid) watch_pid=${2:?--watch-pid needs a pid}; shift 2 ;;
    *) cpus=$1; shift ;;
  esac
done
[ "$(id -u)" = 0 ] || fail "needs root (slurmd runs jobs as their users)"
for tool in munged slurmctld slurmd sbatch scontrol sinfo; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing: apt-get install slurmctld slurmd slurm-client munge"
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# Users submit from sessions of their own: the socket's and the configuration's directory
# must be open to them; the key and the state are root's alone.
chmod 755 "$dir"
mkdir -p "$dir/munge" "$dir/state" "$dir/spool"
chmod 755 "$dir/munge"
chmod 700 "$dir/state" "$dir/spool"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/munge/munge.key"
munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
  --log-file="$dir/munged.log" --pid-file="$dir/munged.pid" --seed-file="$dir/munge/munged.seed" \
  || fail "munged did not start (see $dir/munged.log)"

memory=$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)
cat > "$dir/slurm.conf" <<CONF
ClusterName=p-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CryptoType=crypto/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
# The node is what this file says, even with more CPUs than the machine has.
SlurmdParameters=config_overrides
NodeName=p-node NodeHostname=$(hostname -s) NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
chmod 644 "$dir/slurm.conf"
export SLURM_CONF=$dir/slurm.conf
slurmctld -i -f "$SLURM_CONF" || fail "slurmctld did not start (see $dir/slurmctld.log)"
slurmd -f "$SLURM_CONF" -N p-node || fail "slurmd did not start (see $dir/slurmd.log)"
for _ in $(seq 1 200); do
  state=$(sinfo -h -N -o %T 2>/dev/null | head -n 1)
  case $state in
    idle*)
      if [ -n "$watch_pid" ]; then
        # The daemons go when the watched process (a test run) ends, however it ends.
        nohup sh -c "while kill -0 $watch_pid 2>/dev/null; do sleep 1; done; exec '$self' --stop '$dir'" \
          >/dev/null 2>&1 &
      fi
      echo "SLURM_CONF=$SLURM_CONF"; exit 0 ;;
  esac
  sleep 0.1
done
fail "the node did not become idle within 20 s (state: ${state:-none}; see $dir/slurmctld.log and $dir/slurmd.log)"
