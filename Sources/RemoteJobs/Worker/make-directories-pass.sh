# shellcheck shell=sh
# make-directories.sh's pass over the directory records (MODE/PATH, in "$@", parents
# first), run by xargs with $0 the lists' prefix: with I=1, a link or non-directory at a
# directory's path is removed (links reported as "lPATH"); each path is appended to the
# list of its mode, $0.MODE.
for r; do
	d=${r#*/}
	if [ "$I" = 1 ]; then
		if [ -L "$d" ]; then
			rm -f -- "$d" && printf "l%s\000" "$d"
		elif [ -e "$d" ] && [ ! -d "$d" ]; then
			rm -f -- "$d"
		fi
	fi
	printf "%s\000" "$d" >>"$0.${r%%/*}"
done
