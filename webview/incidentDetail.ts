// The drill-down of one incident: why FlowForge stepped in (rules, signals
// against thresholds, the repeated lines), the curves around the decision,
// what it did and who did it, Stop/Restart while the job still runs, and
// "Not a runaway" for a loop FlowForge stopped (its learned signature is allowed).
import type { Decision, Incident, Run, Sample, TimelineEvent } from '../server/shared/protocol/domain';
import type { IncidentDetail } from '../server/shared/protocol/panel';
import { NOT_A_RUNAWAY_AUDIT_ACTION } from '../server/shared/protocol/choices';
import { ACTIVE_PHASES, LEARNING_RULES, MAX_ACTION_REASON, type ConfirmedAction } from '../server/shared/protocol/panelDefaults';
import { RunCharts } from './charts';
import { focusSoon, h, icon, replace, uid, type Child } from './dom';
import { duration, fullTime, humanize, num, percent, when, withUnit } from './format';
import { journalDetail } from './timelineView';


export interface DetailCallbacks {
  back(): void;
  /** `targetId`: the run for Stop/Restart, the incident for "Not a runaway". */
  act(action: ConfirmedAction, targetId: string, reason: string): void;
  /** Export the incident's signed evidence bundle (the host asks where). */
  exportEvidence(incidentId: string): void;
}

interface Confirming {
  action: ConfirmedAction;
  reason: string;
}

const verbs: Record<ConfirmedAction, { button: string; icon: string; question: (name: string) => string; effect: string }> = {
  'run/stop': {
    button: 'Stop job',
    icon: 'debug-stop',
    question: (name) => `Stop “${name}”?`,
    effect: 'FlowForge sends SIGTERM to the job’s process group and every descendant, then SIGKILL after the grace period.',
  },
  'run/restart': {
    button: 'Restart job',
    icon: 'debug-restart',
    question: (name) => `Restart “${name}”?`,
    effect: 'FlowForge stops the job the same way, then starts the same command again under supervision (restart budget permitting).',
  },
  'incident/allow': {
    button: 'Not a runaway',
    icon: 'pass',
    question: (name) => `Was “${name}” not a runaway?`,
    effect: 'FlowForge stops treating this output cycle as a runaway in this workspace: the same loop no longer alerts or stops jobs here.',
  },
};

const defaultReason: Record<ConfirmedAction, string> = {
  'run/stop': 'Stopped from the incident panel',
  'run/restart': 'Restarted from the incident panel',
  'incident/allow': 'Not a runaway (from the incident panel)',
};

/** Only a loop FlowForge stopped taught a signature that can be allowed. */
const learnedFrom = (i: Incident): boolean =>
  i.enforced && (i.action === 'kill' || i.action === 'restart') && i.rules.some((r) => LEARNING_RULES.includes(r));

const alreadyAllowed = (chain: TimelineEvent[]): boolean =>
  chain.some((e) => e.kind === 'audit' && (e.data as { action?: string } | null)?.action === NOT_A_RUNAWAY_AUDIT_ACTION);

export class IncidentDetailView {
  readonly element: HTMLElement;
  private detail: IncidentDetail | null = null;
  private charts: RunCharts | null = null;
  private decisionId: string | null = null;
  private confirming: Confirming | null = null;
  private pending: ConfirmedAction | null = null;
  /** Which block shows the last answer: the job's controls, or the incident's "Not a runaway". */
  private statusFor: 'run' | 'incident' = 'run';
  private statusText = '';
  private statusOk = true;
  private exporting = false;
  private exportStatus: { ok: boolean; text: string } | null = null;

  constructor(private readonly cb: DetailCallbacks) {
    this.element = h('section', { class: 'detail', 'aria-label': 'Incident detail' });
    this.element.addEventListener('keydown', (e) => this.onKey(e));
  }

  get incidentId(): string | null {
    return this.detail?.incident.id ?? null;
  }

  get runId(): string | null {
    return this.detail?.run?.id ?? this.detail?.incident.run_id ?? null;
  }

  /** Show an incident, or the same one refreshed (live): keeps the chosen decision, the confirm bar and focus. */
  show(detail: IncidentDetail): void {
    const same = this.detail?.incident.id === detail.incident.id;
    if (!same) {
      this.confirming = null;
      this.pending = null;
      this.statusText = '';
      this.exporting = false;
      this.exportStatus = null;
      this.decisionId = null;
      this.charts?.destroy();
      this.charts = null;
    }
    this.detail = detail;
    if (!detail.decisions.some((d) => d.id === this.decisionId)) this.decisionId = defaultDecision(detail)?.id ?? null;
    if (!isActive(detail.run) && this.confirming?.action !== 'incident/allow') this.confirming = null;
    this.render();
  }

