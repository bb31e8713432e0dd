import { describe, expect, it } from 'vitest';
import { buildConfig, parseConfigYaml } from '../../src/server/config.js';
import { SERVER_CASES } from './cases.js';
import { BRIDGE_SERVER_ADDR, SLIRP_SERVER_ADDR } from './netns.js';
import { serverConfigYaml, serverEnv } from './server.js';

describe('the l2tpsec server configuration each case generates', () => {
  it("is accepted by the server's own loader (src/server/config.ts) with the case's pool and credentials", () => {
    for (const c of SERVER_CASES) {
      const net =
        c.network === 'bridge'
          ? { kind: c.network, serverAddr: BRIDGE_SERVER_ADDR }
          : { kind: c.network, serverAddr: SLIRP_SERVER_ADDR };
      const spec = c.server!;
      const yaml = serverConfigYaml(spec, net, '/tmp/l2s-control.sock');
      const cfg = buildConfig(parseConfigYaml(yaml, `${c.name}.yaml`), { env: serverEnv(spec) });
      expect(cfg.psk, c.name).toBe(spec.psk);
      expect(
        cfg.users.map((u) => [u.name, u.password]),
        c.name,
      ).toEqual([[spec.user, spec.password]]);
      expect(cfg.l2tp, c.name).toEqual({
        network: spec.network,
        localAddress: spec.localAddress,
        pool: spec.pool,
      });
      // Behind slirp the clients arrive from the namespace's 127.0.0.1; on the bridge at 192.0.2.1.
      expect(parseConfigYaml(yaml).listen, c.name).toEqual([
        c.network === 'bridge' ? BRIDGE_SERVER_ADDR : '127.0.0.1',
      ]);
    }
  });
});
