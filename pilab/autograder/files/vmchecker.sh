#!/usr/bin/env bash
# vmchecker-next runs this in pilab's image (Dockerfile) with the submission's
# files in DIR (default: the current directory). It prints pilab's results
# between <VMCK_NEXT_BEGIN> and <VMCK_NEXT_END>, the last line inside them
# "Total: N" with N the grade on 0..100.
set -u
dir=${1:-.}
out=$(/opt/pilab/.venv/bin/pilab check @LAB@ "$dir" --format vmchecker \
	--deadline @DEADLINE@@OPTIONS@)
code=$?
case "$out" in
*'<VMCK_NEXT_END>'*) printf '%s\n' "$out" ;;
*) # pilab could not run (its error is on stderr): a zero, said so
	printf '<VMCK_NEXT_BEGIN>\npilab could not grade this (exit %s): see the log\nTotal: 0\n<VMCK_NEXT_END>\n' "$code" ;;
esac
exit 0
