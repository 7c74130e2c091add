// The module an mcconfig project uses (manifest.json): binds Moddable's Timer, the
// ECMA-419 TCP socket and Time.ticks, then exports the target.
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
