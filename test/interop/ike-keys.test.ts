import { describe, expect, it } from 'vitest';
import { ikev1Record, pairIkev1Keys, parseCharonKa } from './ike-keys.js';

// charon 5.9.8 at IKE log level 4 (filelog, ike_name = yes), as the guest wrote it.
const LOG = `12:26:11 05[IKE] <l2s|1> SKEYID_e => 20 bytes @ 0x7f1260014d40
12:26:11 05[IKE] <l2s|1>    0: 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF 00  ."3DUfw.........
12:26:11 05[IKE] <l2s|1>   16: 01 02 03 04                                      ....
12:26:11 05[IKE] <l2s|1> encryption key Ka => 16 bytes @ 0x7f12600160d0
12:26:11 05[IKE] <l2s|1>    0: 0F B1 7F EF 11 DF B6 25 E7 DA F3 D0 35 10 D6 0D  .......%....5...
12:26:11 05[IKE] <l2s|1> initial IV => 16 bytes @ 0x7f12600160d0
12:26:11 05[IKE] <l2s|1>    0: FA 14 3D 62 86 C8 44 87 88 07 96 06 8A 1B 11 9A  ..=b..D.........
12:27:00 07[IKE] <l2s|2> encryption key Ka => 24 bytes @ 0x7f1260016100
12:27:00 07[IKE] <l2s|2>    0: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F  ................
12:27:00 07[IKE] <l2s|2>   16: 10 11 12 13 14 15 16 17                          ........
`;

describe('IKEv1 keys from charon log to Wireshark ikev1_decryption_table', () => {
  it('reads every Ka hex dump (one and two lines), and nothing else', () => {
    expect(parseCharonKa(LOG)).toEqual([
      '0FB17FEF11DFB625E7DAF3D03510D60D',
      '000102030405060708090A0B0C0D0E0F1011121314151617',
    ]);
    expect(parseCharonKa('12:00:00 05[IKE] <l2s|1> encryption key Ka => 16 bytes @ 0x1\n')).toEqual([]);
  });

  it('pairs keys with initiator cookies in order and writes bare-hex records', () => {
    const keys = pairIkev1Keys(['61:17:91:4a:9c:da:c3:05', 'ffffffffffffffff', 'extra'], parseCharonKa(LOG));
    expect(keys).toHaveLength(2);
    expect(ikev1Record(keys[0])).toBe('6117914a9cdac305,0FB17FEF11DFB625E7DAF3D03510D60D');
    expect(() => ikev1Record({ icookie: '6117', key: '00' })).toThrow(/cookie/);
  });
});
