// The Transport contract: how the client reaches the bytes of one connection.
//
// The client owns no socket. A target supplies a TransportFactory that makes a fresh,
// unopened Transport for each connection attempt (as MQTT.js's streamBuilder does), so
// callbacks from an old connection can never be mistaken for the current one's.
//
// Written in the manner of coreMQTT's transport_interface.h: each rule says who MUST do
// what, because a transport that breaks one (a second close callback, data after close,
// a callback from inside open()) corrupts the client's view of the connection.
//
// Rules for a Transport implementation
//
// open(handler)
// - MUST be called at most once per Transport object.
// - MUST NOT call any handler method before open() returns: success and failure are
//   both reported later, from the platform's event loop. The client finishes its own
//   bookkeeping after open() returns and relies on that.
// - MAY throw for an argument it can never accept (an unknown host syntax); a failure to
//   connect (refused, unreachable, DNS, TLS handshake) MUST be reported with onClose(error).
// - After open(), the transport MUST call handler.onClose exactly once, whether or not
//   onOpen was called, and MUST call no handler method after that.
//
// handler.onOpen()
// - MUST be called at most once, when bytes written from now on can reach the server
//   (after the TLS handshake for TLS).
//
// handler.onData(bytes)
// - MUST pass received bytes in order, as a Uint8Array of any length above zero.
// - MUST NOT modify or reuse that array afterwards: the client keeps views into it (a
//   message payload delivered to the application may be one).
//
// write(bytes) -> boolean
// - The client calls it only between onOpen and onClose (or its own close()).
// - MUST either send all of `bytes`, in order after bytes written before, or fail the
//   connection with onClose(error). There are no short writes: a transport that can send
//   only part now MUST keep the rest and send it later.
// - MUST NOT modify `bytes`; it MAY keep a reference until sent (the client does not
//   reuse the array).
// - Returns false when the transport has buffered past its high-water mark; the bytes
//   are still accepted. The client then SHOULD write no more until handler.onDrain().
//   A transport without a high-water mark returns true and never calls onDrain.
// - Called after close() or onClose, it MUST NOT throw; the bytes are discarded.
//
// flush()
// - Marks the end of a batch: the client writes every packet it has ready, then calls
//   flush() once. A transport that batches (Node: cork at the first write, uncork here)
//   MUST hand everything written so far to the platform; others do nothing.
//
// handler.onDrain()
// - SHOULD be called once the buffer is back below the high-water mark after a write()
//   returned false. Calling it when not needed is harmless.
//
// close()
// - Idempotent: a second call, or a call after onClose, does nothing.
// - SHOULD first send the bytes already written (the client writes DISCONNECT and then
//   closes), then close. Called before onOpen, it abandons the attempt.
// - MUST NOT call onClose from inside close(); onClose(null) follows later (unless it
//   had already been called).
//
// handler.onClose(error)
// - `error` is null when the connection ended in order (either side closed it), and an
//   Error (Node: with its `code`, e.g. 'ECONNREFUSED') when it failed or never opened.
//
// Example: a minimal Node TCP transport (targets/node/socket.ts is the full one, with
// batching and TLS).
//
//   import { connect, Socket } from 'node:net';
//   function tcp(host: string, port: number): TransportFactory {
//     return () => {
//       let socket: Socket | undefined;
//       return {
//         open(h) {
//           let failure: Error | null = null;
//           socket = connect(port, host, () => h.onOpen());
//           socket.on('data', (b) => h.onData(b));
//           socket.on('drain', () => h.onDrain());
//           socket.on('error', (e) => { failure = e; });
//           socket.on('close', () => h.onClose(failure));
//         },
//         write: (bytes) => (socket ? socket.write(bytes) : false),
//         flush() {},
//         close() { if (socket) socket.end(); },
//       };
//     };
//   }
//
// Example: the same on Espruino, whose sockets carry binary strings.
//
//   function tcp(host, port) {
//     return function () {
//       var socket, failure = null;
//       return {
//         open: function (h) {
//           socket = require('net').connect({ host: host, port: port }, function () { h.onOpen(); });
//           socket.on('data', function (s) { h.onData(E.toUint8Array(s)); });
//           socket.on('error', function (e) { failure = e; });
//           socket.on('close', function () { h.onClose(failure); });
//         },
//         write: function (bytes) { if (socket) socket.write(E.toString(bytes)); return true; },
//         flush: function () {},
//         close: function () { if (socket) socket.end(); },
//       };
//     };
//   }

export interface TransportHandler {
  onOpen(): void;
  onData(bytes: Uint8Array): void;
  onDrain(): void;
  onClose(error: Error | null): void;
}

export interface Transport {
  open(handler: TransportHandler): void;
  write(bytes: Uint8Array): boolean;
  flush(): void;
  close(): void;
}

/** Makes a fresh, unopened Transport for one connection attempt. */
export type TransportFactory = () => Transport;
