// `npx firmqtt pub|sub` (tools/cli) as a user runs them: real processes through the bin
// launcher (tools/cli/firmqtt.mjs), against aedes in this process, Mosquitto for MQTT 5,
// and a scripted server that shows what CONNECT the flags produce.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decoder, encode, CONNECT, PUBLISH, DISCONNECT } from '../../targets/node/index';
import type { ConnectPacket, Packet, PublishPacket } from '../../targets/node/index';
import { startAedes, startMosquitto } from '../helpers/brokers';
import type { AedesBroker, MosquittoBroker } from '../helpers/brokers';
import { describeMosquitto } from '../integration/suite';
import { matches } from '../../tools/cli/sub';
import { parseArgs, flag, UsageError } from '../../tools/cli/args';
import { CONNECTION_FLAGS, connectionFrom } from '../../tools/cli/common';
import { until } from '../helpers/wait';

const BIN = resolve(__dirname, '../../tools/cli/firmqtt.mjs');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Running {
  done: Promise<Run>;
  stderrSoFar(): string;
  kill(): void;
}

function start(args: string[], stdin?: string): Running {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  if (stdin !== undefined) child.stdin.end(stdin);
  const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
  const done = new Promise<Run>((r) => child.on('close', (code) => {
    clearTimeout(timer);
    r({ code, stdout, stderr });
  }));
  return { done, stderrSoFar: () => stderr, kill: () => child.kill('SIGTERM') };
}

function run(args: string[], stdin?: string): Promise<Run> {
  return start(args, stdin).done;
}

/** A subscriber process, resolved once its subscription is acknowledged. */
async function subscriber(args: string[]): Promise<Running> {
  const s = start(['sub', '-d', ...args]);
  await until(() => /subscribed to/.test(s.stderrSoFar()) || /Error/.test(s.stderrSoFar()), 'the subscriber');
  return s;
}

describe('command-line parsing', () => {
  it('reads mosquitto-style flags: short, long, --long=value, repeated', () => {
    const specs = [flag('topic', ['-t', '--topic'], true, true), flag('verbose', ['-v'], false), flag('qos', ['-q', '--qos'], true)];
    expect(parseArgs(['-t', 'a', '--topic', 'b', '--topic=c', '-v', '-q', '1', 'rest'], specs)).toEqual({
      flags: { topic: ['a', 'b', 'c'], verbose: true, qos: '1' },
      positional: ['rest'],
    });
    expect(() => parseArgs(['-x'], specs)).toThrow(UsageError);
    expect(() => parseArgs(['-q'], specs)).toThrow(/no value/);
  });

  it('matches topic filters as a broker does', () => {
    expect(matches('a/+/c', 'a/b/c')).toBe(true);
    expect(matches('a/#', 'a')).toBe(true);
    expect(matches('a/#', 'a/b/c')).toBe(true);
    expect(matches('#', '$SYS/x')).toBe(false);
    expect(matches('a/+', 'a/b/c')).toBe(false);
  });

  it('-L keeps a # in the topic (URL takes it for a fragment), and %-escapes', () => {
    const topicOf = (url: string) => connectionFrom(parseArgs(['-L', url], CONNECTION_FLAGS), 'sub').urlTopic;
    expect(topicOf('mqtt://localhost:1883/t/#')).toBe('t/#');
    expect(topicOf('mqtt://localhost:1883/t/%23')).toBe('t/#');
    expect(topicOf('mqtt://localhost:1883/a/+/c')).toBe('a/+/c');
  });
});

