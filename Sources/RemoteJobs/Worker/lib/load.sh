# shellcheck shell=sh
# A worker's load, for placement (load.sh) and the dashboard (the poll server's "load"
# request).

. lib/gpus.sh

# load_measure DETAIL: prints, for the root $R, "cpus N", "load L" (the 1-minute load
# average, or -), "mem KB" (available memory, or -), "running N", "queued N" (p's jobs of
# the root) and "gpus TOTAL FREE"; with DETAIL 1 also "memtotal KB" and a line "gpu INDEX
# USE% USED_MIB TOTAL_MIB" per GPU nvidia-smi lists (digits only: a GPU that cannot say is
# left out). Every line is ASCII, so a caller may count its bytes as characters.
load_measure() {
	n=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || echo 1)
	l=-
	if [ -r /proc/loadavg ]; then read -r l _ </proc/loadavg; fi
	m=$(awk "/^MemAvailable:/ {print \$2}" /proc/meminfo 2>/dev/null)
	r=0
	q=0
	for j in "$R"/jobs/*; do
		if [ -f "$j/queued" ]; then
			q=$((q + 1))
			continue
		fi
		if [ -f "$j/exitcode" ] || [ ! -f "$j/pid" ]; then continue; fi
		read -r k <"$j/pid"
		case $k in "" | *[!0-9]*) continue ;; esac
		if [ "$k" -gt 1 ] && kill -0 "$k" 2>/dev/null; then r=$((r + 1)); fi
	done
	printf "cpus %s\nload %s\nmem %s\nrunning %s\nqueued %s\n" "$n" "$l" "${m:--}" $r $q
	gcount
	if [ "$1" = 1 ]; then
		m=$(awk "/^MemTotal:/ {print \$2}" /proc/meminfo 2>/dev/null)
		printf "memtotal %s\n" "${m:--}"
		if command -v nvidia-smi >/dev/null 2>&1; then
			nvidia-smi --query-gpu=index,utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits 2>/dev/null |
				tr -d " " | while IFS=, read -r i u k x; do
					case $i$u$k$x in "" | *[!0-9]*) continue ;; esac
					printf "gpu %s %s %s %s\n" "$i" "$u" "$k" "$x"
				done
		fi
	fi
}