  clear(): void {
    this.detail = null;
    this.charts?.destroy();
    this.charts = null;
    replace(this.element);
  }

  appendSample(sample: Sample): void {
    if (!this.detail || sample.run_id !== this.runId) return;
    const samples = this.detail.samples;
    const last = samples[samples.length - 1];
    if (last && sample.t <= last.t) return;
    samples.push(sample);
    this.charts?.update(this.chartInput());
  }

  retheme(): void {
    this.charts?.retheme();
  }

  /** The host answered a Stop/Restart or "Not a runaway". */
  actionDone(ok: boolean, message: string): void {
    this.statusFor = this.pending === 'incident/allow' ? 'incident' : 'run';
    this.pending = null;
    this.statusOk = ok;
    this.statusText = message;
    if (ok) this.confirming = null;
    this.render();
  }

  /** The host answered an Export evidence: where it went, or why not. */
  exportDone(ok: boolean, message: string): void {
    this.exporting = false;
    this.exportStatus = { ok, text: message };
    this.render();
  }

  focusFirst(): void {
    focusSoon(this.element.querySelector('[data-focus="back"]'));
  }

  private selected(): Decision | null {
    return this.detail?.decisions.find((d) => d.id === this.decisionId) ?? null;
  }

  private chartInput() {
    const d = this.detail as IncidentDetail;
    return { samples: d.samples, decisions: d.decisions, selected: this.selected(), live: isActive(d.run) };
  }

