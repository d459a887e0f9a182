// Renderer entry. Untrusted by design (docs/architecture.md §3): it only talks to the core through the IPC
// contract, either window.messenger (Electron preload) or the browser host's WebSocket. In a
// browser tab the host bootstrap (api.ts) decides first whether this tab may use the messenger.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { openTransport, type HostGate, type Transport } from './api';
import { createAppStore } from './store';
import { StoreContext } from './context';
import { App, NoHost } from './App';
import { TabGate } from './TabGate';
import './styles.css';
import { createOtrStore, OtrContext } from './otr';
import { createPushStore, PushContext } from './push';
import { createGroupsStore, GroupsContext, startGroupNotifier } from './groups';
import { startNotifier } from './notify/notifier';

if (!window.messenger) {
  // A new link in the address (a restarted host, or the newest link pasted here) needs a new start.
  window.addEventListener('hashchange', () => window.location.reload());
}
const root = createRoot(document.getElementById('root')!);

function show(gate: HostGate): void {
  if (gate.kind === 'ready') return startApp(gate.transport);
  if (gate.kind === 'no-token') {
    root.render(
      <StrictMode>
        <NoHost />
      </StrictMode>,
    );
    return;
  }
  const takeOver = gate.kind === 'open-elsewhere' ? gate.takeOver : undefined;
  root.render(
    <StrictMode>
      <TabGate kind={gate.kind} {...(takeOver ? { onTakeOver: async () => show(await takeOver()) } : {})} />
    </StrictMode>,
  );
}

function startApp(transport: Transport): void {
  const app = createAppStore(transport.api, transport.status);
  transport.onStatus((s) => {
    if (s !== 'taken-over') return app.actions.setLink(s);
    // another tab took over: this one says so and may take the messenger back
    const takeBack = transport.takeBack;
    root.render(
      <StrictMode>
        <TabGate kind="taken-over" {...(takeBack ? { onTakeOver: async () => show(await takeBack()) } : {})} />
      </StrictMode>,
    );
  });
  // private conversations (OTR): status and notices pushed by the core
  const otr = createOtrStore(transport.api);
  // wake-ups: push settings, approval prompts and the wake-ups list
  const push = createPushStore(transport.api);
  // verified groups: group state and timelines pushed by the core
  const groups = createGroupsStore(transport.api);
  // the unread total in the title; desktop notifications when turned on (notify/)
  startNotifier(transport.api, app);
  startGroupNotifier(transport.api, groups);
  // notices raised before this window listened (e.g. a key change seen while connecting at start)
  void app.actions.load().then(() => {
    for (const accountId of Object.keys(app.store.getState().accounts)) void otr.actions.loadNotices(accountId);
  });
  root.render(
    <StrictMode>
      <StoreContext.Provider value={app}>
        <OtrContext.Provider value={otr}>
          <PushContext.Provider value={push}>
            <GroupsContext.Provider value={groups}>
              <App />
            </GroupsContext.Provider>
          </PushContext.Provider>
        </OtrContext.Provider>
      </StoreContext.Provider>
    </StrictMode>,
  );
}

void openTransport().then(show, () => show({ kind: 'gone' }));
