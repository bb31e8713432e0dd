/**
 * The harness's parsers against output captured from the real tools on this machine (strongSwan 5.9.8
 * swanctl, ike-scan 1.9.5): if a tool's format drifts, these fail before any interop verdict is misread.
 * No root needed.
 */
import { describe, expect, it } from 'vitest';
import { ikeScanArgs, parseIkeScan } from '../../support/ikescan.js';
import { parseListSas, parseSwanctlRaw, swanctlConf } from '../../support/swanctl.js';

// `swanctl --list-sas --raw` after an IKEv1 initiation with encap = yes and ESP aes128gcm16-modp2048.
const LIST_SAS_RAW =
  'list-sa event {c {uniqueid=1 version=1 state=ESTABLISHED local-host=198.18.13.2 local-port=4500 ' +
  'local-id=198.18.13.2 remote-host=198.18.13.1 remote-port=4500 remote-id=198.18.13.1 initiator=yes ' +
  'initiator-spi=1a6e81f37b7b66b4 responder-spi=4732742e1ef91a2a nat-fake=yes nat-any=yes encr-alg=AES_CBC ' +
  'encr-keysize=256 integ-alg=HMAC_SHA2_256_128 prf-alg=PRF_HMAC_SHA2_256 dh-group=MODP_2048 established=0 ' +
  'rekey-time=13111 child-sas {c-l2tp-1 {name=c-l2tp uniqueid=1 reqid=1 state=INSTALLED mode=TRANSPORT ' +
  'protocol=ESP encap=yes spi-in=01000000 spi-out=01000000 encr-alg=AES_GCM_16 encr-keysize=128 ' +
  'dh-group=MODP_2048 bytes-in=0 packets-in=0 use-in=2469 bytes-out=0 packets-out=0 use-out=2469 ' +
  'rekey-time=3520 life-time=3960 install-time=0 local-ts=[198.18.13.2/32[udp/l2f]] ' +
  'remote-ts=[198.18.13.1/32[udp/l2f]]}}}}\nlist-sas reply {}\n';

const IKESCAN_HANDSHAKE = `Starting ike-scan 1.9.5 with 1 hosts (http://www.nta-monitor.com/tools/ike-scan/)
198.18.5.1\tMain Mode Handshake returned HDR=(CKY-R=da3372f863790078) SA=(Enc=AES KeyLength=256 Hash=SHA1 Group=20:ecp384 Auth=PSK LifeType=Seconds LifeDuration=28800) VID=09002689dfd6b712 (XAUTH) VID=afcad71368a1f1c96b8696fc77570100 (Dead Peer Detection v1.0)

Ending ike-scan 1.9.5: 1 hosts scanned in 0.014 seconds (70.05 hosts/sec).  1 returned handshake; 0 returned notify
`;

const IKESCAN_NOTIFY_MULTILINE = `Starting ike-scan 1.9.5 with 1 hosts (http://www.nta-monitor.com/tools/ike-scan/)
198.18.5.1\tNotify message 14 (NO-PROPOSAL-CHOSEN)
\tHDR=(CKY-R=a0ee84086fa9d3f6, msgid=864a26ec)

Ending ike-scan 1.9.5: 1 hosts scanned in 0.017 seconds (57.77 hosts/sec).  0 returned handshake; 1 returned notify
`;

