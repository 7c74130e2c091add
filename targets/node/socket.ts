// TCP and TLS transports for Node: net / tls sockets behind the Transport contract
// (src/client/transport.ts). Platform I/O only; no protocol logic.
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Transport, TransportFactory, TransportHandler } from '../../src/client/transport';

export interface TcpOptions {
  host: string;
  port: number;
}

/**
 * How long close() lets what is written drain (a DISCONNECT) before it destroys the
 * socket: a peer that stopped reading would otherwise hold it, and with it 'close',
 * offline, reconnect and end()'s callback, until TCP's own timeout, minutes away.
 */
const CLOSE_GRACE_MS = 1000;

/** Every option of tls.connect() may be given (ca, cert, key, passphrase, rejectUnauthorized, servername, ALPNProtocols, ...). */
export type TlsOptions = tls.ConnectionOptions & { host: string; port: number };

/** Plain TCP (mqtt://, tcp://). */
export function tcpTransport(options: TcpOptions): TransportFactory {
  return () => new SocketTransport(() => net.connect({ host: options.host, port: options.port }), 'connect');
}

/**
 * TLS (mqtts://, ssl://, tls://). As MQTT.js: rejectUnauthorized defaults to true, and
 * the server name for SNI and certificate checks defaults to the host unless it is an
 * IP address.
 */
export function tlsTransport(options: TlsOptions): TransportFactory {
  const o: tls.ConnectionOptions = Object.assign({}, options, {
    rejectUnauthorized: options.rejectUnauthorized !== false,
    servername: options.servername !== undefined ? options.servername
      : net.isIP(options.host) === 0 ? options.host : undefined,
  });
  return () => new SocketTransport(() => tls.connect(o), 'secureConnect');
}

class SocketTransport implements Transport {
  private readonly dial: () => net.Socket;
  /** 'connect' for TCP; 'secureConnect' for TLS, after the handshake */
  private readonly openEvent: string;
  private socket: net.Socket | null;
  private corked: boolean;
  private closing: boolean;
  private failure: Error | null;

  constructor(dial: () => net.Socket, openEvent: string) {
    this.dial = dial;
    this.openEvent = openEvent;
    this.socket = null;
    this.corked = false;
    this.closing = false;
    this.failure = null;
  }

  open(handler: TransportHandler): void {
    const socket = this.dial();
    this.socket = socket;
    // MQTT packets are small and latency matters more than segment count; batching is
    // done by cork/uncork instead of Nagle.
    socket.setNoDelay(true);
    socket.once(this.openEvent, () => handler.onOpen());
    socket.on('data', (chunk: Buffer) => handler.onData(chunk));
    socket.on('drain', () => handler.onDrain());
    // Node emits 'close' after 'error'; the error is reported there, once.
    socket.on('error', (e: Error) => {
      if (this.failure === null) this.failure = e;
    });
    socket.on('close', () => {
      this.socket = null;
      handler.onClose(this.failure);
    });
  }

  write(bytes: Uint8Array): boolean {
    const socket = this.socket;
    if (socket === null || this.closing) return false;
    if (!this.corked) {
      socket.cork();
      this.corked = true;
    }
    return socket.write(bytes);
  }

  flush(): void {
    if (!this.corked) return;
    this.corked = false;
    if (this.socket !== null) this.socket.uncork();
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    const socket = this.socket;
    if (socket === null) return;
    this.flush();
    if (socket.connecting) {
      socket.destroy();
      return;
    }
    // end() sends what was written (a DISCONNECT) and a FIN; destroy once it is out
    // rather than wait for a peer that may never answer the FIN, and destroy anyway after
    // CLOSE_GRACE_MS when it cannot go out (MQTT.js destroys at once)
    socket.end(() => socket.destroy());
    const giveUp = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    giveUp.unref();
    socket.once('close', () => clearTimeout(giveUp));
  }
}
