// The three hook protocols by agent name.
import { claudeHooks } from './claudeHooks';
import { codexHooks } from './codexHooks';
import { geminiHooks } from './geminiHooks';
import type { HookAgent, HookProtocol } from './hookTypes';

export const PROTOCOLS: Record<HookAgent, HookProtocol> = { claude: claudeHooks, gemini: geminiHooks, codex: codexHooks };
