// What a run's processes get so that an agent sends its telemetry to the
// run's receiver: the standard OpenTelemetry exporter variables (Claude Code
// and any OpenTelemetry SDK read them) and each agent's documented opt-in
// switches. The sources are listed in docs/agents.md.
import type { ReceiverGrant } from './receiver';

/** How often agents are asked to export (ms): the budgets' resolution. Claude Code's default is 60 s. */
export const EXPORT_INTERVAL_MS = 2_000;

/** Variables that would send the agent's metrics elsewhere; the run's own values replace them. */
const REPLACED = ['GEMINI_TELEMETRY_OUTFILE'];

/**
 * `set` always wins; `unlessSet` only fills a gap: a user who sends the agent's
 * logs or traces to a collector of their own keeps that generic endpoint and
 * protocol, and the metrics-specific variables (which the SDK prefers) still
 * bring the metrics here.
 */
export function receiverEnv(grant: ReceiverGrant): { set: Record<string, string>; unlessSet: Record<string, string>; unset: string[] } {
  return {
    unlessSet: {
      OTEL_EXPORTER_OTLP_ENDPOINT: grant.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    },
    set: {
      // The OpenTelemetry SDK's own variables (any OTLP/HTTP exporter).
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: grant.metricsUrl,
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf',
      OTEL_METRIC_EXPORT_INTERVAL: String(EXPORT_INTERVAL_MS),
      // Claude Code exports nothing without this.
      CLAUDE_CODE_ENABLE_TELEMETRY: '1',
      // Gemini CLI: telemetry on, to a local OTLP endpoint over HTTP (it posts every signal to this one URL), no prompt text.
      GEMINI_TELEMETRY_ENABLED: 'true',
      GEMINI_TELEMETRY_TARGET: 'local',
      GEMINI_TELEMETRY_OTLP_ENDPOINT: grant.endpoint,
      GEMINI_TELEMETRY_OTLP_PROTOCOL: 'http',
      GEMINI_TELEMETRY_LOG_PROMPTS: 'false',
      // Codex reads its exporter from config.toml only: a wrapper can pass this with `codex -c`.
      FLOWFORGE_OTLP_METRICS_ENDPOINT: grant.metricsUrl,
    },
    unset: REPLACED,
  };
}
