#!/usr/bin/env bash
# Install Debian's chromium (browser tests), LibreOffice Writer (report → PDF), Graphviz (thematic map) and
# espeak-ng and sox (the recording test speaks a short interview) when missing.
# Needs root and apt-get; elsewhere it says what is missing and the tests that need it skip.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v dot >/dev/null 2>&1 || need+=(graphviz)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v sox >/dev/null 2>&1 || need+=(sox)
fc-list 2>/dev/null | grep -qi carlito || need+=(fonts-crosextra-carlito)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: ${need[*]} not installed; the browser, report-rendering, map-rendering and recording tests will be skipped" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
  || echo "note: could not install ${need[*]}; the tests that need them will be skipped" >&2
exit 0
