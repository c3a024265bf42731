// The evidence store's public surface: everything outside server/store imports from here.
export { openStore, openStoreReadOnly, defaultStorePath, StoreIncompatibleError, StoreUnwritableError } from './open';
export type { OpenStoreOptions, OpenedStore } from './open';
export { SqlEvidenceStore, type StoreStats } from './sqlStore';
export { StoreLockedError, StoreLockLostError, type LockHolder } from './lock';
export { StoreWriteError } from './persist';
export { InvalidCursorError } from './cursor';
export { DEFAULT_RETENTION, type RetentionReport } from './retention';
export { formatIncidents, formatTimeline } from './reports';
export type * from './types';
