// The environment a supervised job gets: the task's own, unbuffered Python and
// forced colour unless the task says otherwise, a job token that marks every
// descendant, and none of FlowForge's own secrets.

/**
 * Variables that hold FlowForge credentials; a job must never inherit them.
 * FLOWFORGE_OTLP_HEADERS: headers (tokens) for FlowForge's own OTLP export,
 * meant for FlowForge alone (the standard OTEL_* variables are the user's
 * environment and pass through like any other).
 */
const OWN_SECRETS = /^FLOWFORGE_(API_KEY|ADMIN_KEY|ADMIN_TOKEN|READ_KEY|SUBMIT_KEY|BACKEND_TOKEN|KEYS?|OTLP_HEADERS)$/;

export function buildChildEnv(
  base: NodeJS.ProcessEnv,
  taskEnv: Record<string, string> | undefined,
  marks: { runId: string; token: string; attempt?: number; agentChannel?: string },
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  for (const [k, v] of Object.entries(taskEnv ?? {})) env[k] = v;
  for (const k of Object.keys(env)) if (OWN_SECRETS.test(k)) delete env[k];
  // Electron's node mode must not leak into jobs started from the VS Code backend.
  delete env.ELECTRON_RUN_AS_NODE;
  env.PYTHONUNBUFFERED ??= '1';
  env.FORCE_COLOR ??= '1';
  env.FLOWFORGE_RUN_ID = marks.runId;
  env.FLOWFORGE_JOB_TOKEN = marks.token;
  env.FLOWFORGE_ATTEMPT = String(marks.attempt ?? 1);
  // This run's own agent channel; one inherited from an outer run must not leak in.
  if (marks.agentChannel) env.FLOWFORGE_AGENT_CHANNEL = marks.agentChannel;
  else delete env.FLOWFORGE_AGENT_CHANNEL;
  return env;
}

export const isOwnSecretVar = (name: string): boolean => OWN_SECRETS.test(name);
