# shellcheck shell=sh
# The start of every script p runs on a worker (RemoteScripts.invocation). The first
# argument is a token new for each run, printed as "p-begin TOKEN" on stdout and on stderr
# before anything else, so that whatever a login file prints (sshd runs every command
# through the login shell) is never taken for the script's output or its control lines
# (StdoutFramer, ControlLines). P (a job's recorded pid) starts empty whatever the
# environment holds; pL, the log that `size` measures and streams read, is output.log (a
# script about the job's stderr sets stderr.log). The other arguments are named
# (lib/args.sh).
T=$1
shift
# shellcheck disable=SC2034 # read by the script that follows
P=
# shellcheck disable=SC2034 # read by the script that follows
pL=output.log
. lib/protocol.sh
say_begin "$T"
. lib/args.sh
