// Which OTR dialog of the open conversation is shown. Both the header's privacy menu and the
// timeline open them (a key-change event's "Verify now"), so the choice lives outside either.
import { create } from 'zustand';

export type OtrDialogName = 'verify' | 'settings' | 'devices';

interface DialogState {
  /** otrKey of the conversation and the dialog open for it */
  open: { key: string; which: OtrDialogName } | null;
  show: (key: string, which: OtrDialogName) => void;
  close: () => void;
}

export const useOtrDialog = create<DialogState>((set) => ({
  open: null,
  show: (key, which) => set({ open: { key, which } }),
  close: () => set({ open: null }),
}));
