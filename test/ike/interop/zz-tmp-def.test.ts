import { it } from 'vitest';
import { Charon } from '../../support/charon.js';
import { NetnsLab } from '../../support/netns.js';
import { L2tpsecResponder } from './l2tpsec-responder.js';
it('dump', async () => {
  const lab = new NetnsLab();
  const s = await lab.addNetns('defsrv'); const c = await lab.addNetns('defcli');
  await lab.addVeth({ ns: s, ifname: 's0', cidr: '198.18.14.1/24' }, { ns: c, ifname: 'c0', cidr: '198.18.14.2/24' });
  const cap = c.spawn(['tshark', '-i', 'c0', '-w', '/tmp/l2s-def.pcap', '-f', 'udp']);
  await new Promise((r) => setTimeout(r, 2000));
  const srv = await L2tpsecResponder.start(s, '198.18.14.1', 'k'); const cli = await Charon.start(c);
  const conn = { name: 'c', localAddr: '198.18.14.2', remoteAddr: '198.18.14.1', psk: 'k', ike: 'default', esp: 'default', encap: false };
  await cli.load([conn]); await cli.initiate(conn);
  await new Promise((r) => setTimeout(r, 1000));
  cap.kill('SIGINT'); await new Promise((r) => setTimeout(r, 1000));
  await cli.dispose(); await srv.stop(); await lab.cleanup();
}, 60000);
