# shellcheck shell=sh
# Lists what a job's result patterns (--pull) match in its work directory
# (MatchResultsScript): a line per match, relative to the work directory. Each pattern is
# expanded by the shell's own pathname expansion, never evaluated: with IFS empty, an
# unquoted pattern is only globbed (`*`, `?`, `[...]`; a leading `.` must be matched
# explicitly), and a pattern that matches nothing stays itself, which is listed only if
# such a file exists. Names holding a newline cannot be listed and are left out. Prints
# nothing when the work directory is gone.
#
# Arguments: workdir, patterns (one per line; p has refused absolute ones and any with a
# `..` part).
# The arguments (lib/args.sh).
: "${workdir=}" "${patterns=}"
cd "$workdir" 2>/dev/null || exit 0
N=$(printf "\n_")
N=${N%_}
printf "%s\n" "$patterns" | while IFS= read -r q; do
	if [ -z "$q" ]; then continue; fi
	IFS=
	# shellcheck disable=SC2086 # the pattern, globbed on purpose (IFS is empty: no splitting)
	for f in $q; do
		case $f in *"$N"*) continue ;; esac
		if [ -e "$f" ] || [ -L "$f" ]; then printf "%s\n" "$f"; fi
	done
	unset IFS
done
