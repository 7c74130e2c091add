// What the Moddable target needs from its host, injected rather than imported so the
// same code runs on a device (device.ts binds Moddable's modules) and in a test harness
// (xsnap, whose host functions the harness supplies).

/** An ECMA-419 TCP socket constructor (`embedded:io/socket/tcp`, or device.network.tcp.io). */
export type TCPConstructor = new (options: any) => ECMA419Socket;

/** The part of an ECMA-419 socket the transport uses. */
export interface ECMA419Socket {
  /** "buffer": read() returns an ArrayBuffer */
  format: string;
  read(count?: number): ArrayBuffer | undefined;
  write(data: ArrayBuffer | Uint8Array): number;
  close(): void;
}

/** Moddable's `timer` module (Timer.set(fn, ms) / Timer.clear(id)). */
export interface TimerModule {
  set(fn: () => void, ms: number): any;
  clear(id: any): void;
}

export interface ModdableHost {
  /** plain TCP */
  TCP: TCPConstructor | undefined;
  /** TLS: the host's secure socket (`embedded:io/socket/tcp/tls` or `SecureSocket` wrapped to the same shape) */
  TLS: TCPConstructor | undefined;
  Timer: TimerModule | undefined;
  /** a monotonic ms counter (Time.ticks); default Date.now */
  now: (() => number) | undefined;
}

export const host: ModdableHost = { TCP: undefined, TLS: undefined, Timer: undefined, now: undefined };

/** Supplies the host's modules: `setHost({ TCP, Timer })`. device.ts does it on a device. */
export function setHost(h: Partial<ModdableHost>): void {
  if (h.TCP !== undefined) host.TCP = h.TCP;
  if (h.TLS !== undefined) host.TLS = h.TLS;
  if (h.Timer !== undefined) host.Timer = h.Timer;
  if (h.now !== undefined) host.now = h.now;
}