  private render(): void {
    const d = this.detail;
    if (!d) return;
    const focusKey = (document.activeElement as HTMLElement | null)?.closest?.('[data-focus]')?.getAttribute('data-focus');
    if (this.charts) this.charts.update(this.chartInput());
    else this.charts = new RunCharts(this.chartInput());
    const decision = this.selected();
    replace(
      this.element,
      this.header(d.incident),
      this.section('Why', this.why(d.incident, decision)),
      this.section('What FlowForge did', this.action(d.incident, decision)),
      this.section('The job', this.runBlock(d.incident, d.run)),
      this.section('Curves around the decision', this.decisionPicker(d.decisions), this.charts.element),
      this.section('Rules', decision ? this.rules(decision) : h('p', null, 'No decision was recorded for this incident.')),
      decision ? this.section('Signals against thresholds', this.signals(decision)) : null,
      this.section('Repeated output', this.evidence(d.incident, decision)),
      this.section('Journal', this.journal(d.chain)),
    );
    if (focusKey) focusSoon(this.element.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`));
  }

  private section(title: string, ...body: Child[]): HTMLElement {
    const id = uid('sec');
    return h('section', { class: 'detail-section', 'aria-labelledby': id }, h('h3', { id }, title), ...body);
  }

  private header(i: Incident): HTMLElement {
    const back = h('vscode-button', { secondary: true, icon: 'arrow-left', 'data-focus': 'back' }, 'All incidents');
    back.addEventListener('click', () => this.cb.back());
    return h(
      'header',
      { class: 'detail-header' },
      back,
      this.exportControl(i),
      h('h2', { class: 'detail-title' }, i.title),
      h(
        'p',
        { class: 'meta' },
        statusBadge(i),
        h('span', { class: 'kind' }, humanize(i.kind)),
        h('span', null, `job “${i.name}”`),
        h('span', { title: fullTime(i.opened_at) }, `opened ${when(i.opened_at)}`),
        i.closed_at ? h('span', { title: fullTime(i.closed_at) }, `closed ${when(i.closed_at)}`) : null,
        h('span', null, `${i.decision_count} decision${i.decision_count === 1 ? '' : 's'}`),
      ),
    );
  }

  /** "Export evidence": the host asks for a folder and writes the signed bundle there. */
  private exportControl(i: Incident): HTMLElement {
    const button = h(
      'vscode-button',
      { secondary: true, icon: 'export', 'data-focus': 'export', disabled: this.exporting, title: 'Save this incident’s signed evidence bundle to a folder' },
      this.exporting ? 'Exporting…' : 'Export evidence',
    );
    button.addEventListener('click', () => {
      if (this.exporting) return;
      this.exporting = true;
      this.exportStatus = null;
      this.cb.exportEvidence(i.id);
      this.render();
    });
    const s = this.exportStatus;
    const status = s
      ? h('p', { class: s.ok ? 'export-status ok' : 'export-status failed', role: 'status' }, icon(s.ok ? 'pass' : 'error'), ` ${s.text}`)
      : h('p', { class: 'export-status', role: 'status' });
    return h('div', { class: 'export-evidence' }, button, status);
  }

  private why(i: Incident, d: Decision | null): HTMLElement {
    return h(
      'div',
      null,
      h('p', { class: 'reason' }, d?.reason ?? i.reason),
      h(
        'p',
        { class: 'muted' },
        `Confidence ${percent(d?.confidence ?? i.confidence)}. Rules that fired: `,
        (d ? d.rules.filter((r) => r.fired).map((r) => r.title) : i.rules.map(humanize)).join(', ') || 'none',
        '.',
      ),
    );
  }

  private action(i: Incident, d: Decision | null): HTMLElement {
    const done = actionSentence(i, d);
    return h(
      'dl',
      { class: 'facts' },
      ...fact('Action', h('span', { class: 'action-taken', 'data-action': i.action }, icon(done.icon), ` ${done.text}`)),
      ...fact('By', h('span', { class: 'actor' }, i.actor)),
      ...fact('Rollout', d ? rolloutText(d) : i.enforced ? 'enforce' : 'not enforced'),
      ...fact('Peak', `CPU ${num(i.peak_cpu_percent)} %, memory ${num(i.peak_rss_mb)} MB`),
      ...(learnedFrom(i) ? fact('Learned', this.allowControls(i)) : []),
    );
  }

  /** "Not a runaway" for an incident whose loop taught a signature, behind the same inline confirmation. */
  private allowControls(i: Incident): HTMLElement {
    const status = this.statusBlock('incident');
    if (alreadyAllowed(this.detail?.chain ?? [])) {
      return h('div', { class: 'allow' }, h('span', { class: 'allowed' }, icon('pass'), ' Marked not a runaway: this loop no longer alerts or stops jobs here.'), status);
    }
    const note = h('span', { class: 'muted' }, 'FlowForge remembers this loop and flags it at its first cycle next time. ');
    if (this.confirming?.action === 'incident/allow') {
      return h('div', { class: 'allow' }, note, this.confirmBar({ id: i.id, name: i.name }, this.confirming), status);
    }
    return h('div', { class: 'allow' }, note, this.actionButton('incident/allow', true), status);
  }

  private statusBlock(block: 'run' | 'incident'): HTMLElement {
    if (!this.statusText || this.statusFor !== block) return h('p', { class: 'action-status', role: 'status' });
    const cls = this.statusOk ? 'action-status ok' : 'action-status failed';
    return h('p', { class: cls, role: 'status' }, icon(this.statusOk ? 'pass' : 'error'), ` ${this.statusText}`);
  }

  /** A button that opens the inline confirmation of `action`. */
  private actionButton(action: ConfirmedAction, secondary: boolean): HTMLElement {
    const b = h('vscode-button', { icon: verbs[action].icon, secondary, disabled: this.pending !== null, 'data-focus': action }, verbs[action].button);
    b.addEventListener('click', () => {
      if (this.pending) return;
      this.confirming = { action, reason: defaultReason[action] };
      this.render();
      focusSoon(this.element.querySelector('[data-focus="confirm"]'));
    });
    return b;
  }

  private runBlock(i: Incident, run: Run | null): HTMLElement {
    if (!run) return h('p', { class: 'muted' }, `Run ${i.run_id} is no longer in the store (retention).`);
    const ended = run.ended_at !== null;
    return h(
      'div',
      { class: 'run' },
      h('pre', { class: 'command', 'aria-label': 'Command' }, h('code', null, run.command)),
      h(
        'dl',
        { class: 'facts' },
        ...fact('State', h('span', { class: 'lifecycle', 'data-lifecycle': run.lifecycle }, lifecycleIcon(run), ` ${run.lifecycle.toLowerCase()}`)),
        ...fact('Folder', run.cwd),
        ...fact('Attempt', `${run.attempt}${run.restartable ? ' (restartable)' : ''}`),
        ...fact('Process', run.pid === null ? 'not started' : `pid ${run.pid}${run.pgid ? `, group ${run.pgid}` : ''}`),
        ...fact('Profile', `${run.profile}, on runaway: ${run.on_runaway}, started from ${run.source}`),
        ...fact('Started', h('span', { title: fullTime(run.started_at) }, when(run.started_at))),
        ...(ended ? fact('Ended', endText(run)) : []),
      ),
      this.controls(run),
    );
  }

  /** Stop/Restart for a job that still runs, behind an inline confirmation. */
  private controls(run: Run): HTMLElement | null {
    const status = this.statusBlock('run');
    if (!isActive(run)) return status;
    if (this.confirming && this.confirming.action !== 'incident/allow') return h('div', null, this.confirmBar(run, this.confirming), status);
    return h('div', null, h('div', { class: 'run-actions' }, this.actionButton('run/stop', false), this.actionButton('run/restart', true)), status);
  }

  /** `target`: the run (Stop/Restart) or the incident ("Not a runaway"), by id and the job's name. */
  private confirmBar(target: { id: string; name: string }, c: Confirming): HTMLElement {
    const v = verbs[c.action];
    const questionId = uid('confirm');
    const reasonId = uid('reason');
    const reason = h('vscode-textfield', { id: reasonId, value: c.reason, maxlength: MAX_ACTION_REASON, 'data-focus': 'reason' });
    reason.addEventListener('input', () => {
      c.reason = (reason as HTMLElement & { value: string }).value;
    });
    const yes = h('vscode-button', { icon: v.icon, 'data-focus': 'confirm', disabled: this.pending !== null }, this.pending ? 'Working…' : v.button);
    const no = h('vscode-button', { secondary: true, 'data-focus': 'cancel' }, 'Cancel');
    yes.addEventListener('click', () => {
      const text = c.reason.trim();
      if (this.pending) return;
      if (!text) {
        this.statusOk = false;
        this.statusText = 'Give a reason: it goes into the audit log.';
        this.render();
        return;
      }
      this.pending = c.action;
      this.statusText = '';
      this.cb.act(c.action, target.id, text);
      this.render();
    });
    no.addEventListener('click', () => this.cancelConfirm());
    return h(
      'div',
      { class: 'confirm-bar', role: 'group', 'aria-labelledby': questionId },
      h('p', { id: questionId }, h('strong', null, v.question(target.name)), ` ${v.effect}`),
      h('div', { class: 'confirm-row' }, h('vscode-label', { for: reasonId }, 'Reason (recorded in the audit log)'), reason),
      h('div', { class: 'run-actions' }, yes, no),
    );
  }

  private cancelConfirm(): void {
    const action = this.confirming?.action;
    this.confirming = null;
    this.render();
    if (action) focusSoon(this.element.querySelector(`[data-focus="${action}"]`));
  }

  private decisionPicker(decisions: Decision[]): HTMLElement | null {
    if (decisions.length < 2) return null;
    const id = uid('decision');
    const select = h(
      'vscode-single-select',
      { id, 'data-focus': 'decision' },
      ...decisions.map((d, n) =>
        h('vscode-option', { value: d.id, selected: d.id === this.decisionId }, `#${n + 1} ${when(d.t)}: ${d.action}${d.enforced ? '' : ' (held back)'}`),
      ),
    );
    select.addEventListener('change', () => {
      this.decisionId = (select as HTMLElement & { value: string }).value;
      this.charts?.destroy();
      this.charts = null;
      this.render();
    });
    return h('div', { class: 'toolbar' }, h('vscode-label', { for: id }, 'Decision'), select);
  }

  private rules(d: Decision): HTMLElement {
    return table(
      'Rules the policy evaluated',
      ['Rule', 'Result', 'Confidence', 'Detail'],
      d.rules.map((r) => [
        h('span', null, r.title, h('code', { class: 'rule-id' }, r.id)),
        h('span', { class: r.fired ? 'verdict fired' : 'verdict' }, icon(r.fired ? 'flame' : 'circle-slash'), r.fired ? ' Fired' : ' Did not fire'),
        percent(r.confidence),
        r.detail,
      ]),
      'rules',
    );
  }

  private signals(d: Decision): HTMLElement {
    return table(
      'Signals the decision used, each against its threshold',
      ['Signal', 'Value', 'Threshold', 'Result'],
      d.signals.map((s) => [
        humanize(s.name),
        withUnit(s.value, s.unit),
        s.threshold === null ? 'none' : `${s.op === '>=' ? '≥' : '≤'} ${withUnit(s.threshold, s.unit)}`,
        s.threshold === null
          ? h('span', { class: 'verdict' }, icon('dash'), ' Not limited')
          : h('span', { class: s.breached ? 'verdict breached' : 'verdict' }, icon(s.breached ? 'warning' : 'pass'), s.breached ? ' Breached' : ' Within limit'),
      ]),
      'signals',
    );
  }

  private evidence(i: Incident, d: Decision | null): HTMLElement {
    const templates = d?.templates.length ? d.templates : i.templates;
    const lines = d?.evidence.length ? d.evidence : i.evidence;
    return h(
      'div',
      null,
      h('h4', null, templates.length === 1 ? 'The repeated line (normalised template)' : 'The repeated lines (normalised templates)'),
      templates.length
        ? h('ol', { class: 'templates' }, ...templates.map((t) => h('li', null, h('code', null, t))))
        : h('p', { class: 'muted' }, 'No repeated output: this decision rests on CPU, memory or process signals.'),
      h('h4', null, 'Evidence lines (redacted before they were stored)'),
      lines.length ? h('pre', { class: 'evidence' }, lines.join('\n')) : h('p', { class: 'muted' }, 'No output lines were kept.'),
    );
  }

  private journal(chain: TimelineEvent[]): HTMLElement {
    if (!chain.length) return h('p', { class: 'muted' }, 'Nothing else was recorded for this incident.');
    return h(
      'ol',
      { class: 'journal' },
      ...chain.map((e) =>
        h(
          'li',
          { 'data-kind': e.kind },
          h('span', { class: 'time', title: fullTime(e.t) }, when(e.t)),
          h('span', { class: 'kind-tag' }, e.kind),
          h('span', null, e.summary),
          journalDetail(e),
        ),
      ),
    );
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key !== 'Escape') return;
    e.preventDefault();
    if (this.confirming) this.cancelConfirm();
    else this.cb.back();
  }
}

