// Whitespace tags (OTRv3 §"Tagged plaintext messages", OTRv4 §"Whitespace Tags"): a 16-byte base
// tag followed by one or more 8-byte version tags, anywhere in a plaintext message. Only the first
// tag counts. Version tags we do not know (8 characters of spaces/tabs) are skipped and removed.

export const WHITESPACE_BASE = '\x20\x09\x20\x20\x09\x09\x09\x09\x20\x09\x20\x09\x20\x09\x20\x20';

export const WHITESPACE_VERSION_TAGS: Readonly<Record<number, string>> = {
  1: '\x20\x09\x20\x09\x20\x20\x09\x20',
  2: '\x20\x20\x09\x09\x20\x20\x09\x20',
  3: '\x20\x20\x09\x09\x20\x20\x09\x09',
  4: '\x20\x20\x09\x09\x20\x09\x20\x20',
};

/** the tag (base ‖ version tags) for the given versions (2, 3 and/or 4 here) */
export function whitespaceTag(versions: readonly number[]): string {
  let tag = WHITESPACE_BASE;
  for (const v of [...new Set(versions)].sort((a, b) => b - a)) {
    const t = WHITESPACE_VERSION_TAGS[v];
    if (t === undefined || v < 2) throw new RangeError(`no whitespace tag for OTR version ${v}`);
    tag += t;
  }
  return tag;
}

/** appends the tag to a plaintext message */
export function addWhitespaceTag(text: string, versions: readonly number[]): string {
  return text + whitespaceTag(versions);
}

/**
 * Finds the first whitespace tag; returns the versions it offers and the text without the tag,
 * or undefined if there is none.
 */
export function findWhitespaceTag(text: string): { versions: number[]; text: string } | undefined {
  const at = text.indexOf(WHITESPACE_BASE);
  if (at < 0) return undefined;
  let i = at + WHITESPACE_BASE.length;
  const versions: number[] = [];
  while (i + 8 <= text.length && /^[ \t]{8}$/.test(text.slice(i, i + 8))) {
    const chunk = text.slice(i, i + 8);
    for (const [v, t] of Object.entries(WHITESPACE_VERSION_TAGS)) {
      if (t === chunk && !versions.includes(Number(v))) versions.push(Number(v));
    }
    i += 8;
  }
  return { versions, text: text.slice(0, at) + text.slice(i) };
}