describe('firmqtt pub / sub against aedes', () => {
  let broker: AedesBroker;
  let port: string;
  beforeAll(async () => {
    broker = await startAedes({
      authenticate: (client, username, password, done) => {
        if (client.id.startsWith('auth-')) done(null, username === 'alice' && password?.toString() === 's3cret');
        else done(null, true);
      },
    });
    port = String(broker.port);
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('sub -C -v prints "topic payload" for messages published at QoS 0, 1 and 2, then exits 0', async () => {
    const s = await subscriber(['-h', '127.0.0.1', '-p', port, '-t', 'cli/a/#', '-q', '2', '-C', '3', '-v']);
    for (const q of ['0', '1', '2']) {
      const r = await run(['pub', '-h', '127.0.0.1', '-p', port, '-t', `cli/a/q${q}`, '-m', `hello ${q}`, '-q', q]);
      expect(r).toMatchObject({ code: 0, stderr: '' });
    }
    const out = await s.done;
    expect(out.code).toBe(0);
    expect(out.stdout).toBe('cli/a/q0 hello 0\ncli/a/q1 hello 1\ncli/a/q2 hello 2\n');
  });

  it('pub -l sends one message per line of stdin (blank lines skipped)', async () => {
    const s = await subscriber(['-p', port, '-t', 'cli/lines', '-C', '3', '-q', '1']);
    const r = await run(['pub', '-p', port, '-t', 'cli/lines', '-l', '-q', '1'], 'one\n\ntwo\r\nthree\n');
    expect(r.code).toBe(0);
    expect((await s.done).stdout).toBe('one\ntwo\nthree\n');
  });

  it('pub -f sends a file, -n a zero-length message, -r retains, sub -R skips retained', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'firmqtt-cli-'));
    const file = join(dir, 'payload.bin');
    writeFileSync(file, Buffer.from([0x68, 0x69, 0x00, 0xff]));
    const s = await subscriber(['-p', port, '-t', 'cli/file', '-t', 'cli/null', '-C', '2', '-v', '-N']);
    expect((await run(['pub', '-p', port, '-t', 'cli/file', '-f', file])).code).toBe(0);
    expect((await run(['pub', '-p', port, '-t', 'cli/null', '-n'])).code).toBe(0);
    const out = await s.done;
    expect(out.stdout.startsWith('cli/file hi\u0000')).toBe(true);
    expect(out.stdout.endsWith('cli/null ')).toBe(true);

    expect((await run(['pub', '-p', port, '-t', 'cli/kept', '-m', 'status: up', '-r', '-q', '1'])).code).toBe(0);
    const retained = await run(['sub', '-p', port, '-t', 'cli/kept', '-C', '1']);
    expect(retained).toMatchObject({ code: 0, stdout: 'status: up\n' });
    const fresh = await run(['sub', '-p', port, '-t', 'cli/kept', '-R', '-W', '1']);
    expect(fresh).toMatchObject({ code: 27, stdout: '' });
    expect(fresh.stderr).toMatch(/Timed out/);
  });

  it('-L takes the broker and topic from a URL; -u/-P authenticate; a refused CONNECT exits 1', async () => {
    const s = await subscriber([`-L`, `mqtt://127.0.0.1:${port}/cli/url`, '-C', '1']);
    expect((await run(['pub', '-L', `mqtt://alice:s3cret@127.0.0.1:${port}/cli/url`, '-i', 'auth-1', '-m', 'via url'])).code).toBe(0);
    expect((await s.done).stdout).toBe('via url\n');
    const ok = await run(['pub', '-p', port, '-i', 'auth-2', '-u', 'alice', '-P', 's3cret', '-t', 'cli/x', '-m', 'x']);
    expect(ok.code).toBe(0);
    const bad = await run(['pub', '-p', port, '-i', 'auth-3', '-u', 'alice', '-P', 'wrong', '-t', 'cli/x', '-m', 'x']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Error: .*(bad user name or password|Not authorized|refused)/im);
  });

  it('says what is wrong and exits 1: no broker, unknown option, missing topic, MQTT 3.1', async () => {
    const refused = await run(['pub', '-p', '1', '-t', 't', '-m', 'x']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('Error: Connection refused: nothing listens at localhost:1\n');
    const unknown = await run(['pub', '--frobnicate']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Unknown option '--frobnicate'/);
    const noTopic = await run(['pub', '-m', 'x']);
    expect(noTopic.stderr).toMatch(/No topic given/);
    const v31 = await run(['sub', '-t', 'x', '-V', 'mqttv31']);
    expect(v31.stderr).toMatch(/MQTT 3\.1 \(mqttv31\) is not supported/);
    const noId = await run(['sub', '-t', 'x', '-c']);
    expect(noId.stderr).toMatch(/client id \(-i\)/);
    const unknownCommand = await run(['publish']);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toMatch(/unknown command 'publish'/);
  });

  it('prints help for each command', async () => {
    for (const c of ['pub', 'sub', 'bridge', 'proxy', 'chaos']) {
      const r = await run([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^firmqtt ${c}:`));
    }
  });
});

describe('what the flags put in CONNECT', () => {
  let server: Server;
  let port: number;
  const seen: Packet[][] = [];
  beforeAll(async () => {
    // A scripted server: records every packet, accepts the CONNECT, acknowledges nothing else
    // (the publishes below are QoS 0) and closes on DISCONNECT.
    server = createServer((s: Socket) => {
      const packets: Packet[] = [];
      seen.push(packets);
      let decoder: Decoder | null = null;
      s.on('data', (chunk: Buffer) => {
        if (decoder === null) decoder = new Decoder({ protocolVersion: chunk[8] === 5 ? 5 : 4 });
        decoder.feed(chunk);
        for (let p = decoder.read(); p !== null; p = decoder.read()) {
          packets.push(p);
          if (p.type === CONNECT) s.write(encode({ type: 2, sessionPresent: false, reasonCode: 0 }, (p as ConnectPacket).protocolVersion));
          if (p.type === DISCONNECT) s.end();
        }
      });
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('-i -k -c -u -P -V mqttv5 -x --will-* -r -q 0', async () => {
    const r = await run([
      'pub', '-p', String(port), '-i', 'cli-connect', '-k', '17', '-c', '-u', 'bob', '-P', 'pw', '-V', 'mqttv5', '-x', '120',
      '--will-topic', 'cli/will', '--will-payload', 'gone', '--will-qos', '1', '--will-retain', '-t', 'cli/t', '-m', 'payload', '-r',
    ]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const packets = seen[seen.length - 1];
    const connect = packets[0] as ConnectPacket;
    expect(connect).toMatchObject({
      type: CONNECT, protocolVersion: 5, clientId: 'cli-connect', keepalive: 17, clean: false, username: 'bob',
      properties: { sessionExpiryInterval: 120 },
      will: { topic: 'cli/will', qos: 1, retain: true },
    });
    expect(Buffer.from(connect.password as Uint8Array).toString()).toBe('pw');
    expect(Buffer.from(connect.will?.payload as Uint8Array).toString()).toBe('gone');
    const publish = packets[1] as PublishPacket;
    expect(publish).toMatchObject({ type: PUBLISH, topic: 'cli/t', qos: 0, retain: true });
    expect(Buffer.from(publish.payload as Uint8Array).toString()).toBe('payload');
    expect(packets[2].type).toBe(DISCONNECT);
  });

  it('-V 4 with defaults: clean session, keep-alive 60, a firmqtt-pub-<pid> id; --repeat', async () => {
    const r = await run(['pub', '-p', String(port), '-V', '4', '-t', 'cli/t', '-m', 'x', '--repeat', '3']);
    expect(r.code).toBe(0);
    const packets = seen[seen.length - 1];
    expect(packets[0]).toMatchObject({ type: CONNECT, protocolVersion: 4, clean: true, keepalive: 60 });
    expect((packets[0] as ConnectPacket).clientId).toMatch(/^firmqtt-pub-\d+$/);
    expect(packets.filter((p) => p.type === PUBLISH).length).toBe(3);
  });
});

describeMosquitto('firmqtt pub / sub against Mosquitto (MQTT 5)', () => {
  let broker: MosquittoBroker;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('-V mqttv5 round trip at QoS 2, and a persistent session with -c picks up what was sent while away', async () => {
    const port = String(broker.port);
    const s = await subscriber(['-p', port, '-V', 'mqttv5', '-t', 'cli/v5', '-q', '2', '-C', '1', '-v']);
    expect((await run(['pub', '-p', port, '-V', 'mqttv5', '-t', 'cli/v5', '-m', 'five', '-q', '2'])).code).toBe(0);
    expect((await s.done).stdout).toBe('cli/v5 five\n');

    // Subscribe once with -c (session kept), leave, publish, come back.
    expect((await run(['sub', '-p', port, '-V', 'mqttv5', '-c', '-i', 'cli-persist', '-t', 'cli/persist', '-q', '1', '-E'])).code).toBe(0);
    expect((await run(['pub', '-p', port, '-V', 'mqttv5', '-t', 'cli/persist', '-m', 'while away', '-q', '1'])).code).toBe(0);
    const back = await run(['sub', '-p', port, '-V', 'mqttv5', '-c', '-i', 'cli-persist', '-t', 'cli/persist', '-q', '1', '-C', '1', '-W', '5']);
    expect(back).toMatchObject({ code: 0, stdout: 'while away\n' });
  });
});
