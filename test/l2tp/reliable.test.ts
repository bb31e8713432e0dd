import { describe, expect, it } from 'vitest';
import { decodeControl } from '../../src/l2tp/header.js';
import { ReliableChannel, seqBefore } from '../../src/l2tp/reliable.js';

const cfg = { initialTimeout: 1000, maxTimeout: 8000, maxRetries: 5 };
const hdr = (ns: number, nr: number) => ({ tunnelId: 1, sessionId: 0, ns, nr, body: Buffer.alloc(0) });

describe('reliable control channel (section 5.8)', () => {
  it('compares sequence numbers modulo 2^16', () => {
    expect(seqBefore(1, 2)).toBe(true);
    expect(seqBefore(65535, 0)).toBe(true);
    expect(seqBefore(0, 65535)).toBe(false);
    expect(seqBefore(5, 5)).toBe(false);
  });

  it("keeps no more than the peer's Receive Window Size in flight", () => {
    const ch = new ReliableChannel<string>(4, cfg);
    ch.setPeerWindow(2, 0);
    const sent = [1, 2, 3, 4, 5].flatMap((i) => ch.send(0, Buffer.from([i]), 0));
    expect(sent.map((m) => decodeControl(m).ns)).toEqual([0, 1]);
    const more = ch.receive(hdr(0, 1), undefined, 10).send; // ZLB acking Ns 0
    expect(more.map((m) => decodeControl(m).ns)).toEqual([2]);
    expect(ch.inFlightCount).toBe(2);
  });

  it('backs off exponentially to the cap, then gives up after the retry limit', () => {
    const ch = new ReliableChannel<string>(4, cfg);
    ch.send(0, Buffer.from([1]), 0);
    const times: number[] = [];
    for (let now = 0; now <= 60_000 && !ch.failed; now += 100) if (ch.tick(now).length > 0) times.push(now);
    expect(times).toEqual([1000, 3000, 7000, 15000, 23000]);
    expect(ch.failed).toBe(true);
  });

  it('retransmissions carry the current Nr; an ack stops them', () => {
    const ch = new ReliableChannel<string>(4, cfg);
    ch.send(0, Buffer.from([1]), 0);
    ch.receive(hdr(0, 0), 'a', 10);
    const [re] = ch.tick(1000);
    expect(decodeControl(re).nr).toBe(1);
    ch.receive(hdr(1, 1), undefined, 1100);
    expect(ch.tick(5000)).toEqual([]);
    expect(ch.idle()).toBe(true);
  });

  it('queues out-of-order messages within the window, acks and drops duplicates', () => {
    const ch = new ReliableChannel<string>(4, cfg);
    expect(ch.receive(hdr(2, 0), 'c', 0).deliver).toEqual([]);
    expect(ch.receive(hdr(1, 0), 'b', 0).deliver).toEqual([]);
    expect(ch.receive(hdr(9, 0), 'z', 0).outOfWindow).toBe(true);
    expect(ch.queuedOutOfOrder).toBe(2);
    expect(ch.receive(hdr(0, 0), 'a', 0).deliver).toEqual(['a', 'b', 'c']);
    const zlb = ch.flushAck()!;
    expect(decodeControl(zlb)).toMatchObject({ ns: 0, nr: 3 });
    expect(ch.flushAck()).toBeUndefined();
    const dup = ch.receive(hdr(1, 0), 'b', 0);
    expect(dup.duplicate).toBe(true);
    expect(dup.deliver).toEqual([]);
    expect(decodeControl(ch.flushAck()!).nr).toBe(3);
  });

  it('a message sent after receiving carries the ack (no extra ZLB)', () => {
    const ch = new ReliableChannel<string>(4, cfg);
    ch.receive(hdr(0, 0), 'a', 0);
    const [m] = ch.send(0, Buffer.from([1]), 0);
    expect(decodeControl(m).nr).toBe(1);
    expect(ch.flushAck()).toBeUndefined();
  });
});
