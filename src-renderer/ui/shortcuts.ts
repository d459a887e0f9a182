// Keyboard shortcuts of the signed-in window (docs/ui.md "Keyboard"):
// - Alt+Up / Alt+Down: the previous / next conversation in the contact lists;
// - Ctrl+1…9 (Cmd on macOS) or Alt+1…9: the first … ninth conversation;
// - Ctrl+K (Cmd+K): search the messages of every conversation (search/SearchDialog.tsx);
// - Alt+K: find a contact (the filter above the lists);
// - Alt+N: new conversation (the address field of "Add a contact").
// Browsers keep some Ctrl combinations for themselves (tabs), hence the Alt forms too.
import { useEffect } from 'react';

export const FILTER_ID = 'contact-filter';
export const NEW_CONTACT_ID = 'new-contact-address';

/** the contact buttons in the order the sidebar shows them */
function contactButtons(): HTMLButtonElement[] {
  return [...document.querySelectorAll<HTMLButtonElement>('.sidebar nav.contacts button.contact')];
}

function focusSoon(id: string) {
  requestAnimationFrame(() => document.getElementById(id)?.focus());
}

export function useShortcuts({ showSidebar, composerId, openSearch }: { showSidebar: () => void; composerId: string; openSearch: () => void }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing) return;
      // a modal dialog is open: its keys are its own
      if (document.querySelector('[role="dialog"][aria-modal="true"]')) return;
      const mod = e.ctrlKey || e.metaKey;
      const digit = /^Digit([1-9])$/.exec(e.code);
      let handled = true;
      if (digit && ((mod && !e.altKey) || (e.altKey && !mod))) {
        const b = contactButtons()[Number(digit[1]) - 1];
        if (b) {
          b.click();
          focusSoon(composerId);
        }
      } else if (e.altKey && !mod && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
        const list = contactButtons();
        if (list.length > 0) {
          const at = list.findIndex((b) => b.getAttribute('aria-current') === 'true');
          const next = e.key === 'ArrowDown' ? (at + 1) % list.length : at <= 0 ? list.length - 1 : at - 1;
          list[next]!.click();
          focusSoon(composerId);
        }
      } else if (mod && !e.altKey && e.code === 'KeyK') {
        openSearch();
      } else if (e.altKey && !mod && e.code === 'KeyK') {
        showSidebar();
        focusSoon(FILTER_ID);
      } else if (e.altKey && !mod && e.code === 'KeyN') {
        showSidebar();
        focusSoon(NEW_CONTACT_ID);
      } else handled = false;
      if (handled) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [showSidebar, composerId, openSearch]);
}
