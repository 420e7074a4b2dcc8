# shellcheck shell=sh
# Measures a worker's load for placement (LoadScript): prints "cpus N", "load L" (the
# 1-minute load average, or -), "mem KB" (available memory, or -), "running N", "queued N"
# (p's jobs of the root) and "gpus TOTAL FREE". With detail=1 (the dashboard's probe) also
# "memtotal KB" and a line "gpu INDEX USE% USED_MIB TOTAL_MIB" per GPU nvidia-smi lists.
#
# Arguments: root, detail.
# The arguments (lib/args.sh).
: "${root=}" "${detail=}"
. lib/load.sh
R=$root
load_measure "$detail"
