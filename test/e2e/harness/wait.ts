// Polling for UI state: the workbench updates asynchronously (extension host round
// trips, list virtualisation), so assertions wait for a condition instead of sleeping.

/**
 * Default wait for anything the workbench should show. Generous on purpose: the machine
 * is shared, and a passing wait costs only as long as the UI really takes.
 */
export const UI_TIMEOUT_MS = 30_000;

export interface EventuallyOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Describes what was awaited; the last observed value is appended on timeout. */
  message?: string;
}

/**
 * Calls `probe` until `accept` holds for its result and returns that result. On timeout
 * the error names what was awaited and the last value seen, so a failure is readable.
 */
export async function eventually<T>(probe: () => Promise<T> | T, accept: (value: T) => boolean, options: EventuallyOptions = {}): Promise<T> {
  const { timeoutMs = UI_TIMEOUT_MS, intervalMs = 200, message = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (accept(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const seen = lastError ? `error: ${String(lastError)}` : `last value: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message} (${seen})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Matches a string against a substring or a RegExp. */
export function matches(text: string, pattern: string | RegExp): boolean {
  return typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
