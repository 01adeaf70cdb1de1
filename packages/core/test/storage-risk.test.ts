/** storageRisks: seed 003's "will this directory's contents vanish on restart" check, shared by the collector and the FileSink. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { filesystemOf, storageRisks } from '../src/storage-risk.ts'

const MOUNTS = [
  'rootfs / ext4 rw,relatime 0 0',
  'tmpfs /dev/shm tmpfs rw,nosuid 0 0',
  'none /run/ram ramfs rw 0 0',
  '/dev/vdb /dev/shm/volume ext4 rw 0 0',
  'tmpfs /srv/with\\040space tmpfs rw 0 0',
].join('\n') + '\n'

test('filesystemOf: the longest mount point that holds the path, whole components only', () => {
  assert.equal(filesystemOf('/var/log/bot', MOUNTS), 'ext4')
  assert.equal(filesystemOf('/dev/shm', MOUNTS), 'tmpfs')
  assert.equal(filesystemOf('/dev/shm/audit', MOUNTS), 'tmpfs')
  assert.equal(filesystemOf('/dev/shm/volume/audit', MOUNTS), 'ext4', 'a persistent volume inside a tmpfs is safe')
  assert.equal(filesystemOf('/dev/shmem', MOUNTS), 'ext4', 'a mount point that is only a string prefix does not count')
  assert.equal(filesystemOf('/srv/with space/audit', MOUNTS), 'tmpfs', 'mount points with spaces arrive octal-escaped')
  assert.equal(filesystemOf('/anything', ''), undefined)
})

test('storageRisks: tmpfs and ramfs anywhere, /tmp only inside a container', () => {
  const outside = { mounts: MOUNTS, inContainer: false }
  assert.deepEqual(storageRisks('/var/log/bot', outside), [])
  assert.deepEqual(storageRisks('/dev/shm/audit', outside), ['is on tmpfs'])
  assert.deepEqual(storageRisks('/run/ram/audit', outside), ['is on ramfs'])
  assert.deepEqual(storageRisks('/tmp/audit', outside), [])
  assert.deepEqual(storageRisks('/tmp/audit', { mounts: MOUNTS, inContainer: true }), ['is under /tmp inside a container'])
  assert.deepEqual(storageRisks('/tmp', { mounts: `${MOUNTS}tmpfs /tmp tmpfs rw 0 0\n`, inContainer: true }), ['is on tmpfs', 'is under /tmp inside a container'])
  assert.deepEqual(storageRisks('/tmpfoo', { mounts: MOUNTS, inContainer: true }), [])
  assert.deepEqual(storageRisks('/tmp/audit', { mounts: MOUNTS, env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' } }), ['is under /tmp inside a container'])
})
