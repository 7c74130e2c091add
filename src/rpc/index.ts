// Request / response over MQTT (v5 Response Topic + Correlation Data; an envelope on 3.1.1).
export { Rpc, RpcReply, rpcError, RPC_TIMEOUT, RPC_TOO_MANY, RPC_STATUS, RPC_CLOSED } from './rpc';
export type { RpcOptions, RequestOptions, RpcError, RpcEvents, DropReason } from './rpc';
export { TimeoutClock } from './timer';
export { withRoutes } from './attach';
export type { RoutedClient, WithRoutesOptions } from './attach';
