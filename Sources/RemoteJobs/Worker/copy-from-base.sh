# shellcheck shell=sh
# Copies (or hard-links) into a new work directory the files of an earlier one that are
# still exactly as p left them (CopyFromBaseScript), copy-on-write where the file system
# allows; with base = workdir, finds those already right. Stdin lists "SIZE MTIME MODE
# PATH" lines as the manifest recorded them; a file the earlier job changed (other size,
# mtime or mode) is not copied. Prints the paths copied; prints nothing (and copies
# nothing) when the base is gone, and the caller then uploads everything.
#
# Arguments: base, workdir, job (R/jobs/ID, which holds the lists; it and workdir are made
# private if missing), links (1: hard-link instead of copying, --hard-links).
#
# Two ways, by what the worker has. GNU: one `find -printf` lists what the base has, and
# one `cp --parents` copies. Otherwise (BusyBox, whose Debian build has no comm and a tar
# without -T; macOS): `stat -c` on the wanted paths only (regular files: the raw mode's
# type is 8), and a cpio pipe copies, keeping modes and times (a `cp -p` per file where
# there is no cpio), or `ln` per file for hard links. The lists meet in awk (what is wanted
# and is there as recorded).
# shellcheck disable=SC2086 # $o holds the copy's options, as words
# The arguments (lib/args.sh).
: "${workdir=}" "${job=}" "${links=}" "${base=}"
umask 077
mkdir -p "$workdir" "$job" || exit 0
W=$(cd "$workdir" && pwd)
t=$(cd "$job" && pwd)/base
o="-p --reflink=auto"
if [ "$links" = 1 ]; then o=-l; fi
if ! cd "$base" 2>/dev/null; then
	cat >/dev/null
	exit 0
fi
cat >"$t.want"
if find . -maxdepth 0 -printf "" >/dev/null 2>&1; then
	find . -type f -printf "%s %Ts %m %P\n" 2>/dev/null >"$t.have"
else
	cut -d " " -f 4- "$t.want" | tr "\n" "\000" | xargs -0 -r stat -c "%s %Y %a %f %n" 2>/dev/null |
		sed -n "s/^\([0-9]* [0-9]* [0-7]*\) 8[0-9a-f][0-9a-f][0-9a-f] /\1 /p" >"$t.have"
fi
awk "NR == FNR { w[\$0] = 1; next } \$0 in w" "$t.want" "$t.have" | cut -d " " -f 4- >"$t.ok"

# each COMMAND: runs COMMAND SOURCE TARGET for each path to copy, making its directory.
each() {
	while IFS= read -r f; do
		d=${f%/*}
		if [ "$d" != "$f" ]; then mkdir -p "$W/$d" || return 1; fi
		"$@" "$f" "$W/$f" || return 1
	done <"$t.ok"
}

if [ "$base" = "$workdir" ]; then
	cat "$t.ok"
elif tr "\n" "\000" <"$t.ok" | xargs -0 -r cp $o --parents -t "$W" -- 2>/dev/null; then
	cat "$t.ok"
elif [ ! -s "$t.ok" ]; then
	:
elif [ "$links" = 1 ]; then
	if each ln -f; then cat "$t.ok"; fi
elif command -v cpio >/dev/null 2>&1 && cpio -o -H newc <"$t.ok" 2>/dev/null | (cd "$W" && cpio -idmu 2>/dev/null); then
	cat "$t.ok"
elif each cp -p; then
	cat "$t.ok"
fi
rm -f "$t.want" "$t.have" "$t.ok"
