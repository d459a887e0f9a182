// Renderer entry. Untrusted by design (DESIGN.md 3): it only talks to the core through the IPC
// contract, either window.messenger (Electron preload) or the browser host's WebSocket.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectTransport } from './api';
import { createAppStore } from './store';
import { StoreContext } from './context';
import { App, NoHost } from './App';
import './styles.css';
import { createOtrStore, OtrContext } from './otr';
import { createGroupsStore, GroupsContext } from './groups';

const transport = connectTransport();
if (!window.messenger) {
  // A new token in the address (a restarted host on the same port) needs a new connection.
  window.addEventListener('hashchange', () => window.location.reload());
}
const root = createRoot(document.getElementById('root')!);

if (!transport.api) {
  root.render(
    <StrictMode>
      <NoHost />
    </StrictMode>,
  );
} else {
  const app = createAppStore(transport.api, transport.status);
  transport.onStatus((s) => app.actions.setLink(s));
  // private conversations (OTR): status and notices pushed by the core
  const otr = createOtrStore(transport.api);
  // verified groups: group state and timelines pushed by the core
  const groups = createGroupsStore(transport.api);
  // notices raised before this window listened (e.g. a key change seen while connecting at start)
  void app.actions.load().then(() => {
    for (const accountId of Object.keys(app.store.getState().accounts)) void otr.actions.loadNotices(accountId);
  });
  root.render(
    <StrictMode>
      <StoreContext.Provider value={app}>
        <OtrContext.Provider value={otr}>
          <GroupsContext.Provider value={groups}>
            <App />
          </GroupsContext.Provider>
        </OtrContext.Provider>
      </StoreContext.Provider>
    </StrictMode>,
  );
}
