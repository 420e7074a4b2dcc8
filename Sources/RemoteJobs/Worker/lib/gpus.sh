# shellcheck shell=sh
# The worker's GPUs: a GPU is claimed by a job with the directory
# R/gpus/INDEX, holding the job's id in its "job" file, made with mkdir (one step, so two
# launches never claim one GPU). A claim whose job ended, vanished, or whose leader died
# is stale and taken back by the next launch; a GPU nvidia-smi shows busy with a process
# p did not start is never handed out.

. lib/proc.sh
. lib/queue.sh

# gstale DIR: whether the claim of job directory DIR no longer holds.
gstale() {
	[ -d "$1" ] || return 0
	[ -f "$1/exitcode" ] && return 0
	[ -f "$1/queued" ] && return 1
	launching "$1" && return 1
	[ -f "$1/pid" ] || return 1
	! leader "$1"
}

# gfree: sets y to the indexes of the free GPUs (space-separated) and t to how many the
# worker has.
gfree() {
	y=
	t=0
	command -v nvidia-smi >/dev/null 2>&1 || return 0
	b=$(nvidia-smi --query-compute-apps=gpu_uuid --format=csv,noheader 2>/dev/null | tr -d " ")
	for l in $(nvidia-smi --query-gpu=index,uuid --format=csv,noheader 2>/dev/null | tr -d " "); do
		t=$((t + 1))
		i=${l%%,*}
		u=${l#*,}
		case $i in "" | *[!0-9]*) continue ;; esac
		case $b in *"$u"*) continue ;; esac
		g=$R/gpus/$i
		if [ -d "$g" ]; then
			o=
			read -r o <"$g/job" 2>/dev/null
			if [ -n "$o" ] && gstale "$R/jobs/$o"; then
				rm -rf "$g"
			else
				continue
			fi
		fi
		y="$y $i"
	done
}

# gcount: prints "gpus TOTAL FREE".
gcount() {
	gfree
	# shellcheck disable=SC2086 # y is a list of numbers
	set -- $y
	printf "gpus %s %s\n" $t $#
}

# gclaim COUNT ID: claims COUNT free GPUs for job ID and hands them to it
# (CUDA_VISIBLE_DEVICES in its env file, and its gpus file); fails, claiming none, when
# fewer are free.
gclaim() {
	if ! command -v nvidia-smi >/dev/null 2>&1; then
		echo "p: --gpus needs nvidia-smi on the worker, and its PATH has none" >&2
		return 1
	fi
	mkdir -p "$R/gpus"
	gfree
	v=
	c=0
	for i in $y; do
		if [ $c -ge "$1" ]; then break; fi
		if mkdir "$R/gpus/$i" 2>/dev/null; then
			echo "$2" >"$R/gpus/$i/job"
			v=$v${v:+,}$i
			c=$((c + 1))
		fi
	done
	if [ $c -lt "$1" ]; then
		for i in $(echo "$v" | tr "," " "); do rm -rf "$R/gpus/$i"; done
		echo "p: $1 GPU(s) asked for, and $c of the $t GPUs of the worker are free" >&2
		return 1
	fi
	printf "export CUDA_VISIBLE_DEVICES=%s\n" "$v" >>"$J/env" && echo "$v" >"$J/gpus"
}

# grelease: gives back the GPUs job $J claimed (its wrapper, once the job ended).
grelease() {
	if [ -f "$J/gpus" ]; then
		for i in $(tr "," " " <"$J/gpus"); do
			o=
			read -r o <"$R/gpus/$i/job" 2>/dev/null
			if [ "$o" = "${J##*/}" ]; then rm -rf "$R/gpus/$i"; fi
		done
	fi
}
