# shellcheck shell=sh
# Claims the id of a client key's job before anything of it is synced (ClaimJobScript):
# the job's directory made with mkdir, which only one submit can win, holding the
# submit's request (request: one line, KeyedRequest) and a "preparing" stamp.
#
# Arguments: root, id, request.
#
# Prints "claimed" when this submit won. Otherwise what the id already is: "removed" and
# the request of a job that ran and was removed (its tombstone in R/keys); "started", its
# request and pid for a job whose command is in place (after waiting up to 10 s for its
# pid); "preparing" and its request for one another submit is preparing (a stamp under
# 30 s old, or a directory under a minute old without one). A claim abandoned longer is
# taken over: its files are removed and the id claimed again (still answered
# "preparing", with the old request, so the caller compares).
# The arguments (lib/args.sh).
: "${root=}" "${id=}" "${request=}"
umask 077
mkdir -p "$root/jobs" && chmod 700 "$root" "$root/jobs" 2>/dev/null
J=$root/jobs/$id
. lib/stamp.sh

# claim: makes the job's directory and ends the script, when nobody had.
claim() {
	if mkdir "$J" 2>/dev/null; then
		printf "%s\n" "$request" >"$J/request" && stamp "$J/preparing" && echo claimed && exit 0
		rm -rf "$J"
		echo "p: cannot write into $J" >&2
		exit 1
	fi
}

if [ -f "$root/keys/$id" ]; then
	f=
	{ read -r f <"$root/keys/$id"; } 2>/dev/null
	printf "removed\n%s\n" "$f"
	exit 0
fi
claim
f=
{ read -r f <"$J/request"; } 2>/dev/null
if [ -e "$J/cmd" ]; then
	n=0
	while [ ! -s "$J/pid" ] && [ ! -f "$J/exitcode" ] && [ ! -f "$J/queued" ] && [ -d "$J" ] && [ $n -lt 200 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	k=
	{ read -r k <"$J/pid"; } 2>/dev/null
	printf "started\n%s\n%s\n" "$f" "$k"
	exit 0
fi
if fresh "$J/preparing" || { [ ! -f "$J/preparing" ] && [ -z "$(find "$J" -prune -mmin +1 2>/dev/null)" ]; }; then
	printf "preparing\n%s\n" "$f"
	exit 0
fi
chmod -R u+w "$root/workdirs/$id" 2>/dev/null
rm -rf "$J" "$root/workdirs/$id"
claim
printf "preparing\n%s\n" "$f"
