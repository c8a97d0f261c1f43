// What every card of Settings that edits the station's settings is given by the Settings view: the store to
// call, the settings as last saved, and where to hand the saved result so every card shows it.
import type { Settings } from '../../../electron/contract/index.js';
import type { StationStore } from './station-store.svelte.js';

export interface SettingsFormProps {
  store: StationStore;
  settings: Settings;
  onsaved: (settings: Settings) => void;
}
