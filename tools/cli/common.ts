// What pub and sub share: the connection flags of mosquitto_pub / mosquitto_sub, turned
// into a broker URL and firmqtt client options.
import { readFileSync } from 'node:fs';
import type { NodeClientOptions } from '../../targets/node/index';
import { UsageError, bool, flag, int, str } from './args';
import type { FlagSpec, Parsed } from './args';

export const CONNECTION_FLAGS: FlagSpec[] = [
  flag('host', ['-h', '--host'], true),
  flag('port', ['-p', '--port'], true),
  flag('url', ['-L', '--url'], true),
  flag('version', ['-V', '--protocol-version'], true),
  flag('id', ['-i', '--id'], true),
  flag('idPrefix', ['-I', '--id-prefix'], true),
  flag('username', ['-u', '--username'], true),
  flag('password', ['-P', '--pw'], true),
  flag('keepalive', ['-k', '--keepalive'], true),
  flag('qos', ['-q', '--qos'], true),
  flag('noClean', ['-c', '--disable-clean-session'], false),
  flag('sessionExpiry', ['-x', '--session-expiry-interval'], true),
  flag('willTopic', ['--will-topic'], true),
  flag('willPayload', ['--will-payload'], true),
  flag('willQos', ['--will-qos'], true),
  flag('willRetain', ['--will-retain'], false),
  flag('cafile', ['--cafile'], true),
  flag('cert', ['--cert'], true),
  flag('key', ['--key'], true),
  flag('insecure', ['--insecure'], false),
  flag('serial', ['--serial'], true),
  flag('baud', ['--baud'], true),
  flag('debug', ['-d', '--debug'], false),
  flag('quiet', ['--quiet'], false),
  flag('help', ['--help'], false),
];

export const CONNECTION_HELP = `Connection:
 -h, --host HOST        broker host (default localhost)
 -p, --port PORT        broker port (default 1883, 8883 with TLS)
 -L, --url URL          mqtt(s)://[user[:pass]@]host[:port]/topic, instead of -h -p -t
     --serial DEVICE    speak MQTT over a serial port instead (a bridge on the far end)
     --baud N           serial baud rate (default 115200)
 -V, --protocol-version mqttv311 | mqttv5 (also 311 | 5 | 4; default mqttv311)
 -i, --id ID            client id (default firmqtt-<command>-<pid>)
 -I, --id-prefix P      client id P + pid
 -u, --username U       -P, --pw PASSWORD
 -k, --keepalive S      keep-alive in seconds (default 60)
 -q, --qos 0|1|2        quality of service (default 0)
 -c, --disable-clean-session   keep the session (needs -i); MQTT 5: session expiry
                        defaults to "never" unless -x is given
 -x, --session-expiry-interval S   MQTT 5 session expiry
     --will-topic T --will-payload P --will-qos Q --will-retain
     --cafile F --cert F --key F --insecure   TLS (mqtts)
 -d, --debug            print connection events on stderr
     --quiet            no error messages
     --help             this text`;

export interface Connection {
  url: string;
  options: NodeClientOptions;
  /** topic from -L, if any */
  urlTopic: string | undefined;
  qos: 0 | 1 | 2;
  debug: boolean;
  quiet: boolean;
}

export function protocolVersion(v: string | undefined): 4 | 5 {
  if (v === undefined) return 4;
  const s = v.toLowerCase();
  if (s === 'mqttv5' || s === '5') return 5;
  if (s === 'mqttv311' || s === '311' || s === '4') return 4;
  if (s === 'mqttv31' || s === '31' || s === '3') throw new UsageError('MQTT 3.1 (mqttv31) is not supported: use mqttv311 or mqttv5.');
  throw new UsageError(`Invalid protocol version '${v}': use mqttv311 or mqttv5.`);
}

