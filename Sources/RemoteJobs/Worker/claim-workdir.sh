# shellcheck shell=sh
# Takes a persistent work directory (--workdir NAME) for a job before it is synced
# (ClaimWorkdirScript): R/workdirs/NAME.lock, a symbolic link naming the job that holds
# it, changed under a short mkdir lock of its own.
#
# Arguments: root, name, id (the job taking it), takeover (a job of the same submit whose
# claim may be taken over, or empty).
#
# Prints "claimed [OLD]" (OLD: the job whose stale claim was taken over), or "busy HOLDER
# running|preparing" when a job that has not ended holds it: running (its process is
# alive) or preparing (its stamp under 30 s old).
# The arguments (lib/args.sh).
: "${root=}" "${id=}" "${name=}" "${takeover=}"
umask 077
mkdir -p "$root/workdirs" "$root/jobs/$id" && cd "$root" || exit 1
chmod 700 . jobs workdirs 2>/dev/null
. lib/facts.sh
. lib/stamp.sh

L=workdirs/$name.lock
n=0
until mkdir "$L.m" 2>/dev/null || [ $n -ge 100 ]; do
	sleep 0.05
	n=$((n + 1))
done
h=$(readlink "$L" 2>/dev/null)
b=0
w=
g=
if [ -n "$h" ] && [ "$h" != "$id" ] && [ -d "jobs/$h" ] && [ ! -f "jobs/$h/exitcode" ]; then
	p=
	read -r p <"jobs/$h/pid" 2>/dev/null
	if [ -n "$p" ]; then
		if up; then
			b=1
			w=running
		fi
	elif [ "$h" != "$takeover" ] && fresh "jobs/$h/preparing"; then
		b=1
		w=preparing
	else
		g=$h
	fi
fi
if [ $b = 1 ]; then
	rmdir "$L.m"
	echo "busy $h $w"
	exit 0
fi
rm -f "$L"
ln -s "$id" "$L"
stamp "jobs/$id/preparing"
rmdir "$L.m"
echo "claimed $g"