function isActive(run: Run | null): run is Run {
  return run !== null && ACTIVE_PHASES.includes(run.lifecycle);
}

/** The decision that acted: the incident's last one, else the last recorded. */
function defaultDecision(d: IncidentDetail): Decision | undefined {
  return d.decisions.find((x) => x.id === d.incident.last_decision_id) ?? d.decisions[d.decisions.length - 1];
}

function fact(term: string, value: Child): HTMLElement[] {
  return [h('dt', null, term), h('dd', null, value)];
}

export function statusBadge(i: Incident): HTMLElement {
  const open = i.status === 'open';
  return h('span', { class: `status status-${i.status}` }, icon(open ? 'flame' : 'pass'), open ? ' Open' : ' Closed');
}

function actionSentence(i: Incident, d: Decision | null): { icon: string; text: string } {
  if (!i.enforced && i.intended !== 'continue') {
    const mode = d ? rolloutText(d) : 'shadow';
    return { icon: 'eye', text: `Held back: the policy wanted to ${i.intended}, the rollout mode (${mode}) only recorded it` };
  }
  switch (i.action) {
    case 'kill':
      return { icon: 'debug-stop', text: 'Stopped the job' };
    case 'restart':
      return { icon: 'debug-restart', text: 'Restarted the job' };
    case 'alert':
      return { icon: 'bell', text: 'Alerted; the job kept running' };
    case 'nudge':
      return { icon: 'comment', text: 'Nudged the agent (a message with its next tool result); the job kept running' };
    case 'block':
      return { icon: 'circle-slash', text: "Refused the agent's repeating call; the job kept running" };
    default:
      return { icon: 'circle-slash', text: 'Took no action' };
  }
}

