#!/usr/bin/env bash
# The workflow runs this in pilab's image (Dockerfile) with the student's
# repository in /submission. pilab's JSON results go to /results/results.json,
# written after every check; each check's grader step reads them (passed.sh).
set -u
/opt/pilab/.venv/bin/pilab check @LAB@ /submission/@SUBDIR@ --format json \
	--output /results/results.json --deadline @DEADLINE@@OPTIONS@
exit 0
