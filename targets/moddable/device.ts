// The module an mcconfig project uses (manifest.json): binds Moddable's Timer, the
// ECMA-419 TCP socket and Time.ticks, then exports the target.
//
// Not preloaded (manifest.json has no "preload"): XS makes what a module creates during
// preload read-only, and firmqtt keeps writable module-level state (the codec's string
// caches, the host bindings that setHost() changes). Preloading needs that state moved
// into instances first.
// @ts-ignore: Moddable modules, resolved by mcconfig
import Timer from 'timer';
// @ts-ignore
import TCP from 'embedded:io/socket/tcp';
// @ts-ignore
import Time from 'time';
import { setHost } from './host';

setHost({ Timer, TCP, now: () => Time.ticks });

export * from './index';
export { MQTTClient as default } from './mqtt419';
