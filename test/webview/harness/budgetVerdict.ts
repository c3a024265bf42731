// A real agent-budget verdict for the panel tests: the meter and the policy
// as the engine runs them, fed an agent that reports 3,200 tokens within a
// minute against a limit of 3,000.
import type { Verdict } from '../../../server/policy/types';
import { simulateAgentUsage } from '../../helpers/agentUsageSim';

export function budgetVerdict(): Verdict {
  const kill = simulateAgentUsage({ profile: 'agent', maxTokensPerMin: 3000 }, 200, 0.002, 60).find((x) => x.v.action === 'kill');
  if (!kill) throw new Error('the budget verdict never came');
  return kill.v;
}
