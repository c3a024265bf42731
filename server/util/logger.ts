// Structured, levelled logging for the backend. The sink is injected: the CLI
// writes to stderr, the backend forwards to the extension's LogOutputChannel.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(
  sink: (level: LogLevel, line: string) => void,
  minLevel: LogLevel = 'info',
): Logger {
  const log = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (order[level] < order[minLevel]) return;
    const extra = fields && Object.keys(fields).length ? ' ' + JSON.stringify(fields) : '';
    sink(level, `${msg}${extra}`);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

export const silentLogger: Logger = createLogger(() => undefined, 'error');
