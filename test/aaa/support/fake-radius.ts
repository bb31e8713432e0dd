/**
 * A scripted RADIUS server on loopback for unit tests: records every datagram and lets the test answer
 * (correctly signed, or deliberately wrong). `closeFakeServers()` closes all opened ones.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import {
  decodeRadiusPacket,
  type RadiusAttribute,
  type RadiusPacket,
} from '../../../src/aaa/radius/packet.js';
import type { RadiusServerEndpoint } from '../../../src/aaa/radius/radius-client.js';
import { signResponse } from '../../../src/aaa/radius/signing.js';

export type Handler = (request: Buffer, packet: RadiusPacket, from: RemoteInfo, server: FakeServer) => void;

const open: FakeServer[] = [];

export function closeFakeServers(): void {
  for (const s of open.splice(0)) s.socket.close();
}

export class FakeServer {
  readonly received: Buffer[] = [];
  private constructor(
    readonly socket: Socket,
    readonly secret: Buffer,
    private readonly handler: Handler,
  ) {
    socket.on('message', (msg, from) => {
      this.received.push(Buffer.from(msg));
      this.handler(msg, decodeRadiusPacket(msg), from, this);
    });
  }

  static async open(secret: string, handler: Handler): Promise<FakeServer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const s = new FakeServer(socket, Buffer.from(secret), handler);
    open.push(s);
    return s;
  }

  get port(): number {
    return this.socket.address().port;
  }

  endpoint(): RadiusServerEndpoint {
    return { address: '127.0.0.1', authPort: this.port, acctPort: this.port, secret: this.secret.toString() };
  }

  /** A correctly signed reply (with Message-Authenticator) to `request`. */
  reply(
    request: RadiusPacket,
    code: number,
    opts: { identifier?: number; messageAuthenticator?: boolean; attributes?: RadiusAttribute[] } = {},
  ) {
    return signResponse(
      { code, identifier: opts.identifier ?? request.identifier, attributes: opts.attributes ?? [] },
      request.authenticator,
      this.secret,
      { messageAuthenticator: opts.messageAuthenticator ?? true },
    );
  }

  send(bytes: Buffer, to: RemoteInfo): void {
    this.socket.send(bytes, to.port, to.address);
  }
}
