# shellcheck shell=sh
# Looks around a worker at registration (ProbeScript): prints "os", "arch", "shell", and
# "has-TOOL PATH|-" for the tools p uses, "userland" (BusyBox, GNU or -), "reset" (how a
# job's signals can be reset: perl, env or -), "punch" (whether logs can be capped: yes or
# no).
. lib/signals.sh
. lib/capped.sh
printf "os %s\n" "$(uname -sr)"
printf "arch %s\n" "$(uname -m)"
printf "shell %s\n" "${SHELL:-/bin/sh}"
for t in rsync tar setsid tail nohup sbatch; do printf "has-%s %s\n" $t "$(command -v $t || echo -)"; done
u=-
case $(tail --help 2>&1 | head -n 1) in
*BusyBox*) u=BusyBox ;;
*) if tail --version 2>/dev/null | head -n 1 | grep -q GNU; then u=GNU; fi ;;
esac
printf "userland %s\n" $u
reset_with
printf "reset %s\n" $G
f=.p-probe-punch-$$
k=no
if can_punch "$f"; then k=yes; fi
rm -f "$f"
printf "punch %s\n" $k
