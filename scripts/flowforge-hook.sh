#!/bin/sh
# flowforge-hook <claude|gemini|codex>: the fast path of `flowforge hook`, for
# agents that run a hook on every tool call. Outside FlowForge it answers
# "allow" without starting Node; inside a supervised job it hands the hook's
# stdin to the run's agent channel with curl and prints the answer. Without
# curl it runs the Node client beside it. It never blocks the agent by failing.
allow() { [ -n "$1" ] && printf 'flowforge hook: %s; allowing\n' "$1" >&2; printf '{}\n'; exit 0; }
case "$1" in claude|gemini|codex) ;; *) cat >/dev/null 2>&1; allow "unknown agent '$1' (use claude, gemini or codex)" ;; esac
ch=${FLOWFORGE_AGENT_CHANNEL-}
# Drain stdin either way, so that the agent never writes into a closed pipe.
if [ -z "$ch" ]; then cat >/dev/null 2>&1; allow; fi
command -v curl >/dev/null 2>&1 || exec node "$(dirname "$0")/hook.js" "$@"
sock=${ch%#*}; tok=${ch##*#}
reply=$(curl -sf --max-time 5 --unix-socket "$sock" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
  --data-binary @- "http://flowforge/hook/$1") || allow "the FlowForge channel refused or did not answer (curl exit $?)"
nl='
'
code=${reply%%"$nl"*}; rest=${reply#*"$nl"}
case "$code" in 0|2) ;; *) allow "unreadable answer from the FlowForge channel" ;; esac
err=${rest%%"$nl"*}; out=${rest#*"$nl"}
[ -n "$err" ] && printf '%s\n' "$err" >&2
printf '%s\n' "$out"
exit "$code"
