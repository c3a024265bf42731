// What a terminal line looked like to the person watching it. The backend's
// output tail and the extension's terminal catch-up must agree on it, or a
// line shown live and the same line replayed would differ.

// CSI, OSC (BEL or ST terminated) and two-character escapes.
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** A terminal line as a person saw it: escapes gone, `\r` redraws collapsed to the last frame. */
export function displayLine(raw: string): string {
  const line = raw.replace(ANSI, '').replace(/\r+$/, '');
  const cr = line.lastIndexOf('\r');
  return cr >= 0 ? line.slice(cr + 1) : line;
}
