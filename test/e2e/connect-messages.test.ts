/**
 * What `l2tpsec connect` tells a user whose IKE Main Mode failed: the notify by its RFC 2408 section 3.14.1
 * name, and for the notifies a wrong pre-shared key produces (RFC 2409 section 5.4: MM5/MM6 cannot be
 * decrypted or their HASH does not verify) a hint naming the key.
 */
import { describe, expect, it } from 'vitest';
import { describeIkeFailure } from '../../src/client/client.js';

describe('describeIkeFailure', () => {
  it('names the notify and points at the pre-shared key for the wrong-key notifies', () => {
    for (const [code, name] of [
      [16, 'PayloadMalformed'],
      [23, 'InvalidHashInformation'],
      [24, 'AuthenticationFailed'],
    ] as const) {
      expect(describeIkeFailure('failed', code)).toBe(
        `IKE failed: failed, notify ${code} (${name}): Main Mode could not be authenticated; is the pre-shared key right?`,
      );
    }
  });

  it('says when the server accepts none of the proposals', () => {
    expect(describeIkeFailure('failed', 14)).toBe(
      'IKE failed: failed, notify 14 (NoProposalChosen): the server accepts none of our proposals',
    );
  });

  it('falls back to the bare reason, or the number of an unknown notify', () => {
    expect(describeIkeFailure('timeout', undefined)).toBe('IKE failed: timeout');
    expect(describeIkeFailure('failed', 9999)).toBe('IKE failed: failed, notify 9999 (unknown)');
  });
});
