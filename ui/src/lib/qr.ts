import type { QrCode } from './types';

/** Quiet zone around a code, in modules (the standard asks for four). */
export const QUIET = 4;

/** An SVG path with one unit square per dark module (row-major, `true` is dark), offset by the quiet zone. */
export function qrPath(code: QrCode): string {
  let d = '';
  for (let y = 0; y < code.size; y++)
    for (let x = 0; x < code.size; x++) if (code.modules[y * code.size + x]) d += `M${x + QUIET} ${y + QUIET}h1v1h-1z`;
  return d;
}
