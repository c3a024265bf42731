// The /v1 API served by a CLI session (`flowforge run` unless --no-api).
// Wired to server/api once it lands; until then the session runs without it.
import type { Session } from './session';

export interface CliApi {
  port: number;
  close(): Promise<void>;
}

export async function startCliApi(session: Session, _port: number, _quiet: boolean): Promise<CliApi | null> {
  session.logger.debug('API not wired yet');
  return null;
}
