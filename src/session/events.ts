// What the session tells its driver. Events are queued while bytes are processed and
// pulled with Session.nextEvent() afterwards, so no application code ever runs inside
// the decoder loop (DESIGN.md; ws DEFER_EVENT, Moddable dispatch()).
import type {
  AuthPacket, ConnackPacket, DisconnectPacket, Packet, ReceivedPublish,
} from '../codec/packets';
import type { MqttError } from '../codec/errors';
import type { Done } from './options';

/** CONNACK with Success: the session is up. */
export const EV_CONNECTED = 1;
/** An application message arrived (already acknowledged unless manualAcks). */
export const EV_MESSAGE = 2;
/** An operation finished: call `done(error, packet)`. */
export const EV_DONE = 3;
/** The session wants the transport closed now (after writing any pending output). */
export const EV_CLOSE = 4;
/** The server sent DISCONNECT (MQTT 5 reason code and properties in `packet`). */
export const EV_SERVER_DISCONNECT = 5;
/** The server sent AUTH: answer with Session.auth() (enhanced authentication). */
export const EV_AUTH = 6;
/** Something went wrong that the application should hear about (error.code is a reason code). */
export const EV_ERROR = 7;

export interface ConnectedEvent { kind: typeof EV_CONNECTED; connack: ConnackPacket }
export interface MessageEvent { kind: typeof EV_MESSAGE; packet: ReceivedPublish }
export interface DoneEvent { kind: typeof EV_DONE; done: Done; error: Error | null; packet: Packet | undefined }
export interface CloseEvent { kind: typeof EV_CLOSE; error: MqttError | null }
export interface ServerDisconnectEvent { kind: typeof EV_SERVER_DISCONNECT; packet: DisconnectPacket }
export interface AuthEvent { kind: typeof EV_AUTH; packet: AuthPacket }
export interface ErrorEvent { kind: typeof EV_ERROR; error: MqttError }

export type SessionEvent =
  | ConnectedEvent | MessageEvent | DoneEvent | CloseEvent | ServerDisconnectEvent | AuthEvent | ErrorEvent;