describe('swanctl --raw parser', () => {
  it('reads nested sections, scalars and bracketed lists', () => {
    const msgs = parseSwanctlRaw(LIST_SAS_RAW);
    expect(msgs).toHaveLength(2);
    expect(msgs[1]).toEqual({});
    const child = (msgs[0].c as Record<string, unknown>)['child-sas'] as Record<
      string,
      Record<string, unknown>
    >;
    expect(child['c-l2tp-1']['local-ts']).toEqual(['198.18.13.2/32[udp/l2f]']);
    expect(child['c-l2tp-1']['install-time']).toBe('0');
  });

  it('turns list-sas into IKE and CHILD SA records', () => {
    const [ike, ...rest] = parseListSas(LIST_SAS_RAW);
    expect(rest).toEqual([]);
    expect(ike).toMatchObject({
      name: 'c',
      version: '1',
      state: 'ESTABLISHED',
      localPort: '4500',
      remotePort: '4500',
      natRemote: true,
      encrAlg: 'AES_CBC',
      encrKeysize: '256',
      integAlg: 'HMAC_SHA2_256_128',
      dhGroup: 'MODP_2048',
    });
    expect(ike.children).toHaveLength(1);
    expect(ike.children[0]).toMatchObject({
      name: 'c-l2tp',
      state: 'INSTALLED',
      mode: 'TRANSPORT',
      protocol: 'ESP',
      encap: true,
      spiIn: '01000000',
      spiOut: '01000000',
      encrAlg: 'AES_GCM_16',
      encrKeysize: '128',
      integAlg: undefined,
      dhGroup: 'MODP_2048',
      localTs: ['198.18.13.2/32[udp/l2f]'],
      remoteTs: ['198.18.13.1/32[udp/l2f]'],
    });
  });

  it('reads nothing from an empty or error output', () => {
    expect(parseListSas('list-sas reply {}\n')).toEqual([]);
    expect(parseListSas('')).toEqual([]);
  });
});

describe('swanctl.conf generator', () => {
  it('writes an IKEv1 PSK transport-mode connection with udp/1701 selectors and an owned secret', () => {
    const conf = swanctlConf([
      {
        name: 'c',
        localAddr: '198.18.0.2',
        remoteAddr: '198.18.0.1',
        psk: 'k',
        ike: 'aes128-sha1-modp2048',
        esp: 'aes128-sha1',
        encap: true,
      },
    ]);
    for (const line of [
      'version = 1',
      'local_addrs = 198.18.0.2',
      'remote_addrs = 198.18.0.1',
      'proposals = aes128-sha1-modp2048',
      'encap = yes',
      'aggressive = no',
      'mode = transport',
      'esp_proposals = aes128-sha1',
      'local_ts = dynamic[udp/1701]',
      'remote_ts = dynamic[udp/1701]',
      'secret = "k"',
      'id-0 = 198.18.0.2',
      'id-1 = 198.18.0.1',
    ]) {
      expect(conf).toContain(line);
    }
    expect(conf).toMatch(/remote \{ auth = psk\s+id = 198\.18\.0\.1 \}/);
  });
});

describe('ike-scan', () => {
  it('parses a Main Mode handshake line', () => {
    const r = parseIkeScan(IKESCAN_HANDSHAKE);
    expect(r).toMatchObject({ handshakes: 1, notifies: 0, mode: 'Main', notifyType: undefined });
    expect(r.sa).toBe(
      'Enc=AES KeyLength=256 Hash=SHA1 Group=20:ecp384 Auth=PSK LifeType=Seconds LifeDuration=28800',
    );
    expect(r.vendorIds).toEqual([
      '09002689dfd6b712 (XAUTH)',
      'afcad71368a1f1c96b8696fc77570100 (Dead Peer Detection v1.0)',
    ]);
  });

  it('parses a notify in -M multi-line form', () => {
    const r = parseIkeScan(IKESCAN_NOTIFY_MULTILINE);
    expect(r).toMatchObject({
      handshakes: 0,
      notifies: 1,
      mode: undefined,
      notifyType: 14,
      notifyName: 'NO-PROPOSAL-CHOSEN',
    });
  });

  it('refuses output without the closing summary (ike-scan always exits 0)', () => {
    expect(() => parseIkeScan('ERROR: bind: Address already in use\n')).toThrow(/no summary/);
  });

  it('builds the command line', () => {
    expect(
      ikeScanArgs('198.18.0.1', {
        trans: ['7/256,2,1,20', '5,2,1,2'],
        natT: true,
        aggressive: true,
        dhGroup: 14,
      }),
    ).toEqual([
      '--trans=7/256,2,1,20',
      '--trans=5,2,1,2',
      '--nat-t',
      '--aggressive',
      '--id=l2tpsec-test',
      '--dhgroup=14',
      '--timeout=500',
      '--retry=3',
      '198.18.0.1',
    ]);
  });
});
