# shellcheck shell=sh
# Unpacks the tar stream on stdin into a directory (UntarScript), keeping modes.
#
# Arguments: directory.
# The arguments (lib/args.sh).
: "${directory=}"
. lib/args.sh
cd "$directory" && exec tar -x -p -f -
