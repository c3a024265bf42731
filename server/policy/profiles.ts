// The four profiles: complete threshold sets. `standard` is the default; the
// others are written as differences from it so that the contrast is visible.
// Every number is explained in docs/detection.md.
import type { ProfileName } from '../shared/protocol/domain';
import type { DetectionThresholds } from '../detect/types';

export const STANDARD: Readonly<DetectionThresholds> = Object.freeze({
  // Low on purpose: on a shared or CI machine a spinning job gets 25-60% of a
  // core. CPU alone never acts; it only corroborates repetition or silence.
  maxCpu: 30,
  cpuWindowMs: 5_000,
  recentWindowMs: 5_000,
  progressWindowMs: 20_000,
  counterIsProgress: false,
  repetition: 0.8,
  maxNovelty: 0.05,
  maxProgress: 0.5,
  loopMinRate: 2,
  floodRate: 1_000,
  loopAlertMs: 3_000,
  loopKillMs: 5_000,
  outputLoopRate: 5,
  outputLoopAlertMs: 15_000,
  outputLoopKillMs: null,
  silentSpinAlertMs: 50_000,
  silentSpinKillMs: null,
  maxMemoryMb: null,
  memoryWindowMs: 30_000,
  memoryClimbMbPerS: 20,
  memoryClimbFloorMb: 1_024,
  memoryClimbAlertMs: 30_000,
  maxProcs: 512,
  treeWindowMs: 10_000,
  churnPerS: 50,
  churnAlertMs: 20_000,
  ioProgressBytesPerS: 64 * 1024,
  // Two minutes: enough to stop a runaway before the kernel's OOM killer picks a
  // victim (maybe not this job), short enough that a healthy burst is not one.
  memoryExhaustS: 120,
  memoryExhaustFloorMb: 512,
  memoryExhaustKillMs: 1_000,
  stormRate: 25,
  forkStormPerS: 2,
  alertConfidence: 0.6,
  killConfidence: 0.8,
  maxLineBytes: 2_048,
  partialLineMs: 1_000,
  maxTemplates: 4_096,
  // Agent tool-call loops: 4 identical calls (or 3 identical failures after
  // fixes, or 6 calls taking turns) earn a nudge; 2 more loop calls a block;
  // 2 more a stop. Gemini CLI halts at 5 identical calls, OpenHands at 4.
  toolLoopCalls: 4,
  toolBlockAfter: 2,
  toolStopAfter: 2,
  // Budgets are a person's choice: none by default.
  maxCostUsd: null,
  maxTokensPerMin: null,
  maxBurnUsdPerHour: null,
  // With a budget: warn ten minutes before the recent rate would spend it.
  costBudgetAlertS: 600,
});

const PROFILES: Record<ProfileName, Readonly<DetectionThresholds>> = {
  standard: STANDARD,
  // Lenient: a bare counter counts as progress, windows are longer, and only
  // very clear cases are stopped; it alerts more than it kills.
  light: Object.freeze({
    ...STANDARD,
    maxCpu: 60,
    counterIsProgress: true,
    loopAlertMs: 8_000,
    loopKillMs: 20_000,
    outputLoopAlertMs: 45_000,
    silentSpinAlertMs: 120_000,
    killConfidence: 0.9,
    churnAlertMs: 60_000,
  }),
  // Quicker to act: shorter windows, lower CPU bar, and long output loops and
  // silent spins are stopped too.
  strict: Object.freeze({
    ...STANDARD,
    maxCpu: 25,
    loopAlertMs: 2_000,
    loopKillMs: 4_000,
    outputLoopAlertMs: 12_000,
    outputLoopKillMs: 45_000,
    silentSpinAlertMs: 30_000,
    silentSpinKillMs: 90_000,
    killConfidence: 0.75,
    memoryClimbAlertMs: 20_000,
    churnAlertMs: 10_000,
  }),
  // AI-agent jobs: like standard, and an agent that spins silently or retries
  // the same failing call for minutes is stopped after a longer window.
  agent: Object.freeze({
    ...STANDARD,
    outputLoopKillMs: 90_000,
    silentSpinKillMs: 120_000,
    // Looping agents have burned $150-$600 before anyone noticed; $30 an hour
    // is above a busy session with a large model, so reaching it is worth a look.
    maxBurnUsdPerHour: 30,
  }),
};

/** Whether a run reads its agent's own telemetry (the agent profile does; others when asked or given a budget). */
export const AGENT_TELEMETRY_BY_DEFAULT: Record<ProfileName, boolean> = { standard: false, light: false, strict: false, agent: true };

export function profileThresholds(name: ProfileName): DetectionThresholds {
  return { ...PROFILES[name] };
}
