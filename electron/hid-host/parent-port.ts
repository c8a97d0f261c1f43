// Electron gives a utility process `process.parentPort` (not part of the 'electron' module). It is looked
// up and checked at run time, so the host entry needs no Electron types and fails clearly anywhere else.

export interface ParentPortLike {
  onMessage(listener: (data: unknown) => void): void;
  postMessage(message: unknown): void;
}

export function parentPortOf(proc: object): ParentPortLike | undefined {
  const port: unknown = Reflect.get(proc, 'parentPort');
  if (typeof port !== 'object' || port === null) return undefined;
  const on: unknown = Reflect.get(port, 'on');
  const postMessage: unknown = Reflect.get(port, 'postMessage');
  if (typeof on !== 'function' || typeof postMessage !== 'function') return undefined;
  return {
    onMessage(listener) {
      // Electron delivers a MessageEvent-like `{data, ports}`.
      Reflect.apply(on, port, ['message', (event: unknown) => listener(typeof event === 'object' && event !== null ? Reflect.get(event, 'data') : undefined)]);
    },
    postMessage(message) {
      Reflect.apply(postMessage, port, [message]);
    },
  };
}