function rolloutText(d: Decision): string {
  if (d.rollout === 'canary') {
    const bucket = d.canary_bucket === null ? '' : `, this run in bucket ${d.canary_bucket}`;
    return `canary ${d.canary_percent ?? 0} %${bucket}`;
  }
  return d.rollout;
}

function lifecycleIcon(run: Run): HTMLElement {
  const names: Record<Run['lifecycle'], string> = {
    STARTING: 'loading',
    RUNNING: 'play-circle',
    STOPPING: 'debug-pause',
    STOPPED: 'stop-circle',
    FAILED: 'error',
  };
  return icon(names[run.lifecycle]);
}

function endText(run: Run): string {
  const how = run.signal ? `signal ${run.signal}` : run.exit_code !== null ? `exit code ${run.exit_code}` : 'no exit status';
  const reason = run.end_reason ? humanize(run.end_reason).toLowerCase() : 'ended';
  const took = run.ended_at === null ? '' : ` after ${duration(run.ended_at - run.started_at)}`;
  return `${when(run.ended_at ?? run.started_at)}: ${reason}, ${how}${took}`;
}

function table(caption: string, headers: string[], rows: Child[][], name: string): HTMLElement {
  return h(
    'table',
    { class: `data-table ${name}-table` },
    h('caption', null, caption),
    h('thead', null, h('tr', null, ...headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, ...rows.map((r) => h('tr', null, ...r.map((c) => h('td', null, c))))),
  );
}
