// Which pages count as the station: the built renderer on app://station, plus the exact Vite dev server
// while developing. Node's URL gives custom schemes an opaque origin ("null"), so the origin is rebuilt
// from scheme and host here; Chromium treats app: as a standard scheme and agrees with this.

export const APP_SCHEME = 'app';
export const APP_HOST = 'station';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** `scheme://host[:port]` of an absolute URL, or undefined when it does not parse or carries credentials. */
export function originOf(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.username || parsed.password || !parsed.host) return undefined;
  return `${parsed.protocol}//${parsed.host}`;
}

/** The origins the station's own pages may have: app://station, and the dev server's when one is given. */
export function stationOrigins(devServerUrl?: string): readonly string[] {
  if (!devServerUrl) return [APP_ORIGIN];
  const dev = originOf(devServerUrl);
  if (!dev || !/^https?:\/\//.test(dev)) throw new Error(`The renderer dev server URL ${JSON.stringify(devServerUrl)} is not an absolute http(s) URL; fix ELECTRON_RENDERER_URL.`);
  return [APP_ORIGIN, dev];
}

export function isStationUrl(url: string, origins: readonly string[]): boolean {
  const origin = originOf(url);
  return origin !== undefined && origins.includes(origin);
}
