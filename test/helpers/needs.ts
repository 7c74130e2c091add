// The policy for suites that need an external tool (Mosquitto, socat): run when it is
// there; without it, skip and say why once on stderr; under CI=true, where CI installs
// the tools, fail instead of skipping.
import { describe, it } from 'vitest';

const warned = new Set<string>();

/**
 * describe() for a suite that needs `tool`. `available` says whether it is there, `why`
 * what is missing (with how to install it); `kind` names such suites in the messages
 * ('Mosquitto', 'serial').
 */
export function describeNeeding(tool: string, kind: string, available: boolean, why: string, name: string, body: () => void): void {
  if (available) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it(`needs ${tool}, which CI must provide`, () => {
        throw new Error(`CI=true but ${why}: the ${kind} suite "${name}" cannot run`);
      });
    });
    return;
  }
  const message = `[firmqtt] SKIPPED ${kind} suite "${name}": ${why}. Under CI=true this is a failure.`;
  if (!warned.has(message)) {
    warned.add(message);
    console.warn(message);
  }
  describe.skip(`${name} (skipped: ${why})`, body);
}
