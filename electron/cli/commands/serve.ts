// `keybench serve`: browser mode — the station core in this process, its UI served to a browser on localhost.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseOrgUrl } from '../../core/okta/org.js';
import { createStationBackend } from '../../core/station/service.js';
import { startWebBridge } from '../../web/server.js';
import { defaultDataDir } from '../data-dir.js';
import { parseCount } from '../key-sources.js';
import { credentialsFor, DEFAULT_TOKEN_ENV, refuseArgvSecrets, stationArgs } from '../station-runtime.js';
import { EXIT, UsageError, type Output } from '../usage.js';

export const SERVE_USAGE = `Usage: keybench serve [options]
Runs the station in this process and serves its UI to a browser (browser mode).
  --port N            port (default 0: pick a free one)
  --host ADDR         listen address (default 127.0.0.1; anything else exposes the station to your network)
  --data DIR          journal, settings and secrets (default $KEYBENCH_DATA, else ~/.keybench)
  --virtual N         number of virtual keys (default: the settings' value, 2 on a fresh station)
  --virtual-knobs="FLAGS"
                      knobs for those keys, as \`keybench virtual-key --help\` lists them
                      (e.g. "--latency makeCredential:3000" or "--unplug-during makeCredential")
  --org URL           the Okta org to use from now on (http://127.0.0.1:PORT for a running \`keybench sim\`);
                      stored in DIR like Settings does (the token too when KEYBENCH_PASSPHRASE is set)
  --token-env NAME    environment variable holding that org's SSWS token (default ${DEFAULT_TOKEN_ENV})
  --oauth-client-id ID --oauth-key FILE
                      an OAuth API service app instead of a token; FILE holds its private JWK
  --probe-ms N        how often the org's reachability is checked, in ms (default 15000)
  --no-usb            do not look for USB keys
  --renderer DIR      the built station UI to serve (default out/renderer)
Secrets (Okta token, station keys) are kept encrypted in DIR/secrets.json when KEYBENCH_PASSPHRASE is set,
otherwise only in memory for this run. Tokens are never taken from the command line.`;

export async function serveCommand(argv: string[], io: Output): Promise<number> {
  refuseArgvSecrets(argv, SERVE_USAGE);
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' }, host: { type: 'string' }, data: { type: 'string' }, virtual: { type: 'string' },
        'no-usb': { type: 'boolean' }, renderer: { type: 'string' }, help: { type: 'boolean', short: 'h' },
        'virtual-knobs': { type: 'string' }, org: { type: 'string' }, 'token-env': { type: 'string' },
        'oauth-client-id': { type: 'string' }, 'oauth-key': { type: 'string' }, 'probe-ms': { type: 'string' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message, SERVE_USAGE);
  }
  if (values.help) {
    io.out(SERVE_USAGE);
    return EXIT.ok;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port takes a port number, got "${values.port}"`, SERVE_USAGE);
  const probeMs = values['probe-ms'] === undefined ? undefined : Number(values['probe-ms']);
  if (probeMs !== undefined && (!Number.isInteger(probeMs) || probeMs < 100)) throw new UsageError(`--probe-ms takes a whole number of milliseconds (at least 100), got "${values['probe-ms']}"`, SERVE_USAGE);
  // The org, credentials and knobs are read exactly as `provision` reads them.
  const stationChoice = stationArgs(
    { org: values.org, 'token-env': values['token-env'], 'oauth-client-id': values['oauth-client-id'], 'oauth-key': values['oauth-key'], 'virtual-knobs': values['virtual-knobs'] },
    SERVE_USAGE,
  );
  if (stationChoice.org !== undefined) {
    try {
      parseOrgUrl(stationChoice.org);
    } catch (e) {
      throw new UsageError(`--org: ${e instanceof Error ? e.message : String(e)}`, SERVE_USAGE);
    }
  }
  const org = stationChoice.org === undefined ? undefined : { url: stationChoice.org, credentials: await credentialsFor(stationChoice, process.env, SERVE_USAGE) };
  const rendererDir = values.renderer ?? join(process.cwd(), 'out/renderer');
  if (!existsSync(join(rendererDir, 'index.html'))) {
    io.err(`The station UI is not built (${rendererDir} is missing). Run \`npm run build:renderer\` or \`npm start\`.`);
    return EXIT.failed;
  }
  const dataDir = values.data ?? defaultDataDir();
  const station = await createStationBackend({
    dataDir,
    passphrase: process.env.KEYBENCH_PASSPHRASE,
    realKeys: !values['no-usb'],
    ...(values.virtual !== undefined ? { virtualKeys: parseCount(values.virtual, '--virtual', SERVE_USAGE) } : {}),
    virtualKnobs: stationChoice.virtualKnobs,
    ...(org ? { org } : {}),
    ...(probeMs !== undefined ? { probeIntervalMs: probeMs } : {}),
    browserDownloads: true,
    log: (line) => io.err(line),
  });
  const host = values.host ?? '127.0.0.1';
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) io.err(`Warning: the station listens on ${host}; anyone who can reach it and has the link can drive it.`);
  const bridge = await startWebBridge({
    backend: station.backend,
    host,
    port,
    rendererDir,
    documents: station.documents,
    onInternalError: (where, error) => io.err(`internal error in ${where}: ${error instanceof Error ? error.message : String(error)}`),
  });
  io.out(`keybench station (browser mode) — data in ${dataDir}`);
  io.out(`Org: ${station.orgUrl}${station.orgUrl.startsWith('http://127.0.0.1') ? ' (embedded simulator)' : ''}`);
  io.out(`Open: ${bridge.sessionUrl}`);
  io.out('Press Ctrl+C to stop.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await bridge.close();
  await station.close();
  return EXIT.ok;
}
