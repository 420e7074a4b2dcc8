#!/usr/bin/env bash
# The container's entry point: starts the single-node cluster (state in /var/lib/p-slurm,
# P_SLURM_CPUS CPUs, 4 by default), links its configuration where Slurm's commands look for
# it, then runs sshd in the foreground with the arguments given (see start-sshd.sh).
set -euo pipefail
start-slurm.sh /var/lib/p-slurm "${P_SLURM_CPUS:-4}" >/dev/null
mkdir -p /etc/slurm
ln -sf /var/lib/p-slurm/slurm.conf /etc/slurm/slurm.conf
exec start-sshd.sh --foreground "$@"
