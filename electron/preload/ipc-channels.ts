// The two Electron IPC channels between preload and main: every station request travels on one, every
// station event on the other. The station's own request names are the contract's allowlist.

export const STATION_CALL_CHANNEL = 'station:call';
export const STATION_EVENT_CHANNEL = 'station:event';
