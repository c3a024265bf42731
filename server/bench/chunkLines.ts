// Lines packed into pipe-sized chunks (64 KB), the way a job's output reaches
// the supervisor: shared by the detector bench and trace replay.
export function chunkLines(count: number, lineAt: (i: number) => string, chunkBytes = 65_536): Buffer[] {
  const chunks: Buffer[] = [];
  let parts: string[] = [];
  let size = 0;
  for (let i = 0; i < count; i++) {
    const l = lineAt(i) + '\n';
    parts.push(l);
    size += l.length;
    if (size >= chunkBytes) {
      chunks.push(Buffer.from(parts.join('')));
      parts = [];
      size = 0;
    }
  }
  if (parts.length) chunks.push(Buffer.from(parts.join('')));
  return chunks;
}
