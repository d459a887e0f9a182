// OTR Query Messages (OTRv3 §"OTR Query Messages", OTRv4 §"Query Messages"): "?OTR" then "?"
// if version 1 is offered, then "v" ‖ version characters ‖ "?" for the others. Version
// characters other than digits (hypothetical future versions) are skipped. The library never
// speaks v1; v2 only when the policy allows it and nothing newer is offered (`chooseVersion`).

const QUERY_TAG = '?OTR';

/** "?OTRv" ‖ versions ‖ "?" (v4 first, as libotr-ng does) plus an optional explanation after a space */
export function formatQueryMessage(versions: readonly number[], explanation?: string): string {
  for (const v of versions) {
    if (!Number.isInteger(v) || v < 2 || v > 9) throw new RangeError(`cannot offer OTR version ${v}`);
  }
  const uniq = [...new Set(versions)].sort((a, b) => b - a);
  const q = `${QUERY_TAG}v${uniq.join('')}?`;
  return explanation ? `${q} ${explanation}` : q;
}

/**
 * Finds a query message anywhere in `text` and returns the versions it offers (1 for "?OTR?",
 * then the digits after "v"), or undefined if `text` holds no query. "?OTRv?" gives [].
 */
export function parseQueryMessage(text: string): number[] | undefined {
  let from = 0;
  for (;;) {
    const at = text.indexOf(QUERY_TAG, from);
    if (at < 0) return undefined;
    let i = at + QUERY_TAG.length;
    const versions: number[] = [];
    let isQuery = false;
    if (text[i] === '?') {
      versions.push(1);
      isQuery = true;
      i++;
    }
    if (text[i] === 'v') {
      const close = text.indexOf('?', i + 1);
      // "?OTRv" without a closing "?" is not a query (libotr requires it too)
      if (close >= 0) {
        isQuery = true;
        for (const ch of text.slice(i + 1, close)) {
          if (ch >= '0' && ch <= '9' && !versions.includes(Number(ch))) versions.push(Number(ch));
        }
      }
    }
    if (isQuery) return versions;
    from = at + 1;
  }
}

/**
 * The highest version both sides allow among 2, 3 and 4 (v1 is refused), or undefined
 * (OTRv3 §"Receiving a Query Message": v3 if offered and allowed, "otherwise" v2). `allowV2`
 * absent means allowed, as in the policy type.
 */
export function chooseVersion(offered: readonly number[], allowed: { allowV2?: boolean; allowV3: boolean; allowV4: boolean }): 2 | 3 | 4 | undefined {
  if (allowed.allowV4 && offered.includes(4)) return 4;
  if (allowed.allowV3 && offered.includes(3)) return 3;
  if (allowed.allowV2 !== false && offered.includes(2)) return 2;
  return undefined;
}

/** true when `offered` holds version 2 but nothing newer we could speak, and the policy refuses 2 */
export function onlyRefusedV2(offered: readonly number[], allowed: { allowV2?: boolean; allowV3: boolean; allowV4: boolean }): boolean {
  return allowed.allowV2 === false && offered.includes(2) && chooseVersion(offered, allowed) === undefined;
}
