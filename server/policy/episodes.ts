// One runaway episode gives one incident: it opens with the first verdict that
// is not `continue`, is updated while it lasts and closes after a calm spell.
// This also decides what is worth storing (continue verdicts are sampled) and
// what is worth telling a person (alerts back off while an episode lasts).
import { severity } from '../shared/protocol/actions';
import type { Action } from '../shared/protocol/domain';
import type { Verdict } from './types';

export interface EpisodeTiming {
  /** Calm (continue) for this long closes an episode. */
  closeAfterMs: number;
  /** Inside an episode, a decision is stored at least this often. */
  recordEveryMs: number;
  /** Outside episodes, one continue decision is stored per this interval (and always the first). */
  continueRecordMs: number;
  /** A lasting alert is repeated after this, then at doubling intervals up to maxNotifyGapMs. */
  firstRenotifyMs: number;
  maxNotifyGapMs: number;
}

export const DEFAULT_TIMING: EpisodeTiming = {
  closeAfterMs: 10_000,
  recordEveryMs: 10_000,
  continueRecordMs: 30_000,
  firstRenotifyMs: 30_000,
  maxNotifyGapMs: 600_000,
};

interface Open {
  kind: string;
  title: string;
  severity: number;
  lastNotifyAt: number;
  notifyGapMs: number;
  lastRecordAt: number;
  calmSince: number | null;
}

export interface EpisodeStep {
  episode: Verdict['episode'];
  notify: boolean;
  record: boolean;
}

export class Episodes {
  private open: Open | null = null;
  private lastContinueRecord: number | null = null;

  constructor(private readonly timing: EpisodeTiming = DEFAULT_TIMING) {}

  step(t: number, intended: Action, top: { kind: string; title: string } | null): EpisodeStep {
    if (intended !== 'continue' && top) return this.active(t, intended, top);
    const ep = this.open;
    if (ep) {
      ep.calmSince ??= t;
      if (t - ep.calmSince >= this.timing.closeAfterMs) {
        this.open = null;
        return { episode: { phase: 'close', kind: ep.kind, title: ep.title }, notify: false, record: true };
      }
      return { episode: null, notify: false, record: false };
    }
    const record = this.lastContinueRecord === null || t - this.lastContinueRecord >= this.timing.continueRecordMs;
    if (record) this.lastContinueRecord = t;
    return { episode: null, notify: false, record };
  }

  private active(t: number, intended: Action, top: { kind: string; title: string }): EpisodeStep {
    const sev = severity(intended);
    const ep = this.open;
    if (!ep) {
      this.open = {
        ...top,
        severity: sev,
        lastNotifyAt: t,
        notifyGapMs: this.timing.firstRenotifyMs,
        lastRecordAt: t,
        calmSince: null,
      };
      return { episode: { phase: 'open', ...top }, notify: true, record: true };
    }
    ep.calmSince = null;
    let notify = false;
    if (sev > ep.severity) {
      // Escalation (an alert becoming a stop) is news: tell, and name the episode after the stronger rule.
      ep.severity = sev;
      ep.kind = top.kind;
      ep.title = top.title;
      notify = true;
    } else if (t - ep.lastNotifyAt >= ep.notifyGapMs) {
      notify = true;
      ep.notifyGapMs = Math.min(ep.notifyGapMs * 2, this.timing.maxNotifyGapMs);
    }
    if (notify) ep.lastNotifyAt = t;
    const record = notify || t - ep.lastRecordAt >= this.timing.recordEveryMs;
    if (record) ep.lastRecordAt = t;
    return { episode: { phase: 'update', kind: ep.kind, title: ep.title }, notify, record };
  }
}
