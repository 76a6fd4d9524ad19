#!/bin/sh
# Restart Credo's nodes one at a time behind HAProxy (deploy/haproxy.cfg) without failing a
# request: drain the node, wait until nothing is in flight on it, restart it, wait until its
# /readyz answers 200 and HAProxy sees it up, then the next one. docs/deploy.md explains it.
#
#   LB_ADMIN_SOCKET=/run/haproxy/admin.sock \
#   RESTART='ssh {name} sudo systemctl restart credo' \
#   deploy/rolling-restart.sh node1=10.0.0.11:8080 node2=10.0.0.12:8080
#
# RESTART is run by sh with {name} and {address} (host:port) replaced, once per node.
set -eu
: "${LB_ADMIN_SOCKET:?the path of HAProxy's admin socket}"
: "${RESTART:?the command restarting one node, with {name} and {address}}"

admin() { echo "$1" | socat stdio "$LB_ADMIN_SOCKET"; }
field() { admin "show stat" | awk -F, -v s="$1" -v f="$2" '$1 == "credo" && $2 == s {print $f}'; }

for pair in "$@"; do
    name=${pair%%=*}
    address=${pair#*=}
    admin "set server credo/$name state drain" > /dev/null
    while [ "$(field "$name" 5)" != 0 ]; do sleep 0.2; done  # scur: requests in flight
    sh -c "$(printf '%s' "$RESTART" | sed "s|{name}|$name|g; s|{address}|$address|g")"
    until curl -fsS "http://$address/readyz" > /dev/null 2>&1; do sleep 0.5; done
    admin "set server credo/$name state ready" > /dev/null
    until [ "$(field "$name" 18)" = UP ]; do sleep 0.2; done  # status: health checks pass
    echo "$name restarted"
done
