# shellcheck shell=sh
# Starts the making of a spare copy of the job's work directory (make-spare.sh), for a
# launch of a job whose fresh work directory was just synced (launch.sh), before the job
# starts. Needs GNU find (timestamps to the nanosecond, -printf); elsewhere nothing is
# made and the next sync copies from the last work directory as before.
#
# The mark J/spare-mark is the moment the sync had finished; the launch goes on only once
# the file system's clock has moved past it (a few milliseconds at most), so anything the
# job changes has a later status-change time than the mark, even on a coarse clock. A file
# system whose clock does not move within some forty looks (whole-second times) gets no
# spare: the launch is not held up for it.
#
# Uses J, W and R (lib/job-files.sh), and the launch's arguments id, spare (the text of
# make-spare.sh; empty: no copy), spare_drop and spare_need.
: "${id=}" "${spare=}" "${spare_drop=}" "${spare_need=}"

# spare_begin: marks the moment and starts the copy, detached.
spare_begin() {
	[ -n "$spare" ] && find . -maxdepth 0 -printf "" >/dev/null 2>&1 || return 0
	: >"$J/spare-mark" || return 0
	n=0
	rm -f "$J/spare-tick"
	: >"$J/spare-tick"
	until [ -n "$(find "$J/spare-tick" -newer "$J/spare-mark" 2>/dev/null)" ]; do
		n=$((n + 1))
		if [ $n -gt 40 ]; then
			rm -f "$J/spare-tick" "$J/spare-mark"
			return 0
		fi
		rm -f "$J/spare-tick"
		: >"$J/spare-tick"
	done
	rm -f "$J/spare-tick"
	# In a session of its own where setsid exists, so no hangup of the launch reaches it.
	E=
	if command -v setsid >/dev/null 2>&1; then E=setsid; fi
	($E nice -n 10 sh -c "$spare" make-spare root="$R" id="$id" workdir="$W" drop="$spare_drop" \
		need="$spare_need" </dev/null >/dev/null 2>&1 &)
}
