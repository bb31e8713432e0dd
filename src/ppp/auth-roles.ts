/**
 * Which authentication machine runs once LCP is Opened (RFC 1661 section 3.5): the server is the
 * authenticator of the method LCP agreed, the client the peer of the method the server demanded.
 */
import type { AuthenticatorRole, PeerRole } from './auth-action.js';
import type { AuthMethod } from './auth-protocol.js';
import { ChapAuthenticator } from './chap-authenticator.js';
import { ChapPeer } from './chap-peer.js';
import { PapAuthenticator, PapPeer } from './pap-roles.js';
import type { PppConfig } from './session-types.js';

export function createAuthRole(config: PppConfig, method: AuthMethod): AuthenticatorRole | PeerRole {
  if (config.role === 'server') {
    if (method === 'pap') return new PapAuthenticator(config.authTiming);
    return new ChapAuthenticator({
      method,
      name: config.name ?? 'l2tpsec',
      rng: config.rng,
      timing: config.authTiming,
    });
  }
  if (method === 'pap')
    return new PapPeer({ user: config.user, password: config.password, timing: config.authTiming });
  return new ChapPeer({
    method,
    user: config.user,
    password: config.password,
    rng: config.rng,
    timing: config.authTiming,
  });
}
