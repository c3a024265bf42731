// Claude Code's command-hook protocol (https://code.claude.com/docs/en/hooks):
// stdin is one JSON object with session_id, transcript_path, cwd,
// permission_mode and hook_event_name; PreToolUse adds tool_name, tool_input
// and tool_use_id, PostToolUse adds tool_response, PostToolUseFailure adds
// error, Stop and SubagentStop add stop_hook_active. We answer with exit 0 and
// JSON, never exit 2: after an exit-2 block Claude sometimes waits for the
// user, JSON does not.
//   nudge: hookSpecificOutput.additionalContext on PostToolUse / PostToolUseFailure
//   block: hookSpecificOutput.permissionDecision "deny" + permissionDecisionReason on PreToolUse
//   stop:  continue: false + stopReason
import { hookProtocol } from './hookTypes';

export const claudeHooks = hookProtocol({
  agent: 'claude',
  pre: 'PreToolUse',
  post: ['PostToolUse', 'PostToolUseFailure'],
  stop: ['Stop', 'SubagentStop'],
  // A failed call comes as its own event, with the error beside the input.
  response: (v) => (v.hook_event_name === 'PostToolUseFailure' ? { error: v.error ?? 'tool failed' } : v.tool_response),
  deny: (reason) => ({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: reason } }),
  nudge: (event, message) => ({ hookSpecificOutput: { hookEventName: event, additionalContext: message } }),
});
