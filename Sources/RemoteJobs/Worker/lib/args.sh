# shellcheck shell=sh
# Named arguments. Every argument up to a lone "--" is NAME=VALUE and sets the shell
# variable NAME to VALUE, which may hold anything (spaces, "=", newlines): p's scripts take
# their inputs by name, never by position. A NAME is two or more lowercase letters and
# underscores, so an argument can never set PATH, IFS or a script's own upper-case or
# one-letter variables (a test checks that no script assigns a name it takes). What
# follows "--" stays in "$@" (the options a user gave sbatch). p passes every argument a
# script reads, empty when unset, so nothing comes from the environment by chance.
while [ $# -gt 0 ]; do
	case $1 in
	--)
		shift
		break
		;;
	*=*) ;;
	*)
		echo "p: a worker script was given an argument that is not NAME=VALUE" >&2
		exit 2
		;;
	esac
	case ${1%%=*} in
	"" | ? | *[!a-z_]*)
		echo "p: a worker script was given an argument with a bad name" >&2
		exit 2
		;;
	esac
	eval "${1%%=*}=\${1#*=}"
	shift
done
