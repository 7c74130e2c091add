// withRoutes(client): the routing and request/response API on the client itself, as
// client.route(), client.use(), client.request() and client.respond(), for code that
// prefers that shape to separate Router and Rpc objects. Kept out of MqttClient so a
// firmware that does not route pays nothing for it in its bundle.
import type { MqttClient } from '../client/client';
import { Router } from '../router/router';
import type { Handler, Middleware, Route, RouteOptions, RouterOptions } from '../router/router';
import { Rpc } from './rpc';
import type { RequestOptions, RpcOptions, RpcReply } from './rpc';

export interface WithRoutesOptions {
  router?: RouterOptions;
  rpc?: RpcOptions;
}

export interface RoutedClient extends MqttClient {
  /** the client's Router ('error' and 'no-route' events) */
  router: Router;
  /** the client's Rpc ('dropped' events) */
  rpc: Rpc;
  route(pattern: string, handler: Handler, options?: RouteOptions): Route;
  use(middleware: Middleware | Middleware[]): Router;
  request(topic: string, payload: unknown, options?: RequestOptions): Promise<RpcReply>;
  respond(pattern: string, handler: Handler, options?: RouteOptions): Route;
}

/** Gives `client` a Router and an Rpc (once: a second call returns the same client unchanged). */
export function withRoutes(client: MqttClient, options?: WithRoutesOptions): RoutedClient {
  const c = client as RoutedClient;
  if (c.router instanceof Router) return c;
  const o = options === undefined ? {} : options;
  const router = new Router(client, o.router);
  const rpc = new Rpc(router, o.rpc);
  c.router = router;
  c.rpc = rpc;
  c.route = (pattern, handler, ro) => router.route(pattern, handler, ro);
  c.use = (middleware) => router.use(middleware);
  c.request = (topic, payload, ro) => rpc.request(topic, payload, ro);
  c.respond = (pattern, handler, ro) => rpc.respond(pattern, handler, ro);
  return c;
}
