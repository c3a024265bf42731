// The policy's public surface: what the engine, the CLI and the API use.
export { PolicyEngine, redactEvidence } from './policyEngine';
export { RestartController, DEFAULT_RESTART, type RestartAnswer } from './restart';
export { resolveSettings, validateConfig, loadConfigFile, SettingsError } from './settings';
export { explainVerdict } from './explain';
export { profileThresholds } from './profiles';
export { canaryBucket } from './rollout';
export type { EffectiveSettings, PolicyOverrides, RestartSettings, RolloutSettings, Verdict } from './types';
