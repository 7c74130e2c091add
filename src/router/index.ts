// Topic routes with named parameters, middleware, contained errors, acknowledge-after-handler.
export { Router, Route } from './router';
export type { Handler, Middleware, RouteOptions, RouterOptions, RouteErrorInfo, RouterEvents } from './router';
export { Context } from './context';
export type { Params } from './context';
export { compilePattern, extractParams, ROUTE_PATTERN_INVALID, ROUTE_CONFLICT } from './pattern';
export type { CompiledPattern, RouteError } from './pattern';
export { RouteTable } from './table';
export type { Routable } from './table';
export { encodeEnvelope, decodeEnvelope, isEnvelope, ENVELOPE_MARKER, ENVELOPE_VERSION } from './envelope';
export type { Envelope } from './envelope';
export { sendReply, userProperty } from './reply';
export type { ReplyOptions } from './reply';
export { bytesToText, toPayload } from './payload';
