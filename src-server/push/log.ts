// JSON-lines logging to stderr. Callers pass only non-secret fields: never tokens, passwords,
// registration ids, knock blobs or push names (docs/architecture.md §7: servers never see account names;
// house rule: no secrets in logs).
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(level: 'info' | 'warn' | 'error' | 'silent' = 'info'): Logger {
  const order = { info: 0, warn: 1, error: 2, silent: 3 } as const;
  const out = (l: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => {
    if (order[l] < order[level]) return;
    process.stderr.write(JSON.stringify({ t: new Date().toISOString(), level: l, msg, ...fields }) + '\n');
  };
  return {
    info: (m, f) => out('info', m, f),
    warn: (m, f) => out('warn', m, f),
    error: (m, f) => out('error', m, f),
  };
}
