// The store lock is re-checked before every save: removing the lock file must
// not let a second writer in only for the first to overwrite its data later.
import assert from 'node:assert/strict';
import { rmSync, statSync } from 'node:fs';
import { openStore, openStoreReadOnly } from '../../../server/store';
import { makeRun, tempStorePath } from './records';

describe('store/lock: lost and removed locks', () => {
  const tmp = tempStorePath();

  it('a writer whose lock was removed and taken by a second writer stops saving; the second writer’s data survives', async () => {
    const path = tmp.path;
    const { store: first } = await openStore({ path, lockCommand: 'first' });
    first.upsertRun(makeRun({ id: 'run_first_1' }));
    await first.flush();

    rmSync(`${path}.lock`);
    const { store: second } = await openStore({ path, lockCommand: 'second' });
    second.upsertRun(makeRun({ id: 'run_second' }));
    await second.flush();

    first.upsertRun(makeRun({ id: 'run_first_2' }));
    await assert.rejects(first.flush(), /lost the store lock .*second/);
    await second.close();
    await first.close().catch(() => undefined);

    const { store: reader } = await openStoreReadOnly(path);
    assert.ok(reader.getRun('run_second'), 'the first writer overwrote the second writer’s data');
    await reader.close();
  });

  it('a lock removed while nobody else wrote is put back, and saving goes on', async () => {
    const path = tmp.path;
    const { store } = await openStore({ path, lockCommand: 'only' });
    store.upsertRun(makeRun({ id: 'run_a' }));
    await store.flush();
    rmSync(`${path}.lock`);
    store.upsertRun(makeRun({ id: 'run_b' }));
    await store.flush();
    assert.equal(statSync(`${path}.lock`).mode & 0o777, 0o600);
    await store.close();
    const { store: reader } = await openStoreReadOnly(path);
    assert.ok(reader.getRun('run_b'));
    await reader.close();
  });

  it('a writer whose removed lock was freed again after someone else saved does not overwrite that save', async () => {
    const path = tmp.path;
    const { store: first } = await openStore({ path, lockCommand: 'first' });
    await first.flush();
    rmSync(`${path}.lock`);
    const { store: second } = await openStore({ path, lockCommand: 'second' });
    second.upsertRun(makeRun({ id: 'run_second' }));
    await second.close(); // saves and frees the lock
    first.upsertRun(makeRun({ id: 'run_first' }));
    await assert.rejects(first.flush(), /written by someone else/);
    await first.close().catch(() => undefined);
    const { store: reader } = await openStoreReadOnly(path);
    assert.ok(reader.getRun('run_second'));
    await reader.close();
  });

  it('creates the lock file 0600 and new folders 0700', async () => {
    const path = `${tmp.dir}/new/deeper/flowforge.db`;
    const { store } = await openStore({ path });
    assert.equal(statSync(`${path}.lock`).mode & 0o777, 0o600);
    assert.equal(statSync(`${tmp.dir}/new`).mode & 0o777, 0o700);
    assert.equal(statSync(`${tmp.dir}/new/deeper`).mode & 0o777, 0o700);
    await store.close();
  });
});
