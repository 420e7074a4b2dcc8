# shellcheck shell=sh
# Prints the free space, in KB, of the file system holding a path (FreeSpaceScript).
#
# Arguments: path.
# shellcheck disable=SC2046 # the words of df's last line
# The arguments (lib/args.sh).
: "${path=}"
set -- $(df -Pk "$path" 2>/dev/null | tail -n 1)
echo "$4"
