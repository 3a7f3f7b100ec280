#!/usr/bin/env bash
# Install Debian's chromium (browser tests), LibreOffice Writer (report → PDF), Graphviz (thematic map),
# espeak-ng and sox (the recording test speaks a short interview) and caddy and nginx (the reverse-proxy test
# runs deploy/Caddyfile and deploy/nginx.conf) when missing.
# Needs root and apt-get; elsewhere it says what is missing and the tests that need it skip.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v dot >/dev/null 2>&1 || need+=(graphviz)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v sox >/dev/null 2>&1 || need+=(sox)
command -v caddy >/dev/null 2>&1 || need+=(caddy)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
fc-list 2>/dev/null | grep -qi carlito || need+=(fonts-crosextra-carlito)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: ${need[*]} not installed; the browser, report-rendering, map-rendering, recording and proxy tests" \
       "will be skipped" >&2
  exit 0
fi
# caddy and nginx are installed for the test, which runs its own on free ports: their system services (port 80,
# and 443 for caddy) are not started now, and are left disabled.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
  || echo "note: could not install ${need[*]}; the tests that need them will be skipped" >&2
for service in caddy nginx; do
  if [[ " ${need[*]} " == *" $service "* ]] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable "$service" >/dev/null 2>&1 \
      && echo "note: $service is installed for the tests; its service is off (systemctl enable --now $service)" >&2
  fi
done
exit 0
