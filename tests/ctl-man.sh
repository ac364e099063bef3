#!/bin/sh
# shmheap-ctl(1) is clean for mandoc's linter and readable by lexgrog (mandb).
page="$(dirname "$0")/../man/shmheap-ctl.1"
command -v mandoc >/dev/null || { echo "SKIP: mandoc not found"; exit 77; }
mandoc -Tlint -Wwarning "$page" || exit 1
if command -v lexgrog >/dev/null; then
	lexgrog "$page" || exit 1
fi
echo "ok: $page"
