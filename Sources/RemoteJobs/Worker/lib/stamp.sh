# shellcheck shell=sh
# The "preparing" stamp of a job being prepared: the time, which claims read; a claim
# without a fresh stamp can be taken over.

# stamp FILE: writes the time into FILE in one step (written beside it, then renamed), so
# a reader never sees it empty.
stamp() {
	date +%s >"$1.$$" && mv -f "$1.$$" "$1"
}

# fresh FILE: whether FILE holds a time under 30 s old. A stamp still being written (an
# older p wrote it in place, and a reader could find it empty) is fresh while the file is
# under a minute old: taking its claim over then let two submits of one key launch.
fresh() {
	t=
	{ read -r t <"$1"; } 2>/dev/null
	case $t in
	"" | *[!0-9]*)
		[ -f "$1" ] && [ -z "$(find "$1" -mmin +1 2>/dev/null)" ]
		return
		;;
	esac
	[ $(($(date +%s) - t)) -lt 30 ]
}
