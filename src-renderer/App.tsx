import { useCallback, useState } from 'react';
import { useApp, useAppState } from './context';
import { SignIn } from './SignIn';
import { Sidebar } from './Sidebar';
import { COMPOSER_ID, Conversation } from './Conversation';
import { plainWords } from './errors';
import { useShortcuts } from './ui/shortcuts';
import { SearchDialog } from './search/SearchDialog';

/** below this width the sidebar starts hidden, so that the conversation has the room (800x600) */
const NARROW = 900;

/**
 * The signed-in window: a skip link to the composer (first in the tab order), the sidebar (which
 * can be hidden: "Hide contacts" / "Show contacts"), the conversation; and the shortcuts.
 */
function Layout({ addingAccount, onCancelAdd }: { addingAccount: boolean; onCancelAdd: () => void }) {
  const [sidebar, setSidebar] = useState(() => window.innerWidth >= NARROW);
  const hasConversation = useAppState((s) => s.selected !== null);
  const show = useCallback(() => setSidebar(true), []);
  const [searching, setSearching] = useState(false);
  const openSearch = useCallback(() => setSearching(true), []);
  useShortcuts({ showSidebar: show, composerId: COMPOSER_ID, openSearch });
  return (
    <div className={`layout${sidebar ? '' : ' sidebar-hidden'}`}>
      <a
        className="skip-link"
        href={hasConversation && !addingAccount ? `#${COMPOSER_ID}` : '#conversation'}
        onClick={(e) => {
          // focus the target itself (a fragment link only moves the reading position), without changing the address
          const target = document.getElementById(hasConversation && !addingAccount ? COMPOSER_ID : 'conversation');
          if (!target) return;
          e.preventDefault();
          if (!target.hasAttribute('tabindex') && target.tagName === 'MAIN') target.setAttribute('tabindex', '-1');
          target.focus();
        }}
      >
        {hasConversation && !addingAccount ? 'Skip to the message box' : 'Skip to the conversation'}
      </a>
      {!sidebar && (
        <div className="sidebar-rail">
          {/* the page keeps its <h1> while the sidebar (which shows it) is folded */}
          <h1 className="sr-only">Messenger</h1>
          <button type="button" className="icon" aria-expanded="false" aria-controls="sidebar" onClick={() => setSidebar(true)} title="Show contacts (Alt+K)">
            <span aria-hidden="true">☰</span>
            <span className="sr-only">Show contacts</span>
          </button>
        </div>
      )}
      <Sidebar hidden={!sidebar} onHide={() => setSidebar(false)} onSearch={openSearch} />
      {searching && <SearchDialog onClose={() => setSearching(false)} />}
      {addingAccount ? <SignIn onCancel={onCancelAdd} /> : <Conversation />}
    </div>
  );
}

export function NoHost() {
  return (
    <main className="centered">
      <section className="card" aria-labelledby="nohost-title">
        <h1 id="nohost-title">Messenger</h1>
        <p role="alert">
          This page needs the address printed by <code>npm run web</code>, including the part after <code>#token=</code>.
        </p>
      </section>
    </main>
  );
}

function LinkBanner() {
  const link = useAppState((s) => s.link);
  if (link !== 'closed') return null;
  return (
    <div className="banner" role="alert">
      Lost the connection to the messenger. Start it again and open the address it prints.
    </div>
  );
}

export function App() {
  const { actions } = useApp();
  const loaded = useAppState((s) => s.loaded);
  const loadError = useAppState((s) => s.loadError);
  const accountCount = useAppState((s) => Object.keys(s.accounts).length);
  // The core reports an account while it is being signed in; the form stays until that succeeds
  // (a failed sign-in removes the account again and the form shows why).
  const signingIn = useAppState((s) => s.signingIn);
  // Another account is added from the signed-in window: its form takes the conversation's place
  // and the sidebar stays (the account being signed in shows there as connecting).
  const addingAccount = useAppState((s) => s.addingAccount);

  let body;
  if (!loaded) {
    body = (
      <main className="centered" aria-busy="true">
        <p role="status">Opening your messages…</p>
      </main>
    );
  } else if (loadError) {
    body = (
      <main className="centered">
        <p role="alert">{plainWords(loadError)}</p>
      </main>
    );
  } else if (accountCount === 0 || (signingIn && !addingAccount)) {
    body = <SignIn />;
  } else {
    body = <Layout addingAccount={addingAccount} onCancelAdd={() => actions.setAddingAccount(false)} />;
  }
  return (
    <>
      <LinkBanner />
      {body}
    </>
  );
}
