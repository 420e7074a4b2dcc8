# shellcheck shell=sh
# reset_with: sets G to how the wrapper resets the command's signals to their defaults
# (run.sh): perl, else GNU env's --default-signal, else "-" (it cannot).
# shellcheck disable=SC2034 # G is read by the includer, which passes it to run.sh
reset_with() {
	G=-
	if command -v perl >/dev/null 2>&1; then
		G=perl
	elif env --default-signal true 2>/dev/null; then
		G="env"
	fi
}
