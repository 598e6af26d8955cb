#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every manual page renders with man -l, and groff has no warning about it.
set -u
top=$(cd "${1:-$(dirname "$0")/..}" && pwd)
passed=0
failed=0
for page in "$top"/man/*.[1-8]; do
	warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	lines=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null | wc -l)
	if [ -z "$warnings" ] && [ "$lines" -gt 10 ]; then
		echo "ok - $(basename "$page") renders without warnings"
		passed=$((passed + 1))
	else
		echo "not ok - $(basename "$page"): $warnings"
		failed=$((failed + 1))
	fi
done
echo "man_lint: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
