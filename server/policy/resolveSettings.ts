// Settings with their config file read: profile defaults < config file < flags.
import { loadConfigFile } from './configFile';
import { resolveSettingsFrom } from './settings';
import type { EffectiveSettings, PolicyOverrides } from './types';

/** Throws SettingsError with a message a person can act on (a bad flag, a bad or missing config file). */
export function resolveSettings(overrides: PolicyOverrides = {}): EffectiveSettings {
  return resolveSettingsFrom(overrides, overrides.configFile ? loadConfigFile(overrides.configFile) : {});
}
