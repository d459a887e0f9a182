// The last line of defence of a long-running process (the Electron main process, the browser
// host): an exception or rejection nobody handled is logged and the process keeps running, as a
// messenger must not vanish because one connection misbehaved (issue 18: xmpp.js threw from a
// socket listener during a server restart). The log line names the error and where it came from,
// never its message: a message may hold server text or a secret.

/** The error's name and stack frames, without the message (pure). */
export function describeUnexpected(e: unknown): string {
  if (!(e instanceof Error)) return `a thrown ${e === null ? 'null' : typeof e}`;
  const frames = (e.stack ?? '')
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .slice(0, 8)
    .map((l) => l.trim());
  return [e.name || 'Error', ...frames].join('\n    ');
}

/** Installs the handlers once; `log` gets one line per unexpected error. */
export function keepRunningOnUnexpected(processName: string, log: (line: string) => void = (l) => console.error(l)): void {
  process.on('uncaughtException', (e) => log(`${processName}: unexpected exception, still running: ${describeUnexpected(e)}`));
  process.on('unhandledRejection', (e) => log(`${processName}: unhandled rejection, still running: ${describeUnexpected(e)}`));
}