export function connectionFrom(p: Parsed, command: string): Connection {
  const version = protocolVersion(str(p, 'version'));
  const qos = (int(p, 'qos', 0, 2, 'QoS') ?? 0) as 0 | 1 | 2;
  const o: NodeClientOptions = { protocolVersion: version, reconnectPeriod: 1000 };
  const tlsWanted = str(p, 'cafile') !== undefined || str(p, 'cert') !== undefined || bool(p, 'insecure');
  let url: string;
  let urlTopic: string | undefined;
  const serial = str(p, 'serial');
  const given = str(p, 'url');
  if (serial !== undefined) {
    // /dev/ttyUSB0 -> serial:///dev/ttyUSB0, COM3 -> serial://COM3
    url = 'serial://' + serial;
    const baud = int(p, 'baud', 1, 10000000, 'baud rate');
    if (baud !== undefined) url += `?baudRate=${baud}`;
  } else if (given !== undefined) {
    const u = new URL(given);
    if (!/^(mqtts?|tcp|ssl|tls):$/i.test(u.protocol)) throw new UsageError(`Unsupported URL '${given}': use mqtt://host:port/topic or mqtts://...`);
    // a '#' in the topic is a fragment to URL (an empty one at the end, even): it belongs
    // to the topic, as mosquitto_sub -L keeps it
    const fragment = given.indexOf('#');
    urlTopic = decodeURIComponent(u.pathname.replace(/^\//, '') + (fragment >= 0 ? given.slice(fragment) : '')) || undefined;
    if (u.username !== '') o.username = decodeURIComponent(u.username);
    if (u.password !== '') o.password = decodeURIComponent(u.password);
    url = `${u.protocol}//${u.host}`;
  } else {
    const host = str(p, 'host') ?? 'localhost';
    const port = int(p, 'port', 1, 65535, 'port') ?? (tlsWanted ? 8883 : 1883);
    url = `${tlsWanted ? 'mqtts' : 'mqtt'}://${host.indexOf(':') >= 0 ? `[${host}]` : host}:${port}`;
  }
  const id = str(p, 'id');
  const prefix = str(p, 'idPrefix');
  if (id !== undefined && prefix !== undefined) throw new UsageError('-i and -I cannot be used together.');
  o.clientId = id ?? (prefix !== undefined ? prefix + process.pid : `firmqtt-${command}-${process.pid}`);
  if (bool(p, 'noClean')) {
    if (id === undefined) throw new UsageError('You must provide a client id (-i) if you are using the -c option.');
    o.clean = false;
  }
  const username = str(p, 'username');
  if (username !== undefined) o.username = username;
  const password = str(p, 'password');
  if (password !== undefined) {
    if (o.username === undefined) throw new UsageError('-P needs a username (-u).');
    o.password = password;
  }
  const keepalive = int(p, 'keepalive', 0, 65535, 'keepalive');
  if (keepalive !== undefined) o.keepalive = keepalive;
  const expiry = int(p, 'sessionExpiry', 0, 0xffffffff, 'session expiry interval');
  if (version === 5) {
    if (expiry !== undefined) o.properties = { sessionExpiryInterval: expiry };
    else if (o.clean === false) o.properties = { sessionExpiryInterval: 0xffffffff };
  } else if (expiry !== undefined) {
    throw new UsageError('-x needs MQTT 5 (-V mqttv5).');
  }
  const willTopic = str(p, 'willTopic');
  if (willTopic !== undefined) {
    o.will = {
      topic: willTopic,
      payload: Buffer.from(str(p, 'willPayload') ?? ''),
      qos: (int(p, 'willQos', 0, 2, 'will QoS') ?? 0) as 0 | 1 | 2,
      retain: bool(p, 'willRetain'),
    };
  } else if (str(p, 'willPayload') !== undefined) {
    throw new UsageError('--will-payload needs --will-topic.');
  }
  if (tlsWanted) {
    const cafile = str(p, 'cafile');
    if (cafile !== undefined) o.ca = readFileSync(cafile);
    const cert = str(p, 'cert');
    const key = str(p, 'key');
    if (cert !== undefined) o.cert = readFileSync(cert);
    if (key !== undefined) o.key = readFileSync(key);
    if (bool(p, 'insecure')) o.rejectUnauthorized = false;
  }
  return { url, options: o, urlTopic, qos, debug: bool(p, 'debug'), quiet: bool(p, 'quiet') };
}

/** Where a connection goes, for messages: "localhost:1883" or the serial device. */
export function describe(c: Connection): string {
  return c.url.replace(/^[a-z]+:\/\//, '');
}
