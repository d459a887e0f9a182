import { useApp, useAppState } from './context';
import { SignIn } from './SignIn';
import { Sidebar } from './Sidebar';
import { Conversation } from './Conversation';
import { plainWords } from './errors';

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
    body = (
      <div className="layout">
        <Sidebar />
        {addingAccount ? <SignIn onCancel={() => actions.setAddingAccount(false)} /> : <Conversation />}
      </div>
    );
  }
  return (
    <>
      <LinkBanner />
      {body}
    </>
  );
}
