// What a new user sees before anything ran away: how to run something under
// FlowForge, with buttons that ask the extension to do it.
import type { HostCommandName } from '../server/shared/protocol/panel';
import { h, icon } from './dom';

export interface EmptyStateCallbacks {
  runCommand(command: HostCommandName): void;
  copy(text: string): void;
}

export const TASKS_SNIPPET = `{
  "version": "2.0.0",
  "tasks": [
    {
      "label": "train (supervised)",
      "type": "flowforge",
      "command": "python",
      "args": ["train.py"],
      "profile": "standard",
      "onRunaway": "kill"
    }
  ]
}`;

function button(label: string, iconName: string, onClick: () => void, secondary = false): HTMLElement {
  const b = h('vscode-button', { icon: iconName, secondary }, label);
  b.addEventListener('click', onClick);
  return b;
}

export function emptyState(cb: EmptyStateCallbacks): HTMLElement {
  return h(
    'div',
    { class: 'empty-state' },
    h('h2', null, icon('shield'), ' No incidents yet'),
    h(
      'p',
      null,
      'FlowForge records an incident when a job it supervises runs away: CPU spinning, output stuck in a loop, memory climbing. Nothing has so far. Run something under FlowForge in one of three ways:',
    ),
    h(
      'ol',
      { class: 'ways' },
      h(
        'li',
        null,
        h('h3', null, 'A task in tasks.json'),
        h('p', null, 'Give a task the type ', h('code', null, 'flowforge'), ' in ', h('code', null, '.vscode/tasks.json'), ' and run it with Tasks: Run Task. Or supervise any existing task.'),
        h('pre', { class: 'snippet' }, h('code', null, TASKS_SNIPPET)),
        h(
          'div',
          { class: 'run-actions' },
          button('Copy snippet', 'copy', () => cb.copy(TASKS_SNIPPET), true),
          button('Supervise a task…', 'checklist', () => cb.runCommand('superviseTask'), true),
        ),
      ),
      h(
        'li',
        null,
        h('h3', null, 'The FlowForge terminal'),
        h('p', null, 'Open the terminal’s profile menu (the arrow next to +) and choose FlowForge. Every command you run in that terminal is supervised; your own shell stays untouched.'),
      ),
      h(
        'li',
        null,
        h('h3', null, 'The demo'),
        h('p', null, 'FlowForge: Run Demo starts a small runaway job and a healthy one. The runaway is caught and its incident appears here.'),
        h('div', { class: 'run-actions' }, button('Run Demo', 'play', () => cb.runCommand('runDemo'))),
      ),
    ),
  );
}
