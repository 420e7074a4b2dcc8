# shellcheck shell=sh
# make-directories.sh's pass over the paths to remove (in "$@"), run by xargs: prints
# (NUL-terminated) those below real directories only; a path under a link is not the work
# directory's.
for p; do
	a=$p
	s=1
	while [ "${a%/*}" != "$a" ]; do
		a=${a%/*}
		if [ -L "$a" ] || [ ! -d "$a" ]; then
			s=0
			break
		fi
	done
	if [ $s = 1 ]; then printf "%s\000" "$p"; fi
done
