# shellcheck shell=sh
# A piece of a job's log as it stands now, then the trailer (PollScript): at most max
# bytes (all: no limit) from offset, or with lines above 0 its last lines (from the last
# 64 MB at most; for a capped log, those after the part dropped). A capped log's part
# dropped ends the piece early. The size is measured before the read, so the facts
# describe at least the bytes returned.
#
# Arguments: job (R/jobs/ID), offset, max, lines, stream (stdout or stderr).
# The arguments (lib/args.sh).
: "${job=}" "${stream=}" "${lines=}" "${offset=}" "${max=}"
J=$job
if [ "$stream" = stderr ]; then pL=stderr.log; fi
. lib/job.sh
need_job
f=$(facts)
n=$(size)
if [ "$lines" -gt 0 ]; then
	if [ -f "$J/max_log" ]; then
		i=0
		while :; do
			gr
			s=$gb
			n=$(size)
			fr "$s" "$J/$pL" | head -c $((n - s)) | tail -n "$lines" >"$J/.rd.$$"
			gr
			if [ "$gb" = "$s" ] || [ $i -ge 5 ]; then break; fi
			i=$((i + 1))
		done
		cat "$J/.rd.$$"
		rm -f "$J/.rd.$$"
	else
		s=0
		if [ "$n" -gt 67108864 ]; then s=$((n - 67108864)); fi
		fr $s "$J/$pL" | head -c $((n - s)) | tail -n "$lines"
	fi
elif [ "$n" -le "$offset" ]; then
	:
elif [ "$max" = all ]; then
	o=$offset
	rd "$n"
else
	o=$offset
	y=$((offset + max))
	if [ $y -gt "$n" ]; then y=$n; fi
	rd "$y"
fi
end_line "$n" "$(gp)" "$f" >&2
