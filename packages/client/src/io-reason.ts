/** What an errno means for a file or directory the SDK writes, said so that a person can fix it. */
export function ioReason(error: unknown): string {
  const e = error as NodeJS.ErrnoException
  switch (e?.code) {
    case 'ENOSPC': return 'the disk is full'
    case 'EDQUOT': return 'the disk quota is used up'
    case 'EACCES': case 'EPERM': return `it is not writable by this user (${e.code})`
    case 'EROFS': return 'the file system is read-only'
    case 'EISDIR': return 'it is a directory; give the path of a file'
    case 'ENOTDIR': case 'EEXIST': return 'a path component is not a directory'
    default: return e instanceof Error ? e.message : String(error)
  }
}
