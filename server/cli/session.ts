// Opening a session whose store is open before anything starts: the VS Code
// backend, `flowforge serve`, `flowforge api`, the demo. (`flowforge run`
// opens its store beside its job: runSession.ts.)
import { ReaperClient } from '../supervisor/reaper';
import { assembleSession, openedStoreSource, stderrLogger, type Session, type SessionOptions } from './sessionCore';
import { openRealStore } from './sessionStore';

export { stderrLogger, type Session, type SessionOptions } from './sessionCore';

export async function openSession(opts: SessionOptions): Promise<Session> {
  const logger = opts.logger ?? stderrLogger(opts.quiet ?? false, opts.logLevel);
  const opened = await openRealStore(opts, logger);
  const reaper = new ReaperClient();
  reaper.start();
  return assembleSession(opts, logger, reaper, openedStoreSource(opened));
}
