#!/usr/bin/env bash
# PrairieLearn's external grader runs this (info.json's entrypoint) with the
# student's files in /grade/student. pilab writes /grade/results/results.json
# after every check, and starts no check that could end after @DEADLINE@ s.
set -u
results=/grade/results/results.json
log=/grade/results/pilab.log
mkdir -p /grade/results
/opt/pilab/.venv/bin/pilab check @LAB@ /grade/student --format prairielearn \
	--output "$results" --deadline @DEADLINE@@OPTIONS@ 2>"$log"
cat "$log" >&2
if [ ! -s "$results" ]; then # pilab could not run at all: not gradable, with why
	/opt/pilab/.venv/bin/python - "$results" "$log" <<-'EOT'
	import json, sys
	log = open(sys.argv[2], errors="replace").read()[-4000:]
	json.dump({"gradable": False, "score": 0, "tests": [],
	           "message": "pilab could not grade this: " + log}, open(sys.argv[1], "w"))
	EOT
fi
exit 0
