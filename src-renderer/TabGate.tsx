// The pages a browser tab shows instead of the messenger (api.ts, docs/ui.md "Browser host"):
// another tab is using it, this tab was taken over, the link was spent, or no connection.
import { useState } from 'react';

export type GateKind = 'open-elsewhere' | 'taken-over' | 'link-used' | 'gone';

const texts: Record<GateKind, { title: string; body: string; button?: string }> = {
  'open-elsewhere': {
    title: 'Messenger is open in another tab',
    body: 'Only one tab at a time can use the messenger, so that your conversations are shown in one place only. You can move it to this tab: the other tab will be disconnected.',
    button: 'Use it in this tab',
  },
  'taken-over': {
    title: 'Messenger moved to another tab',
    body: 'Another tab or browser window started using the messenger, so this tab was disconnected.',
    button: 'Use it in this tab again',
  },
  'link-used': {
    title: 'This link was already used',
    body: 'Each link the messenger prints opens it once. Go back to the tab that uses it, or open the newest link printed by npm run web.',
  },
  gone: {
    title: 'Not connected',
    body: 'This tab cannot reach the messenger: it may have stopped, or another tab uses it now. Open the newest link printed by npm run web.',
  },
};

export function TabGate({ kind, onTakeOver }: { kind: GateKind; onTakeOver?: () => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  const t = texts[kind];
  return (
    <main className="centered">
      <section className="card" aria-labelledby="gate-title">
        <h1 id="gate-title">{t.title}</h1>
        <p role="alert">{t.body}</p>
        {t.button && onTakeOver ? (
          <button
            type="button"
            className="primary"
            disabled={busy}
            onClick={() => {
              setBusy(true);
              void onTakeOver().finally(() => setBusy(false));
            }}
          >
            {t.button}
          </button>
        ) : null}
      </section>
    </main>
  );
}
