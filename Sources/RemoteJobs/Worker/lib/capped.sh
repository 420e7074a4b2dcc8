# shellcheck shell=sh
# Logs capped with --max-log (CappedLog): dropped bytes are freed in place with
# `fallocate --punch-hole`, so offsets keep counting every byte.

# can_punch FILE: whether FILE can be written and have a hole punched in it:
# util-linux's fallocate is there and the file system can.
can_punch() {
	command -v fallocate >/dev/null 2>&1 && printf xxxx >"$1" 2>/dev/null &&
		fallocate -p -o 0 -l 4 "$1" 2>/dev/null
}
