import { mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../../electron/core/sim/index.js';
import { call } from './support.js';

describe('simulator start-up and shutdown', () => {
  it('seeds users from a JSON file, generating missing ids', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keybench-sim-users-'));
    const file = join(dir, 'users.json');
    await writeFile(file, JSON.stringify({ users: [
      { id: '00uzoe0000000000000a', login: 'zoe@corp.example', firstName: 'Zoe', lastName: 'Ng', status: 'STAGED', secondEmail: 'zoe@home.example' },
      { login: 'yan@corp.example' },
    ] }));
    const sim = await startSimulator({ usersFile: file, apiToken: '00givenTokenForTests' });
    try {
      expect(sim.apiToken).toBe('00givenTokenForTests');
      const users = sim.state.users();
      expect(users.map((u) => u.login)).toEqual(['zoe@corp.example', 'yan@corp.example']);
      expect(users[1]?.id).toMatch(/^00u[0-9A-Za-z]{17}$/);
      const res = await call(sim, 'GET', '/api/v1/users/zoe@corp.example');
      expect(res.body).toMatchObject({ id: '00uzoe0000000000000a', status: 'STAGED', profile: { secondEmail: 'zoe@home.example' } });
    } finally {
      await sim.close();
    }
  });

  it('refuses a user file that is not a list of users, saying which file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keybench-sim-users-'));
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify([{ email: 'no-login@example.com' }]));
    await expect(startSimulator({ usersFile: file })).rejects.toThrow(/bad\.json.*login/s);
  });

  it('repeats ids and tokens run after run with a seed', async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const sim = await startSimulator({ seed: 'repeatable' });
      tokens.push(sim.apiToken);
      await sim.close();
    }
    expect(tokens[0]).toBe(tokens[1]);
  });

  it('closes promptly while a client holds a keep-alive connection', async () => {
    const sim = await startSimulator();
    const agentUrl = new URL(`${sim.url}/outbox`);
    await new Promise<void>((resolve, reject) => {
      const req = request(agentUrl, { headers: { Connection: 'keep-alive' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
    await sim.close();
    await expect(fetch(`${sim.url}/outbox`)).rejects.toThrow();
  });
});
