// How numbers, times and durations read in the panel.
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** Clock time for today, date and time otherwise. */
export function when(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  return sameDay(d, new Date(now)) ? timeFmt.format(d) : dateTimeFmt.format(d);
}

export function clock(ms: number): string {
  return timeFmt.format(new Date(ms));
}

export function fullTime(ms: number): string {
  return fullFmt.format(new Date(ms));
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const hrs = Math.floor(m / 60);
  return `${hrs} h ${m % 60} min`;
}

/** A number with sensible precision: 3 significant digits below 100, integers above. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 100 || Number.isInteger(v)) return Math.round(v).toLocaleString();
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(a >= 1 ? 2 : 3).replace(/\.?0+$/, '') || '0';
}

export function withUnit(v: number | null, unit: string): string {
  if (v === null) return 'n/a';
  if (unit === '%') return `${num(v)} %`;
  if (unit === 'ratio') return num(v);
  return unit ? `${num(v)} ${unit}` : num(v);
}

export function percent(ratio: number): string {
  return `${Math.round(ratio * 100)} %`;
}

/** `cpu_loop` → `CPU loop`; names from the backend stay recognisable. */
export function humanize(id: string): string {
  const words = id.replace(/[_-]+/g, ' ').trim();
  const spaced = words.replace(/\bcpu\b/gi, 'CPU').replace(/\brss\b/gi, 'RSS');
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}
