// Codex's command hooks (https://developers.openai.com/codex/hooks; the wire
// schemas are in openai/codex, codex-rs/hooks/schema/generated/): stdin JSON
// with session_id, transcript_path, cwd, hook_event_name, model and
// permission_mode; PreToolUse adds tool_name, tool_input and tool_use_id,
// PostToolUse adds tool_response and turn_id, Stop adds stop_hook_active.
// We answer with exit 0 and JSON:
//   nudge: hookSpecificOutput.additionalContext on PostToolUse
//   block: hookSpecificOutput.permissionDecision "deny" + permissionDecisionReason on PreToolUse
//   stop:  continue: false + stopReason
import { hookProtocol } from './hookTypes';

export const codexHooks = hookProtocol({
  agent: 'codex',
  pre: 'PreToolUse',
  post: ['PostToolUse'],
  stop: ['Stop'],
  deny: (reason) => ({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: reason } }),
  nudge: (_event, message) => ({ hookSpecificOutput: { hookEventName: 'PostToolUse', additionalContext: message } }),
});
