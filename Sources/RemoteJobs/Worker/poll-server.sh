# shellcheck shell=sh
# Serves polls over one long-lived exec (PollServerScript), so a poll costs no channel, no
# login and no shell start. After its p-begin line and a line "pid PID", each stdin line
# "OFFSET MAX STREAM J" (stderr: stderr.log, else the log) is answered with the line
# "COUNT p-end SIZE FACTS" (or "0 p-end missing") and then exactly COUNT bytes of the log
# from OFFSET. The size is measured before the read and the log only grows, so the count
# is exact; a capped log is read first (rd), and the count is what was read. A line
# "load 0 load ROOT" is answered with "COUNT p-load" and COUNT bytes: the worker's load
# under ROOT, with detail (lib/load.sh), for a dashboard that measures often.
echo "pid $$"
. lib/job.sh
. lib/load.sh
while read -r o m g J; do
	if [ "$o" = load ]; then
		t=$(
			R=$J
			load_measure 1
		)
		load_header $((${#t} + 1))
		printf "%s\n" "$t"
		continue
	fi
	pL=output.log
	if [ "$g" = stderr ]; then pL=stderr.log; fi
	if [ ! -d "$J" ]; then
		printf "0 "
		missing_line
		continue
	fi
	f=$(facts)
	# The size and the gap are read in this shell: a fork less each, per job per look.
	fsize "$J/$pL"
	n=$fz
	gr
	G=
	if [ "$gb" -gt 0 ]; then G=/$ga/$gb; fi
	c=0
	if [ "$n" -gt "$o" ]; then
		c=$((n - o))
		if [ $c -gt "$m" ]; then c=$m; fi
	fi
	if [ "$c" -gt 0 ] && [ -f "$J/max_log" ]; then
		y=$((o + c))
		k=$o
		rd $y >"$J/.ps.$$"
		c=$((o - k))
		printf "%s " "$c"
		end_line "$n" "$G" "$f"
		cat "$J/.ps.$$"
		rm -f "$J/.ps.$$"
	else
		printf "%s " "$c"
		end_line "$n" "$G" "$f"
		if [ "$c" -gt 0 ]; then fr "$o" "$J/$pL" | head -c "$c"; fi
	fi
done
