// The policy's public surface: what the engine, the CLI and the API use.
export { PolicyEngine } from './policyEngine';
export { RestartController, type RestartAnswer } from './restart';
export { resolveSettings } from './resolveSettings';
export { SettingsError } from './settings';
export { explainVerdict } from './explain';
export type { EffectiveSettings, PolicyOverrides, RestartSettings, RolloutSettings, Verdict } from './types';
