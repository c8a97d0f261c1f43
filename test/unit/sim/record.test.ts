import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../../electron/core/sim/index.js';
import { ALICE, PIN, PREREG, call, newStation, provision } from './support.js';

describe('recording', () => {
  it('writes every exchange as a JSON line without tokens, assertions or PINs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keybench-sim-record-'));
    const recordFile = join(dir, 'exchanges.jsonl');
    const client = await generateKeyPair('ES256');
    const sim = await startSimulator({
      record: recordFile,
      oauthClients: [{ clientId: '0oa1recorder00000001', publicJwk: await exportJWK(client.publicKey), scopes: ['okta.users.read'] }],
    });
    let accessToken = '';
    let clientAssertion = '';
    try {
      clientAssertion = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuer('0oa1recorder00000001').setSubject('0oa1recorder00000001')
        .setAudience(sim.tokenUrl).setIssuedAt().setExpirationTime('5m').setJti(randomUUID()).sign(client.privateKey);
      const tokenRes = await fetch(sim.tokenUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials', scope: 'okta.users.read',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: clientAssertion,
        }).toString(),
      });
      accessToken = String(((await tokenRes.json()) as { access_token: string }).access_token);
      expect((await call(sim, 'GET', `/api/v1/users/${ALICE}`, undefined, `Bearer ${accessToken}`)).status).toBe(200);

      const { activated, enrolled } = await provision(sim, await newStation());
      expect(activated.status).toBe(200);
      const id = enrolled.credRequests[0]?.authenticatorEnrollmentId ?? '';
      expect((await call(sim, 'POST', `${PREREG}/send-pin`, { authenticatorEnrollmentId: id, fulfillmentProvider: 'yubico', userId: ALICE })).status).toBe(204);
      const mailFile = sim.state.outbox()[0]?.file ?? '';
      expect(await (await fetch(`${sim.url}/outbox/${mailFile}`)).text()).toContain(PIN);
    } finally {
      await sim.close();
    }

    const text = await readFile(recordFile, 'utf8');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { method: string; path: string; status: number; requestHeaders: Record<string, string> });
    expect(lines.map((l) => `${l.method} ${l.path.split('?')[0]} ${l.status}`)).toEqual([
      'POST /oauth2/v1/token 200',
      `GET /api/v1/users/${ALICE} 200`,
      `POST ${PREREG}/enroll 200`,
      `POST ${PREREG}/activate 200`,
      `POST ${PREREG}/send-pin 204`,
      `GET /outbox/${sim.state.outbox()[0]?.file} 200`,
    ]);
    for (const line of lines.slice(1, 5)) expect(line.requestHeaders.authorization).toBe('***');
    expect(text).not.toContain(sim.apiToken);
    expect(text).not.toContain(accessToken);
    expect(text).not.toContain(clientAssertion);
    expect(text).not.toContain(PIN);
    expect(text).toContain('credResponseJwe');
  });
});
