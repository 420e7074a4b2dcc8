# shellcheck shell=sh
# Makes the spare copy of a fresh work directory just synced (R/spares/ID), detached, while
# the job runs, so the next sync from the same directory to this worker takes it by a
# rename (make-directories.sh) instead of copying the tree before its job can start: the
# copy costs the time between two runs, not the next run's start. Started by a launch
# (lib/spare.sh) after it marked the moment the sync had finished (J/spare-mark).
#
# Arguments: root, id (the job), workdir (its work directory), drop (the id of the spare
# this one replaces, removed; empty for none), need (the synced files' size in KB).
#
# Only what the sync wrote is copied: regular files whose status has not changed since
# the mark (ctime, which no process can set back). A file the job changed while it was
# being copied may be torn in the copy, so every file changed after the mark is removed
# from the copy after it was made: the spare holds the sync's files, or lacks some, and
# the next sync checks each file's size, mtime and mode before keeping it. The copy is
# made only with at least twice its size free on the disk, never from a work directory the
# job replaced with a link, and is discarded if the job's files were removed meanwhile
# (p rm). R/spares/ID.making holds the maker's pid while it works, so a sync that wants
# the spare waits for it.
# The arguments (lib/args.sh).
: "${root=}" "${id=}" "${workdir=}" "${drop=}" "${need=}"
. lib/args.sh
umask 077
S=$root/spares
J=$root/jobs/$id
M=$J/spare-mark
T=$S/.new-$id
mkdir -p "$S" || exit 0
echo $$ >"$S/$id.making"

# done_: removes what is left of an unfinished copy and the maker's files.
done_() {
	chmod -R u+w "$T" 2>/dev/null
	rm -rf "$T"
	rm -f "$S/$id.making" "$M"
	exit 0
}

case $drop in
"" | *[!0-9a-z-]*) ;;
*) chmod -R u+w "$S/$drop" 2>/dev/null && rm -rf "${S:?}/$drop" ;;
esac
find "$S" -maxdepth 1 -name ".new-*" -mmin +600 -exec rm -rf {} + 2>/dev/null
a=$(df -Pk "$S" 2>/dev/null | awk "NR == 2 { print \$4 }")
case $a in "" | *[!0-9]*) done_ ;; esac
if [ "$a" -lt $((${need:-0} * 2)) ]; then done_; fi
# The work directory itself, not what a job may have put in its place (a link would
# bring whatever it points to into the next job's directory).
if ! { [ -f "$M" ] && [ -d "$workdir" ] && [ ! -L "$workdir" ] && cd -P "$workdir" && mkdir "$T"; }; then done_; fi
find . -type f ! -cnewer "$M" -printf "%P\000" | xargs -0 -r cp -p --reflink=auto --parents -t "$T" -- 2>/dev/null
find . -type f -cnewer "$M" -printf "%P\000" | (cd "$T" && xargs -0 -r rm -f --)
if [ -d "$J" ]; then mv -T "$T" "$S/$id" 2>/dev/null; fi
done_
