# shellcheck shell=sh
# Reading log $pL of job $J from byte offset $o, including a log that --max-log caps
# (CappedLog): the capper keeps the log's head, drops bytes after it by punching a hole,
# and notes the bytes dropped, "A B" for the range A..<B, in the log's .gap file.

. lib/proc.sh

# The log read: output.log unless the script chose stderr.log (lib/begin.sh sets it).
: "${pL:=output.log}"

# gr: sets ga and gb to the range the log has dropped; a job can write anything into the
# gap file, so anything but two numbers that go forward and end within the log reads as
# none: 0 and 0.
gr() {
	ga=0
	gb=0
	if [ -f "$J/$pL.gap" ]; then
		read -r ga gb <"$J/$pL.gap" 2>/dev/null
		case "$ga:$gb" in *[!0-9:]* | :* | *:) ga=0 gb=0 ;; esac
		if [ ${#ga} -gt 18 ] || [ ${#gb} -gt 18 ] || [ "$ga" -ge "$gb" ]; then
			ga=0
			gb=0
		fi
		if [ "$gb" -gt 0 ]; then
			fsize "$J/$pL"
			if [ "$gb" -gt "$fz" ]; then
				ga=0
				gb=0
			fi
		fi
	fi
}

# gp: prints "/GA/GB" when the log has a gap, else nothing; it follows the log's size in
# the p-end trailer.
gp() {
	gr
	if [ "$gb" -gt 0 ]; then printf "/%s/%s" "$ga" "$gb"; fi
}

# fr OFFSET FILE: writes FILE from OFFSET on: `tail -c +N`, or past 2 GB `dd` by 64 KB
# blocks and then `tail` (BusyBox's tail and head take no number of 2^31 or more).
fr() {
	if [ "$1" -lt 2147483647 ]; then
		tail -c +$(($1 + 1)) "$2"
	else
		dd if="$2" bs=65536 skip=$(($1 / 65536)) 2>/dev/null | tail -c +$(($1 % 65536 + 1))
	fi
}

# rd END: writes the log from offset $o up to END to stdout and moves $o on; stops early,
# returning 1, at the gap. An uncapped log is copied directly, at most 1 GB per `head`.
# For a capped log, bytes below the kept head are never dropped and are copied directly;
# bytes above it are read (1 MB at a time) into a file beside the log first and sent only
# if the gap, read again after the read, does not reach them: the capper announces a gap
# before it punches it, so a read the second look finds clear was made before the punch,
# and no reader ever sends the zeros of a hole.
rd() {
	if [ ! -f "$J/max_log" ]; then
		while [ "$o" -lt "$1" ]; do
			rC=$(($1 - o))
			if [ $rC -gt 1073741824 ]; then rC=1073741824; fi
			fr "$o" "$J/$pL" | head -c $rC
			o=$((o + rC))
		done
		return 0
	fi
	read -r rX <"$J/max_log"
	rH=$((rX / 2 / 4096 * 4096))
	while [ "$o" -lt "$1" ]; do
		if [ "$o" -lt $rH ]; then
			rY=$1
			if [ "$rY" -gt $rH ]; then rY=$rH; fi
			fr "$o" "$J/$pL" | head -c $((rY - o))
			o=$rY
			continue
		fi
		gr
		if [ "$o" -lt "$gb" ]; then return 1; fi
		rC=$(($1 - o))
		if [ $rC -gt 1048576 ]; then rC=1048576; fi
		fr "$o" "$J/$pL" | head -c $rC >"$J/.rd.$$"
		gr
		if [ "$o" -lt "$gb" ]; then
			rm -f "$J/.rd.$$"
			return 1
		fi
		rC=$(($(wc -c <"$J/.rd.$$")))
		if [ $rC = 0 ]; then
			rm -f "$J/.rd.$$"
			return 1
		fi
		cat "$J/.rd.$$"
		rm -f "$J/.rd.$$"
		o=$((o + rC))
	done
	return 0
}
