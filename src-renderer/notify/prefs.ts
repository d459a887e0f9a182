// The notification preferences of this window: desktop notifications on or off, message text
// hidden in them (privacy: a notification shows on the lock screen and to whoever looks), and the
// conversations muted. Kept in the page's localStorage: they are the UI's, not the core's, and hold
// no secret (a muted conversation's address stays in the profile's own storage).
import { create } from 'zustand';

export interface NotifyPrefs {
  enabled: boolean;
  hideText: boolean;
  /** contactKey → true */
  muted: Record<string, true>;
}

const STORAGE = 'messenger.notify';

function load(): NotifyPrefs {
  try {
    const raw = JSON.parse(localStorage.getItem(STORAGE) ?? 'null') as Partial<NotifyPrefs> | null;
    if (raw && typeof raw === 'object') {
      return { enabled: raw.enabled === true, hideText: raw.hideText === true, muted: raw.muted && typeof raw.muted === 'object' ? raw.muted : {} };
    }
  } catch {
    // unreadable: defaults
  }
  return { enabled: false, hideText: false, muted: {} };
}

interface PrefsStore extends NotifyPrefs {
  setEnabled: (on: boolean) => void;
  setHideText: (on: boolean) => void;
  setMuted: (key: string, on: boolean) => void;
}

export const useNotifyPrefs = create<PrefsStore>((set, get) => {
  const save = () => {
    const { enabled, hideText, muted } = get();
    try {
      localStorage.setItem(STORAGE, JSON.stringify({ enabled, hideText, muted }));
    } catch {
      // storage full or refused: the choice lasts for this window
    }
  };
  return {
    ...load(),
    setEnabled: (on) => {
      set({ enabled: on });
      save();
    },
    setHideText: (on) => {
      set({ hideText: on });
      save();
    },
    setMuted: (key, on) => {
      const muted = { ...get().muted };
      if (on) muted[key] = true;
      else delete muted[key];
      set({ muted });
      save();
    },
  };
});
