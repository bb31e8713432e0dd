/**
 * The server's user sources in their documented order: environment users, then the users file, then
 * RADIUS — a local user is answered without any RADIUS traffic; anyone else is asked of RADIUS, whose
 * Framed-IP-Address becomes the static address.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalAuthenticator } from '../../src/aaa/local-authenticator.js';
import { AttributeType, addressAttribute } from '../../src/aaa/radius/attributes.js';
import {
  decodeMsChap2Response,
  MICROSOFT_VENDOR_ID,
  MicrosoftAttribute,
} from '../../src/aaa/radius/microsoft.js';
import { decodeRadiusPacket, RadiusCode } from '../../src/aaa/radius/packet.js';
import { RadiusAaa } from '../../src/aaa/radius/radius-aaa.js';
import { findVendorAttribute } from '../../src/aaa/radius/vendor-specific.js';
import { ServerAuthenticator } from '../../src/server/server.js';
import { silentLogger } from '../../src/util/log.js';
import { closeFakeServers, FakeServer } from './support/fake-radius.js';

const aaas: RadiusAaa[] = [];
afterEach(async () => {
  for (const a of aaas.splice(0)) await a.close(0);
  closeFakeServers();
});

/** Authentication only, one try, against `server`. */
async function openRadius(server: FakeServer, nasIdentifier: string): Promise<RadiusAaa> {
  const radius = await RadiusAaa.open(
    {
      servers: [server.endpoint()],
      timeoutSeconds: 1,
      retries: 0,
      nasIdentifier,
      nasIpAddress: undefined,
      accounting: false,
    },
    silentLogger,
  );
  aaas.push(radius);
  return radius;
}

describe('ServerAuthenticator order: environment, users file, RADIUS', () => {
  it('answers local users locally and asks RADIUS for the rest', async () => {
    const server = await FakeServer.open('order-secret-0123', (_b, p, from, s) => {
      const attributes = [addressAttribute(AttributeType.FramedIpAddress, '192.168.42.77')];
      s.send(s.reply(p, RadiusCode.AccessAccept, { attributes }), from);
    });
    const radius = await openRadius(server, 'order-test');
    expect(radius.accounting).toBeUndefined();
    const env = new Map([['alice', { name: 'alice', password: 'env-pw' }]]);
    const file = LocalAuthenticator.fromText('bob * file-pw *\n', 'users', 'chap-secrets');
    const auth = new ServerAuthenticator(env, file, radius);

    expect(await auth.verify({ method: 'pap', user: 'alice', password: 'env-pw' })).toMatchObject({
      ok: true,
    });
    expect(await auth.verify({ method: 'pap', user: 'bob', password: 'file-pw' })).toMatchObject({
      ok: true,
    });
    expect(server.received).toHaveLength(0);
    expect(await auth.verify({ method: 'pap', user: 'zed', password: 'anything' })).toEqual({
      ok: true,
      user: 'zed',
      attributes: { staticAddress: '192.168.42.77' },
    });
    expect(server.received).toHaveLength(1);
  });

  it("MS-CHAPv2 goes out with the PPP Identifier in MS-CHAP2-Response and the client's address", async () => {
    const server = await FakeServer.open('ident-secret-0123', (_b, p, from, s) => {
      s.send(s.reply(p, RadiusCode.AccessReject), from);
    });
    const radius = await openRadius(server, 'ident-test');
    const auth = new ServerAuthenticator(new Map(), undefined, radius);
    const r = await auth.verify({
      method: 'mschapv2',
      user: 'zed',
      id: 0x5a,
      authenticatorChallenge: Buffer.alloc(16, 1),
      peerChallenge: Buffer.alloc(16, 2),
      ntResponse: Buffer.alloc(24, 3),
      callingStationId: '198.51.100.7',
    });
    expect(r.ok).toBe(false);
    const request = decodeRadiusPacket(server.received[0]);
    const response = findVendorAttribute(request, MICROSOFT_VENDOR_ID, MicrosoftAttribute.MsChap2Response);
    expect(response).toBeDefined();
    const decoded = decodeMsChap2Response(response!.value);
    expect(decoded.ident).toBe(0x5a);
    expect(decoded.ntResponse).toEqual(Buffer.alloc(24, 3));
    const calling = request.attributes.find((a) => a.type === AttributeType.CallingStationId);
    expect(calling?.value.toString()).toBe('198.51.100.7');
  });
});
