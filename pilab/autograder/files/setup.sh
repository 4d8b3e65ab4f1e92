#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image:
# it installs pilab (from the copy in this zip) with the apt packages it needs,
# fetches the VM's kernel and builds pilab's own modules, so that a submission's
# run costs a check, not an install.
set -euo pipefail
src=/autograder/source/pilab
. /etc/os-release
case "${ID:-}:${VERSION_ID:-}" in
debian:12 | debian:13) ;;
*)
	cat >&2 <<-EOT
	pilab's autograder: this image is ${PRETTY_NAME:-an unknown system}, and pilab runs on
	Debian 12 or 13 only. Its VM boots the distribution's own Debian kernel (the
	linux-image package that linux-headers-<arch> names, fetched with apt), and
	its Python code needs Python 3.11 or later (tomllib, exception notes).
	Ubuntu 22.04, Gradescope's default base, has Python 3.10 and no Debian
	kernel packages, so nothing of pilab runs there: choose a Debian 12 or 13
	base image for this autograder (see README.md).
	EOT
	exit 1
	;;
esac
"$src/scripts/install"
"$src/.venv/bin/pilab" build@KERNEL_OPTION@
"$src/.venv/bin/pilab" doctor
