// Gemini CLI's hook protocol (https://geminicli.com/docs/hooks/reference/):
// stdin JSON with session_id, transcript_path, cwd, hook_event_name and
// timestamp; BeforeTool adds tool_name and tool_input (and mcp_context),
// AfterTool adds tool_response ({ llmContent, returnDisplay, error? }),
// AfterAgent adds prompt, prompt_response and stop_hook_active. stdout must
// hold nothing but the final JSON; logs go to stderr. We answer exit 0 + JSON:
//   nudge: hookSpecificOutput.additionalContext on AfterTool (appended to the tool result)
//   block: decision "deny" + reason on BeforeTool (the reason reaches the model as a tool error)
//   stop:  continue: false + stopReason (stops the agent loop)
import { hookProtocol } from './hookTypes';

export const geminiHooks = hookProtocol({
  agent: 'gemini',
  pre: 'BeforeTool',
  post: ['AfterTool'],
  stop: ['AfterAgent'],
  deny: (reason) => ({ decision: 'deny', reason }),
  nudge: (_event, message) => ({ hookSpecificOutput: { additionalContext: message } }),
});
