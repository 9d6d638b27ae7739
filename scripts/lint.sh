#!/usr/bin/env bash
# `make lint`: swift-format's rule checks, configured in .swift-format, over Sources and Tests.
# swift-format cannot switch off its layout findings (indentation, line breaks, spacing, line length:
# swiftlang/swift-format#764), and the tree is formatted by hand, so those categories are left out
# here; any other finding, or swift-format failing to run or to parse a file, fails.
set -euo pipefail
cd "$(dirname "$0")/.."
layout='\[(Indentation|AddLines|RemoveLine|Spacing|TrailingComma|LineLength|EndOfLineComment)\]'
output=$(swift format lint --recursive Sources Tests 2>&1) || true
findings=$(grep -Ev "$layout" <<<"$output" || true)
if [ -n "$findings" ]; then
  echo "$findings"
  echo "lint: $(grep -c . <<<"$findings") finding(s)" >&2
  exit 1
fi
echo "lint: no findings ($(grep -c . <<<"$output" || true) layout findings not checked)"
