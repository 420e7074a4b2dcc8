# shellcheck shell=sh
# How run.sh has a Bourne-family login shell run words too long to be one argument (the
# kernel takes up to 128 KiB): the text of the command file ($0) evaluated as -c would,
# with the file's path as $0, after the job's variables (the env file beside it) are
# loaded. The file is read before they are, so a job's PATH cannot hide cat.
eval "if [ -f \"\${0%/*}/env\" ]; then . \"\${0%/*}/env\"; fi; $(cat "$0")"
